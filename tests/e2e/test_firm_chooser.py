"""One person, several firms: the firm chooser after login, « Changer d'espace », each
space showing only its firm's dossiers; a lawyer adding a client who already has an
account elsewhere sees what they see for anyone else."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import LUCE, assert_no_horizontal_scroll, login, nav
from tests.e2e.test_admin_clients import fill_client_form, new_context_page, wait_for_email

SOPHIE = ("sophie.noel@example.com", "Noel-Demo-2024")
LEROY = ("claire.leroy@example.com", "Leroy-Demo-2024")
DELMAS_SPACE = "Cabinet DELMAS Avocats — Espace client"
LEROY_SPACE = "Cabinet LEROY — Espace client"


def _dossiers(page, count: int) -> None:
    page.get_by_role("link", name=f"Dossiers ({count})").click()
    expect(page.get_by_role("heading", name=f"Dossiers ({count})")).to_be_visible()


def test_the_client_of_two_firms_chooses_and_switches(page):
    login(page, *SOPHIE)
    expect(page).to_have_url(re.compile(r"/choisir-cabinet/?$"))
    expect(page.get_by_role("heading", name="Choisissez l'espace auquel accéder")).to_be_visible()
    spaces = page.get_by_role("list", name="Espaces")
    expect(spaces.get_by_role("button")).to_have_count(2)
    expect(page.get_by_role("button", name=DELMAS_SPACE)).to_contain_text("Espace client")
    assert_no_horizontal_scroll(page)

    page.get_by_role("button", name=LEROY_SPACE).click()
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    expect(page.get_by_role("banner")).to_contain_text("Cabinet LEROY")
    _dossiers(page, 1)
    leroy_dossier = page.get_by_role("link", name="NOEL / BAIL COMMERCIAL")
    expect(leroy_dossier).to_be_visible()
    leroy_href = leroy_dossier.get_attribute("href")
    expect(page.get_by_text("NOEL / SUCCESSION")).to_have_count(0)
    assert_no_horizontal_scroll(page)

    nav(page, "Changer d'espace")
    expect(page).to_have_url(re.compile(r"/choisir-cabinet/?$"))
    expect(page.get_by_role("button", name=LEROY_SPACE)).to_contain_text("(espace actuel)")
    page.get_by_role("button", name=DELMAS_SPACE).click()
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    expect(page.get_by_role("banner")).to_contain_text("Cabinet DELMAS Avocats")
    expect(page.get_by_role("banner")).not_to_contain_text("Cabinet LEROY")
    _dossiers(page, 1)
    expect(page.get_by_role("link", name="NOEL / SUCCESSION")).to_be_visible()
    expect(page.get_by_text("NOEL / BAIL COMMERCIAL")).to_have_count(0)
    # LEROY's dossier, by its address, from the DELMAS space: not found.
    page.goto(leroy_href)
    expect(page.get_by_role("heading", name="Dossier introuvable")).to_be_visible()
    expect(page.get_by_text("Bail commercial signé")).to_have_count(0)
    assert_no_horizontal_scroll(page)


def test_a_client_of_one_firm_has_no_chooser(desktop):
    login(desktop, *LUCE)
    expect(desktop).to_have_url(re.compile(r"/accueil/?$"))
    expect(desktop.get_by_role("heading", name="LUCE ALEXANDER")).to_be_visible()
    expect(desktop.get_by_role("link", name="Changer d'espace")).to_have_count(0)


def _axe_clean(page, name: str, viewport: str) -> None:
    from tests.e2e.test_accessibility import Audit

    audit = Audit(viewport)
    audit.run(page, name)
    assert audit.blocking == []


def test_another_firms_client_is_invited_like_anyone_and_consents(desktop, server, browser):
    """A DELMAS client (created from the command line) is added by Claire LEROY: same
    answer and status as for a new person; the person is asked at their next login
    (issue 22, item 6): LEROY is not among their spaces until they accept; once
    accepted they choose LEROY, and LEROY sees the membership active."""
    identifier = f"deux-{uuid.uuid4().hex[:8]}@example.com"
    server.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", "DOUBLE", "--prenom", "Alix",
               "--password", "Deux-Cabinets-2025")
    login(desktop, *LEROY)
    expect(desktop.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(desktop, "Clients")
    desktop.get_by_role("link", name="Nouveau client").click()
    fill_client_form(desktop, "DOUBLE", "Alix", identifier)
    desktop.get_by_role("button", name="Créer le client").click()
    expect(desktop.get_by_role("status")).to_contain_text(f"Invitation envoyée à {identifier}")
    desktop.get_by_role("link", name="Voir la fiche du client").click()
    expect(desktop.get_by_role("heading", name="Alix DOUBLE")).to_be_visible()
    expect(desktop.get_by_text("Dernière connexion :")).to_contain_text("Jamais")
    expect(desktop.get_by_text(re.compile(r"^Invitation envoyée le \d\d/\d\d/\d{4}"))).to_be_visible()
    expect(desktop.get_by_text("Invitation en attente").first).to_be_visible()

    mail = wait_for_email(server, identifier)[-1]
    assert mail["Subject"] == "Le cabinet Cabinet LEROY vous invite à rejoindre son espace client"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "identifiant et votre mot de passe habituels" in body and "accepter ou refuser" in body
    assert "DELMAS" not in body and "jeton" not in body

    person_ctx, person = new_context_page(browser, server)
    login(person, identifier, "Deux-Cabinets-2025")
    expect(person).to_have_url(re.compile(r"/choisir-cabinet/?$"))
    invitations = person.get_by_role("list", name="Invitations")
    expect(invitations).to_contain_text("Le cabinet Cabinet LEROY vous invite à rejoindre son espace client")
    spaces = person.get_by_role("list", name="Espaces")
    expect(spaces.get_by_role("button")).to_have_count(1)  # DELMAS only: nothing of LEROY yet
    expect(person.get_by_role("button", name=LEROY_SPACE)).to_have_count(0)
    _axe_clean(person, "/choisir-cabinet (invitation)", "bureau")
    person.get_by_role("button", name="Accepter l'invitation de Cabinet LEROY").click()
    expect(person.get_by_role("status")).to_contain_text("Invitation acceptée")
    expect(person.get_by_role("list", name="Invitations")).to_have_count(0)
    expect(spaces.get_by_role("button")).to_have_count(2)
    _axe_clean(person, "/choisir-cabinet (acceptée)", "bureau")
    person.get_by_role("button", name=LEROY_SPACE).click()
    expect(person).to_have_url(re.compile(r"/accueil/?$"))
    expect(person.get_by_role("heading", name="ALIX DOUBLE")).to_be_visible()
    expect(person.get_by_role("link", name="Changer d'espace")).to_be_visible()
    person_ctx.close()

    desktop.reload()
    expect(desktop.get_by_role("heading", name="Alix DOUBLE")).to_be_visible()
    expect(desktop.get_by_text("Espace activé.")).to_be_visible()
    expect(desktop.get_by_text("Dernière connexion :")).to_contain_text(re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d"))


def test_a_person_refuses_a_firm_on_a_phone(server, browser):
    """At 375 px: the invitation of a firm the person does not know, refused; the firm
    stays out of their spaces and their next login goes straight to their own firm."""
    identifier = f"refus-{uuid.uuid4().hex[:8]}@example.com"
    server.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", "REFUS", "--prenom", "Inès",
               "--password", "Refus-Cabinet-2025")
    server.cli("create-client", "--firm-id", "2", "--email", identifier, "--nom", "REFUS", "--prenom", "Inès")
    context, phone = new_context_page(browser, server, "mobile")
    login(phone, identifier, "Refus-Cabinet-2025")
    expect(phone).to_have_url(re.compile(r"/choisir-cabinet/?$"))
    expect(phone.get_by_role("list", name="Invitations")).to_contain_text("Cabinet LEROY")
    expect(phone.get_by_role("button", name=LEROY_SPACE)).to_have_count(0)
    assert_no_horizontal_scroll(phone)
    _axe_clean(phone, "/choisir-cabinet (invitation)", "mobile")
    phone.get_by_role("button", name="Refuser l'invitation de Cabinet LEROY").click()
    expect(phone.get_by_role("status")).to_contain_text("Invitation refusée")
    expect(phone.get_by_role("list", name="Invitations")).to_have_count(0)
    expect(phone.get_by_role("button", name=LEROY_SPACE)).to_have_count(0)
    assert_no_horizontal_scroll(phone)
    _axe_clean(phone, "/choisir-cabinet (refusée)", "mobile")
    context.close()
    # The next login: her own firm at once, no chooser, nothing of LEROY.
    context, phone = new_context_page(browser, server, "mobile")
    login(phone, identifier, "Refus-Cabinet-2025")
    expect(phone).to_have_url(re.compile(r"/accueil/?$"))
    expect(phone.get_by_role("heading", name="INÈS REFUS")).to_be_visible()
    expect(phone.get_by_role("link", name="Changer d'espace")).to_have_count(0)
    context.close()
