"""The firm-side scenario of the issue, end to end in two browsers: a lawyer creates
a client, the invitation arrives, the client chooses a password through its link and
logs in; the lawyer creates two dossiers and shares 3 documents and 1 RDV in them;
the client receives exactly one email naming « 3 documents », « 1 rendez-vous » and
both dossiers, and sees the items."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, login, nav
from tests.e2e.test_admin_clients import fill_client_form, new_context_page, textbox, wait_for_email
from tests.e2e.test_share_notice_email import assert_sent_once_after_another_pass

# Depends on the embedded path too (docs/testing.md « Two paths for the browser tests »): run on both paths by make test-browser.
pytestmark = pytest.mark.embedded

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _create_dossier(page, reference: str, label: str, client_name: str) -> str:
    nav(page, "Dossiers")
    page.get_by_role("link", name="Nouveau dossier").click()
    expect(page.get_by_role("heading", name="Nouveau dossier")).to_be_visible()
    textbox(page, "Référence").fill(reference)
    textbox(page, "Intitulé").fill(label)
    page.get_by_role("checkbox", name=re.compile(client_name)).check()
    page.get_by_label("Interlocuteur").select_option(label="Fabien DELMAS")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Le dossier {reference} a été créé.")
    page.get_by_role("link", name="Voir la liste des dossiers").click()
    link = page.get_by_role("list", name="Liste des dossiers").get_by_role("link", name=f"{reference} — {label}")
    href = link.get_attribute("href")
    return href


def _upload(page, tmp_path, *names: str) -> None:
    for name in names:
        (tmp_path / name).write_bytes(PDF)
    page.get_by_label("Glissez-déposez vos documents ici ou cliquez pour les sélectionner").set_input_files(
        [str(tmp_path / n) for n in names])
    uploads = page.get_by_role("list", name="Envois en cours")
    for name in names:
        expect(uploads.get_by_role("listitem").filter(has_text=name)).to_contain_text("Déposé")


def test_invite_then_share_three_documents_and_one_rdv_in_two_dossiers(desktop, browser, server, tmp_path):
    tag = uuid.uuid4().hex[:6].upper()
    identifier = f"scenario-{tag.lower()}@example.com"
    page = desktop
    login(page, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(page, "Clients")
    page.get_by_role("link", name="Nouveau client").click()
    fill_client_form(page, f"SCENARIO{tag}", "Claude", identifier)
    page.get_by_role("button", name="Créer le client").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation envoyée à {identifier}")

    # The client activates the account from the invitation and logs in.
    wait_for_email(server, identifier)
    link = server.link_in_last_email(identifier, "/activer")
    client_ctx, client = new_context_page(browser, server)
    client.goto(link)
    client.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill("Scenario-Mot2passe")
    client.get_by_label("Confirmation du mot de passe").fill("Scenario-Mot2passe")
    client.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(client.get_by_text("Votre mot de passe a été enregistré.")).to_be_visible()
    login(client, identifier, "Scenario-Mot2passe")
    expect(client).to_have_url(re.compile(r"/accueil/?$"))
    expect(client.get_by_text("Aucun élément n'est encore partagé avec vous.")).to_be_visible()
    emails_before_shares = len(server.emails_to(identifier))

    # The lawyer shares 2 documents in one dossier, 1 document and 1 RDV in another.
    first = (f"2026SCN/{tag}1", f"SCENARIO{tag} / BAIL")
    second = (f"2026SCN/{tag}2", f"SCENARIO{tag} / PRUD'HOMMES")
    first_href = _create_dossier(page, *first, f"Claude SCENARIO{tag}")
    second_href = _create_dossier(page, *second, f"Claude SCENARIO{tag}")
    page.goto(first_href)
    expect(page.get_by_role("heading", name=first[1])).to_be_visible()
    _upload(page, tmp_path, "Assignation.pdf", "Bordereau de pièces.pdf")
    page.goto(second_href)
    expect(page.get_by_role("heading", name=second[1])).to_be_visible()
    _upload(page, tmp_path, "Jugement.pdf")
    page.get_by_role("tab", name=re.compile(r"^RDV")).click()
    page.get_by_label("Date").fill("2027-04-20")
    page.get_by_label("Heure").fill("10:00")
    textbox(page, "Lieu").fill("Conseil de prud'hommes de Montpellier")
    textbox(page, "Objet").fill("Audience de conciliation")
    page.get_by_role("button", name="Ajouter le RDV").click()
    expect(page.get_by_role("list", name="RDV du dossier")).to_contain_text("Audience de conciliation")

    # Exactly one email for these shares (grouping window of the test server: 15 s).
    mails = server.wait_for_emails(identifier, emails_before_shares + 1, timeout=60)
    assert_sent_once_after_another_pass(server, identifier, emails_before_shares + 1)
    mails = server.emails_to(identifier)
    text = mails[-1].get_body(preferencelist=("plain",)).get_content()
    assert "3 documents" in text and "1 rendez-vous" in text
    assert f"{first[0]} - {first[1]}" in text and f"{second[0]} - {second[1]}" in text

    # And the client sees them.
    client.goto("/accueil")
    expect(client.get_by_role("link", name="Documents (3)")).to_be_visible()
    expect(client.get_by_role("link", name="RDV (1)")).to_be_visible()
    expect(client.get_by_role("link", name="Dossiers (2)")).to_be_visible()
    client_ctx.close()
