"""Password change from Mon compte, and reset through the emailed link."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_horizontal_scroll, login, nav


def _new_client(server) -> tuple[str, str]:
    identifier = f"client-{uuid.uuid4().hex[:8]}@example.com"
    password = "Initial-Mot2passe"
    server.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", "TEST", "--prenom", "Camille",
               "--password", password)
    return identifier, password


def test_change_password(page, server):
    identifier, password = _new_client(server)
    login(page, identifier, password)
    expect(page).to_have_url(re.compile("/accueil"))
    nav(page, "Mon compte")
    expect(page.get_by_role("heading", name="Mot de passe")).to_be_visible()
    page.get_by_label("Mot de passe actuel").fill("pas-le-bon")
    page.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill("Nouveau-Mot2passe")
    page.get_by_label("Confirmation du nouveau mot de passe").fill("Nouveau-Mot2passe")
    page.get_by_role("button", name="Modifier mon mot de passe").click()
    expect(page.get_by_text("Le mot de passe actuel est incorrect.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Nouveau mot de passe", exact=True)).to_have_value("Nouveau-Mot2passe")
    page.get_by_label("Mot de passe actuel").fill(password)
    page.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill("faible")
    page.get_by_label("Confirmation du nouveau mot de passe").fill("faible")
    page.get_by_role("button", name="Modifier mon mot de passe").click()
    expect(page.get_by_text(re.compile("au moins 10 caractères"))).to_be_visible()
    page.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill("Nouveau-Mot2passe")
    page.get_by_label("Confirmation du nouveau mot de passe").fill("Nouveau-Mot2passe")
    page.get_by_role("button", name="Modifier mon mot de passe").click()
    expect(page.get_by_text("Votre mot de passe a été modifié.")).to_be_visible()
    assert_no_horizontal_scroll(page)
    nav(page, "Déconnexion")
    expect(page.get_by_text("Vous êtes déconnecté de votre espace.")).to_be_visible()
    login(page, identifier, password)
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    login(page, identifier, "Nouveau-Mot2passe")
    expect(page).to_have_url(re.compile("/accueil"))


def test_reset_by_emailed_link_works_once(page, server):
    identifier, _ = _new_client(server)
    page.goto("/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page.get_by_role("heading", name="Mot de passe oublié")).to_be_visible()
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_role("status")).to_contain_text("Si un compte correspond à cet identifiant")
    link = server.link_in_last_email(identifier, "/reinitialiser")
    page.goto(link)
    page.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill("Reinit-Mot2passe")
    page.get_by_label("Confirmation du mot de passe").fill("Reinit-Mot2passe")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("Votre mot de passe a été enregistré.")).to_be_visible()
    page.goto(link)
    expect(page.get_by_text("Ce lien n'est plus valable")).to_be_visible()
    expect(page.get_by_role("textbox", name="Nouveau mot de passe", exact=True)).to_have_count(0)
    login(page, identifier, "Reinit-Mot2passe")
    expect(page).to_have_url(re.compile("/accueil"))


def test_reset_answer_is_the_same_for_an_unknown_identifier(desktop, server):
    desktop.goto("/mot-de-passe-oublie")
    desktop.get_by_label("Identifiant").fill("personne-inconnue@example.com")
    desktop.get_by_role("button", name="Envoyer le lien").click()
    expect(desktop.get_by_role("status")).to_contain_text("Si un compte correspond à cet identifiant")
    # A known client asks next: once the outbox worker has sent their email, it has sent
    # anything queued before it (it sends in queue order), so an email to the unknown
    # identifier would be there by now.
    witness, _ = _new_client(server)
    desktop.get_by_label("Identifiant").fill(witness)
    desktop.get_by_role("button", name="Envoyer le lien").click()
    assert server.wait_for_emails(witness, 1, timeout=30), "the known client's email never came"
    assert server.emails_to("personne-inconnue@example.com") == []
