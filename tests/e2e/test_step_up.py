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

from espace.services.crypto import token_hash as _token_hash
from tests.e2e.conftest import LAWYER, VIEWPORTS, assert_no_horizontal_scroll, login, sign_in
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


def _client_id(server, identifier: str) -> int:
    return server.sql('SELECT client.id FROM client JOIN "user" ON "user".id = client.user_id '
                      'WHERE "user".email = :email', {"email": identifier})[0][0]


def _notice_to(server, address: str) -> str:
    """The plain text of the firm's security notice sent to `address`."""
    for mail in server.wait_for_emails(address, 1):
        if "Sécurité de votre espace" in mail["Subject"]:
            return mail.get_body(preferencelist=("plain",)).get_content()
    raise AssertionError(f"no security notice to {address}")


def test_a_lawyer_confirms_identity_before_changing_a_clients_email(page, server, viewport):
    """The firm's side (a staff session left open at the office): a new phone number is
    saved at once; a new e-mail address asks « Confirmez votre identité », refuses a wrong
    password, then saves with the right one; both addresses are told, the old one with the
    link that ends all the client's sessions."""
    audit = Audit(viewport)
    identifier = _new_user(server)
    client_session = server.open_session(identifier, PASSWORD)["token"]
    new_address = identifier.replace("2fa-", "nouvelle.")
    sign_in(page, server, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    _five_minutes_later(server, LAWYER[0])
    page.goto(f"/admin/clients/{_client_id(server, identifier)}")
    email_field = page.get_by_role("textbox", name="E-mail", exact=True)
    expect(email_field).to_have_value(identifier)
    # Ordinary work: a phone number, no proof asked.
    page.get_by_role("textbox", name="Tél", exact=True).fill("04 67 00 11 22")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("Les coordonnées du client ont été enregistrées.")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    # The e-mail address: the dialog first, nothing saved yet.
    email_field.fill(new_address)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    dialog = page.get_by_role("dialog", name="Confirmez votre identité")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Ce changement touche à la sécurité du cabinet ou de ses clients.")
    assert server.sql('SELECT email FROM "user" WHERE email = :email', {"email": identifier})
    assert_no_horizontal_scroll(page)
    audit.run(page, "/admin/clients/<id> « Confirmez votre identité »")
    dialog.get_by_label("Mot de passe").fill("pas-le-bon")
    dialog.get_by_role("button", name="Confirmer").click()
    expect(dialog.get_by_role("alert")).to_have_text("Mot de passe ou code incorrect.")
    dialog.get_by_label("Mot de passe").fill(LAWYER[1])
    dialog.get_by_role("button", name="Confirmer").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text("Les coordonnées du client ont été enregistrées.")).to_be_visible()
    expect(email_field).to_have_value(new_address)
    audit.run(page, "/admin/clients/<id> (adresse enregistrée)")
    # The client's login identifier followed: her session is closed; both addresses are told.
    assert server.sql("SELECT revoked_at FROM auth_session WHERE token_hash = :h",
                      {"h": _token_hash(client_session)})[0][0] is not None
    old = _notice_to(server, identifier)
    assert "L'adresse de connexion de votre espace client a été modifiée par votre cabinet" in old
    assert "Si vous n'êtes pas à l'origine de cette demande, contactez votre cabinet." in old
    assert "/fermer-les-sessions?jeton=" in old
    new = _notice_to(server, new_address)
    assert "L'adresse de connexion de votre espace client a été modifiée" in new and "/fermer-les-sessions" not in new
    assert not audit.blocking, "\n".join(audit.blocking)
