"""Step-up in Chromium, as a person does it, at 1280 and 375 px (issue 22, item 1): a
session whose proof of identity is over 5 minutes old asks « Confirmez votre identité »
before regenerating the recovery codes, then does it; within 5 minutes it asks nothing;
the e-mail « Vos codes de secours ont été remplacés… Si ce n'est pas vous… » carries a
link that, opened in another browser without any session, ends every session.
axe-core: zero serious or critical violation on the dialog and on the link's page."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORTS, assert_no_horizontal_scroll, login
from tests.e2e.test_accessibility import Audit
from tests.e2e.test_two_factor import PASSWORD, _enrol_totp, _new_user, _virtual_authenticator


def _five_minutes_later(server, identifier: str) -> None:
    """The session's proof (the login) is now older than 5 minutes."""
    server.sql("UPDATE auth_session SET step_up_until = NULL WHERE account_id = "
               "(SELECT id FROM account WHERE email = :email)", {"email": identifier})


def test_a_security_change_asks_to_confirm_identity_then_mails_a_link_that_ends_every_session(
        page, server, viewport, browser):
    audit = Audit(viewport)
    identifier = _new_user(server)
    login(page, identifier, PASSWORD)
    expect(page).to_have_url(re.compile("/accueil"))
    page.goto("/mon-compte/securite")
    expect(page.get_by_role("heading", name="Sécurité du compte")).to_be_visible()
    # Right after the login (password proved), the app is activated without a second ask.
    totp, _codes, _used = _enrol_totp(page)
    page.get_by_role("button", name="J'ai conservé mes codes").click()
    expect(page.get_by_role("list", name="Codes de secours")).to_have_count(0)

    _five_minutes_later(server, identifier)
    page.get_by_role("button", name="Régénérer les codes de secours").click()
    dialog = page.get_by_role("dialog", name="Confirmez votre identité")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("list", name="Codes de secours")).to_have_count(0)  # nothing done yet
    assert_no_horizontal_scroll(page)
    audit.run(page, "dialog « Confirmez votre identité »")
    # A wrong password: refused in the dialog.
    dialog.get_by_label("Mot de passe").fill("pas-le-bon")
    dialog.get_by_label("Code de l'application ou code de secours").fill(totp.at(time.time() + 30))
    dialog.get_by_role("button", name="Confirmer").click()
    expect(dialog.get_by_role("alert")).to_have_text("Mot de passe ou code incorrect.")
    # The password and the app's code: the dialog closes and the codes are regenerated.
    dialog.get_by_label("Mot de passe").fill(PASSWORD)
    dialog.get_by_label("Code de l'application ou code de secours").fill(totp.at(time.time() + 30))
    dialog.get_by_role("button", name="Confirmer").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("list", name="Codes de secours").get_by_role("listitem")).to_have_count(10)
    page.get_by_role("button", name="J'ai conservé mes codes").click()
    # Within 5 minutes, nothing more is asked.
    page.get_by_role("button", name="Régénérer les codes de secours").click()
    expect(page.get_by_role("list", name="Codes de secours").get_by_role("listitem")).to_have_count(10)
    expect(page.get_by_role("dialog")).to_have_count(0)

    # Each change was e-mailed; the last one's link works from another browser, logged out.
    mails = server.wait_for_emails(identifier, 3)
    body = mails[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Vos codes de secours ont été remplacés" in body and "Si ce n'est pas vous" in body
    link = re.search(r"https?://\S+/fermer-les-sessions\?jeton=[\w-]+", body).group(0)
    other = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR", base_url=server.url)
    try:
        stranger = other.new_page()
        stranger.goto(link)
        end_all = stranger.get_by_role("button", name="Déconnecter toutes mes sessions")
        expect(end_all).to_be_enabled()
        assert_no_horizontal_scroll(stranger)
        audit.run(stranger, "/fermer-les-sessions")
        end_all.click()
        expect(stranger.get_by_text("Toutes vos sessions sont fermées, sur tous vos appareils.")).to_be_visible()
        audit.run(stranger, "/fermer-les-sessions (fait)")
        stranger.goto(link)  # single use
        expect(stranger.get_by_role("alert")).to_have_text("Ce lien n'est plus valable (déjà utilisé ou expiré).")
    finally:
        other.close()
    # The first browser's session is closed.
    page.goto("/mon-compte/securite")
    expect(page).to_have_url(re.compile("/connexion"))
    assert not audit.blocking, "\n".join(audit.blocking)


def test_a_passkey_confirms_identity_with_the_password(desktop, server):
    """A person whose only second factor is a passkey: the step-up's passkey way
    (assets/webauthn.js, /api/webauthn/confirmation) and the registration refused for
    want of a step-up, which opens the dialog."""
    page = desktop
    _virtual_authenticator(page)
    identifier = _new_user(server)
    login(page, identifier, PASSWORD)
    expect(page).to_have_url(re.compile("/accueil"))
    page.goto("/mon-compte/securite")
    page.get_by_label("Nom de la clé d'accès").fill("Portable")
    page.get_by_role("button", name="Ajouter une clé d'accès").click()  # within the login's 5 minutes
    expect(page.get_by_role("list", name="Vos clés d'accès").get_by_role("listitem")).to_have_count(1)

    _five_minutes_later(server, identifier)
    # Adding another: the server refuses the options (403), the page asks to confirm.
    page.get_by_role("button", name="Ajouter une clé d'accès").click()
    dialog = page.get_by_role("dialog", name="Confirmez votre identité")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_have_count(0)
    # Removing it: the password and the passkey confirm, then it is removed.
    page.get_by_role("button", name="Supprimer la clé d'accès Portable").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Utiliser une clé d'accès").click()
    expect(dialog.get_by_role("status")).to_have_text("Saisissez d'abord votre mot de passe.")
    dialog.get_by_label("Mot de passe").fill(PASSWORD)
    dialog.get_by_role("button", name="Utiliser une clé d'accès").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text("Aucune clé d'accès.")).to_be_visible()
    notices = [m["Subject"] for m in server.wait_for_emails(identifier, 2)]
    assert sum("Sécurité de votre espace client" in s for s in notices) == 2, notices
