"""Two-factor login in Chromium: authenticator app (codes computed here with pyotp),
recovery codes, passkeys with Chromium's virtual authenticator (CDP), the firm's
policy forcing enrolment. Each test uses its own accounts (created with the CLI):
other tests' logins stay password-only."""
from __future__ import annotations

import re
import time
import uuid

import pyotp
from playwright.sync_api import expect

from tests.e2e.conftest import (
    HeldReplies,
    assert_no_horizontal_scroll,
    login,
    nav,
    reconnect,
    wait_live,
    watch_sockets,
)

PASSWORD = "Deux-Facteurs-2026"


def _new_user(server, kind: str = "create-client", firm_id: str = "1", *extra: str) -> str:
    identifier = f"2fa-{uuid.uuid4().hex[:8]}@example.com"
    server.cli(kind, "--firm-id", firm_id, "--email", identifier, "--nom", "SECURE", "--prenom", "Dominique",
               "--password", PASSWORD, *extra)
    return identifier


def _virtual_authenticator(page) -> dict:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    return {"cdp": cdp, "id": made["authenticatorId"]}


def _logout(page) -> None:
    nav(page, "Déconnexion")
    expect(page.get_by_text("Vous êtes déconnecté de votre espace.")).to_be_visible()


def _enrol_totp(page) -> tuple[pyotp.TOTP, list[str], str]:
    """On a page showing the Sécurité panel: activate the app as a person does (reads
    the key shown for manual entry, types the app's code), returns the codes shown."""
    page.get_by_role("button", name="Activer l'application d'authentification").click()
    qr = page.get_by_role("img", name="QR code à scanner avec votre application d'authentification")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150  # big enough to scan
    secret = page.locator("[data-totp-secret]").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code de l'application d'authentification").fill("000000" if totp.now() != "000000"
                                                                       else "111111")
    page.get_by_role("button", name="Activer", exact=True).click()
    expect(page.get_by_text(re.compile("Code incorrect"))).to_be_visible()
    used = totp.now()
    page.get_by_label("Code de l'application d'authentification").fill(used)
    page.get_by_role("button", name="Activer", exact=True).click()
    codes_list = page.get_by_role("list", name="Codes de secours")
    expect(codes_list.get_by_role("listitem")).to_have_count(10)
    codes = codes_list.get_by_role("listitem").all_inner_texts()
    assert all(re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", c) for c in codes)
    return totp, codes, used


def _password_then_second_step(page, identifier: str) -> None:
    login(page, identifier, PASSWORD)
    expect(page.get_by_role("heading", name="Double authentification")).to_be_visible()


def test_authenticator_app_and_recovery_codes(page, server):
    identifier = _new_user(server)
    login(page, identifier, PASSWORD)
    expect(page).to_have_url(re.compile("/accueil"))
    nav(page, "Mon compte")
    page.get_by_role("link", name="Gérer la double authentification").click()
    expect(page.get_by_role("heading", name="Sécurité du compte")).to_be_visible()
    totp, codes, used = _enrol_totp(page)
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="J'ai conservé mes codes").click()
    expect(page.get_by_role("list", name="Codes de secours")).to_have_count(0)
    expect(page.get_by_text("10 codes de secours restants.")).to_be_visible()
    _logout(page)

    # The password alone no longer opens the portal.
    _password_then_second_step(page, identifier)
    assert_no_horizontal_scroll(page)
    page.goto("/accueil")
    expect(page).to_have_url(re.compile("/connexion"))
    # Back on the login page in the same tab, once its load has run, the person is still on
    # the code step of their pending login (« Annuler » goes back to the password).
    expect(page.locator("form[data-hydrated='true']")).to_have_count(1)
    expect(page.get_by_role("heading", name="Double authentification")).to_be_visible()
    code_field = page.get_by_label("Code de l'application d'authentification")
    # The code used to activate is spent: typed again, it is refused.
    code_field.fill(used)
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_text(re.compile("Code incorrect"))).to_be_visible()
    page.get_by_label("Code de l'application d'authentification").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Vérifier").click()
    expect(page).to_have_url(re.compile("/accueil"))
    _logout(page)

    # A recovery code works once.
    for attempt in range(2):
        _password_then_second_step(page, identifier)
        page.get_by_role("button", name="Utiliser un code de secours").click()
        page.get_by_label("Code de secours").fill(codes[0].lower())
        page.get_by_role("button", name="Vérifier").click()
        if attempt == 0:
            expect(page).to_have_url(re.compile("/accueil"))
            _logout(page)
        else:
            expect(page.get_by_text("Code de secours incorrect ou déjà utilisé.")).to_be_visible()
            expect(page).to_have_url(re.compile("/connexion"))
    page.get_by_label("Code de secours").fill(codes[1])
    page.get_by_role("button", name="Vérifier").click()
    expect(page).to_have_url(re.compile("/accueil"))

    # Turning it off, within the 5 minutes of a login that proved the password and a code
    # (tests/e2e/test_step_up.py: later, it asks again); then the password alone works again.
    page.goto("/mon-compte/securite")
    page.get_by_role("button", name="Désactiver l'application d'authentification").click()
    expect(page.get_by_text("L'application d'authentification est désactivée.")).to_be_visible()
    _logout(page)
    login(page, identifier, PASSWORD)
    expect(page).to_have_url(re.compile("/accueil"))


def test_passkey_passwordless_and_as_second_factor(desktop, server):
    page = desktop
    _virtual_authenticator(page)
    identifier = _new_user(server)
    login(page, identifier, PASSWORD)
    expect(page).to_have_url(re.compile("/accueil"))
    page.goto("/mon-compte/securite")
    expect(page.get_by_text("Aucune clé d'accès.")).to_be_visible()
    page.get_by_label("Nom de la clé d'accès").fill("Ordinateur <b>du bureau</b>")
    page.get_by_role("button", name="Ajouter une clé d'accès").click()
    keys = page.get_by_role("list", name="Vos clés d'accès")
    expect(keys.get_by_role("listitem")).to_have_count(1)
    expect(keys).to_contain_text("Ordinateur <b>du bureau</b>")  # shown as text
    expect(keys).to_contain_text("dernière utilisation : jamais")
    # The same authenticator cannot be registered twice.
    page.get_by_role("button", name="Ajouter une clé d'accès").click()
    expect(page.get_by_role("status").filter(has_text="déjà enregistrée")).to_be_visible()
    _logout(page)

    # Passwordless.
    page.get_by_role("button", name="Se connecter avec une clé d'accès").click()
    expect(page).to_have_url(re.compile("/accueil"))
    _logout(page)

    # As the second factor after the password (a passkey is the account's only factor).
    _password_then_second_step(page, identifier)
    expect(page.get_by_label("Code de l'application d'authentification")).to_have_count(0)
    page.get_by_role("button", name="Utiliser une clé d'accès").click()
    expect(page).to_have_url(re.compile("/accueil"))

    page.goto("/mon-compte/securite")
    keys = page.get_by_role("list", name="Vos clés d'accès")
    expect(keys).not_to_contain_text("jamais")
    page.get_by_role("button", name="Supprimer la clé d'accès Ordinateur <b>du bureau</b>").click()
    expect(page.get_by_text("Aucune clé d'accès.")).to_be_visible()
    _logout(page)
    # The authenticator still holds the credential; the server no longer knows it.
    page.get_by_role("button", name="Se connecter avec une clé d'accès").click()
    expect(page.get_by_role("status").filter(has_text="La clé d'accès n'a pas été reconnue.")).to_be_visible()
    expect(page).to_have_url(re.compile("/connexion"))


def test_webauthn_routes_refuse_cross_site_and_anonymous_calls(desktop, server):
    page = desktop
    page.goto("/connexion")
    no_header = page.request.post("/api/webauthn/connexion/options", data={})
    assert no_header.status == 403
    foreign = page.request.post("/api/webauthn/connexion/options", data={},
                                headers={"X-Requested-With": "espace", "Origin": "https://evil.example"})
    assert foreign.status == 403
    anonymous = page.request.post("/api/webauthn/inscription/options", data={},
                                  headers={"X-Requested-With": "espace"})
    assert anonymous.status == 401 and "session" in anonymous.json()["error"]
    no_pending = page.request.post("/api/webauthn/connexion/options", data={"second_factor": True},
                                   headers={"X-Requested-With": "espace"})
    assert no_pending.status == 401
    forged = page.request.post("/api/webauthn/connexion", headers={"X-Requested-With": "espace"},
                               data={"credential": {"id": "AAAA", "response": {"clientDataJSON": "e30"}}})
    assert forged.status == 400 and "ticket" not in forged.text()
    huge = page.request.post("/api/webauthn/connexion", headers={"X-Requested-With": "espace"},
                             data="x" * 200_000)
    assert huge.status == 400


def test_firm_policy_forces_enrolment(page, server, viewport):
    firm_id = server.cli("create-firm", "--name", f"Cabinet 2FA {viewport}").strip()
    # The firm's rule is the administrators' to set (« Administrateur du cabinet »).
    lawyer = _new_user(server, "create-lawyer", firm_id, "--role", "admin")
    client = _new_user(server, "create-client", firm_id)

    login(page, lawyer, PASSWORD)
    expect(page).to_have_url(re.compile("/admin"))
    page.goto("/admin/parametres")
    expect(page.get_by_role("heading", name="Double authentification")).to_be_visible()
    page.get_by_label("Exiger la double authentification pour les clients").check()
    page.get_by_role("button", name="Enregistrer la règle").click()
    saved = page.get_by_text("La règle de double authentification est enregistrée.")
    expect(saved).to_be_visible()
    assert_no_horizontal_scroll(page)
    # Kept: the page opened again shows the rule (its load has answered), without the message.
    page.reload()
    expect(page.get_by_label("Exiger la double authentification pour les clients")).to_be_checked()
    expect(saved).to_have_count(0)
    page.get_by_label("Exiger la double authentification pour les collaborateurs du cabinet").check()
    page.get_by_role("button", name="Enregistrer la règle").click()
    # Saved before the tab leaves the page: an event still on its way when the next page
    # opens would be handled among that page's own (the same tab state), out of order.
    expect(saved).to_be_visible()
    # The lawyer, without a second factor, is now sent to the enrolment page.
    page.goto("/admin/clients")
    expect(page).to_have_url(re.compile("/double-authentification"))
    expect(page.get_by_role("heading", name="Activez la double authentification")).to_be_visible()
    assert page.request.get("/api/documents/1").status == 401  # nor the API
    _enrol_totp(page)
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile("/admin"))
    # Staff find it under Mon compte › Sécurité.
    nav(page, "Mon compte")
    expect(page).to_have_url(re.compile("/admin/compte"))
    page.get_by_role("link", name="Gérer la double authentification").click()
    expect(page.get_by_text("10 codes de secours restants.")).to_be_visible()
    assert_no_horizontal_scroll(page)
    _logout(page)

    login(page, client, PASSWORD)
    expect(page).to_have_url(re.compile("/double-authentification"))
    # The page's load has answered (the panel shows only then): « Continuer » is absent
    # because the enrolment is required, not because nothing is shown yet; and no load of
    # this page is still on its way when the tab opens /accueil below.
    expect(page.get_by_role("heading", name="Activez la double authentification")).to_be_visible()
    expect(page.get_by_role("button", name="Continuer")).to_have_count(0)
    assert_no_horizontal_scroll(page)
    page.goto("/accueil")
    expect(page).to_have_url(re.compile("/double-authentification"))
    totp, _, _ = _enrol_totp(page)
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile("/accueil"))
    # Required: the last factor cannot be removed.
    page.goto("/mon-compte/securite")
    page.get_by_role("button", name="Désactiver l'application d'authentification").click()
    expect(page.get_by_text(re.compile("Votre cabinet exige la double authentification"))).to_be_visible()
    _logout(page)
    _password_then_second_step(page, client)
    page.get_by_label("Code de l'application d'authentification").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Vérifier").click()
    expect(page).to_have_url(re.compile("/accueil"))


def test_login_is_live_before_it_can_be_sent_and_a_reconnect_keeps_the_code_step(page, server):
    """The login page's two races, as a person meets them: typing and pressing « Se
    connecter » while the page's state is still on its way (a slow machine or network),
    and the connection dropping and coming back while on the code step (Reflex then runs
    the page's load again)."""
    identifier = _new_user(server)
    login(page, identifier, PASSWORD)
    expect(page).to_have_url(re.compile("/accueil"))
    page.goto("/mon-compte/securite")
    totp, _, used = _enrol_totp(page)
    page.get_by_role("button", name="J'ai conservé mes codes").click()
    expect(page.get_by_text("10 codes de secours restants.")).to_be_visible()
    _logout(page)

    # The page's state is held on its way: the form shows, takes what is typed, but
    # cannot be sent (neither the button nor Enter) until the state is live.
    watch_sockets(page)
    held = HeldReplies(page, on=True)
    page.goto("/connexion")
    send = page.get_by_role("button", name="Se connecter", exact=True)
    expect(send).to_be_disabled()
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    expect(send).to_be_disabled()
    assert "Deux-Facteurs" not in page.url  # no native submission either
    held.release()
    expect(send).to_be_enabled()
    wait_live(page)
    expect(page.get_by_label("Identifiant")).to_have_value(identifier)
    expect(page.get_by_label("Mot de passe")).to_have_value(PASSWORD)
    expect(page.get_by_role("heading", name="Double authentification")).to_be_hidden()

    # A reconnect on the password step, then the login; reconnects on the code step keep
    # it, with its error, and the code typed afterwards opens the portal.
    reconnect(page)
    expect(page.get_by_label("Mot de passe")).to_have_value(PASSWORD)
    send.click()
    second = page.get_by_role("heading", name="Double authentification")
    expect(second).to_be_visible()
    reconnect(page)
    expect(second).to_be_visible()
    code = page.get_by_label("Code de l'application d'authentification")
    code.fill(used)  # spent when the app was activated
    page.get_by_role("button", name="Vérifier").click()
    refused = page.get_by_text(re.compile("Code incorrect"))
    expect(refused).to_be_visible()
    reconnect(page)
    expect(second).to_be_visible()
    expect(refused).to_be_visible()
    assert_no_horizontal_scroll(page)
    code.fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Vérifier").click()
    expect(page).to_have_url(re.compile("/accueil"))
