"""Step-up over the real protocol (issue 22, item 1): a session whose proof of identity is
older than 5 minutes — a computer left open — sends every security handler of
« Mon compte › Sécurité » and the passkey registration route, and changes nothing: each
opens « Confirmez votre identité » instead. Then the password and a code confirm it and
the waiting action runs; five wrong passwords close the session.

The app of tests/attack/conftest.py (`server`: the ASGI app in this process, Socket.IO
and HTTP as a browser speaks them); Marc BERTRAND is the person, with an authenticator
app and a passkey set up through the services beforehand."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pyotp
import sqlalchemy as sa
from sqlmodel import select

from espace.db import session_scope
from espace.models import AuthSession, Passkey, User
from espace.services.accounts import passkeys, step_up, two_factor
from tests.attack.conftest import CLAIRE, MARC
from tests.attack.reflex_socket import ReflexSocket, login_cookie
from tests.attack.test_attack_suite import HANDLER_NAMES
from tests.services.accounts.step_up_helpers import session_for
from tests.services.accounts.test_passkeys import SoftAuthenticator
from tests.services.firm.test_settings import PUBLISHABLE, SECRET, WEBHOOK

PAGE = "/mon-compte/securite"
GUARDED = {"totp_factor", "recovery_code", "passkey", "account"}


def _event(handler: str) -> str:
    return HANDLER_NAMES[f"espace.web.account.security.state.SecurityState.{handler}"][0]


def _vars(sock: ReflexSocket, start: int, prefix: str) -> list:
    """The values the server sent for the SecurityState var `prefix` since update `start`."""
    out = []
    for update in sock.updates[start:]:
        for values in (update.get("delta") or {}).values():
            out += [v for k, v in values.items() if k.startswith(prefix + "_rx_state")]
    return out


def _post(server, path: str, cookie: str, body: bytes = b"{}") -> tuple[int, dict]:
    request = urllib.request.Request(server.url + path, data=body, method="POST", headers={
        "Cookie": cookie, "Content-Type": "application/json", "X-Requested-With": "espace", "Origin": server.origin})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as answer:
        return answer.code, json.loads(answer.read())


def _marc_with_factors() -> tuple[User, str, int]:
    """Marc's membership, his app's secret and his passkey's id (set up by Marc himself)."""
    with session_scope() as s:
        marc = s.exec(select(User).where(User.email == MARC[0])).one()
    token = session_for(marc)
    enrolment = two_factor.start_totp(marc, token).value
    assert two_factor.confirm_totp(marc, pyotp.TOTP(enrolment.secret).at(time.time() - 30), token).ok
    device = SoftAuthenticator()
    assert passkeys.register(marc, device.create(passkeys.registration_options(marc, token)), "Clé de Marc", token).ok
    with session_scope() as s:
        key_id = s.exec(select(Passkey.id).where(Passkey.account_id == marc.account_id)).one()
    return marc, enrolment.secret, key_id


def _forget_step_up(server, marc: User) -> None:
    """Every session of Marc's is now past its 5 minutes (the login's proof included)."""
    with session_scope() as s:
        s.exec(sa.update(AuthSession).where(AuthSession.account_id == marc.account_id).values(step_up_until=None))
        s.commit()


def test_security_handlers_refuse_without_step_up_then_run_once_confirmed(server):
    cookie = login_cookie(server.url, *MARC, origin=server.origin)  # before his second factor exists
    marc, secret, key_id = _marc_with_factors()
    _forget_step_up(server, marc)
    sock = ReflexSocket(server.url, cookie, PAGE, origin=server.origin)
    try:
        for handler, payload in (("remove_passkey", {"passkey_id": str(key_id)}), ("regenerate_codes", {}),
                                 ("disable_totp", {}), ("start_totp", {})):
            mark, start = server.writes.mark(), len(sock.updates)
            sock.send(_event(handler), payload, PAGE)
            sock.settle()
            changed = {table for table, _ in server.writes.since(mark)} & GUARDED
            assert not changed, f"{handler} changed {changed} without a step-up"
            assert True in _vars(sock, start, "step_up_open"), f"{handler} did not ask to confirm"
            assert not any(_vars(sock, start, "qr_svg")) and not any(_vars(sock, start, "codes"))
        # The passkey registration route refuses as well, with the message to confirm first.
        status, answer = _post(server, "/api/webauthn/inscription/options", cookie)
        assert status == 403 and answer["error"] == step_up.NEEDED
        # A wrong password: refused, nothing runs.
        start = len(sock.updates)
        sock.send(_event("confirm_identity"), {"form": {"mot_de_passe_confirmation": "devine",
                                                        "code_confirmation": pyotp.TOTP(secret).now()}}, PAGE)
        sock.settle()
        assert "Mot de passe ou code incorrect." in _vars(sock, start, "step_up_error")
        assert not any(_vars(sock, start, "qr_svg"))
        # The password alone is not enough for a person with a second factor.
        start = len(sock.updates)
        sock.send(_event("confirm_identity"), {"form": {"mot_de_passe_confirmation": MARC[1]}}, PAGE)
        sock.settle()
        assert not any(_vars(sock, start, "qr_svg"))
        # The password and the app's code: the waiting action (the last asked, « Changer de
        # téléphone ») runs, and for 5 minutes nothing more is asked.
        start = len(sock.updates)
        sock.send(_event("confirm_identity"), {"form": {"mot_de_passe_confirmation": MARC[1],
                                                        "code_confirmation": pyotp.TOTP(secret).at(time.time() + 30)}},
                  PAGE)
        sock.settle()
        assert False in _vars(sock, start, "step_up_open") and any(_vars(sock, start, "qr_svg"))
        start = len(sock.updates)
        sock.send(_event("regenerate_codes"), {}, PAGE)
        sock.settle()
        assert len(next(v for v in _vars(sock, start, "codes") if v)) == two_factor.RECOVERY_COUNT
        assert True not in _vars(sock, start, "step_up_open")
        status, _answer = _post(server, "/api/webauthn/inscription/options", cookie)
        assert status == 200
    finally:
        sock.close()


def test_five_wrong_passwords_close_the_session(server):
    cookie = login_cookie(server.url, *CLAIRE, origin=server.origin)  # (Marc has a second factor by now)
    sock = ReflexSocket(server.url, cookie, PAGE, origin=server.origin)
    try:
        start = len(sock.frames)
        for _ in range(5):
            sock.send(_event("confirm_identity"), {"form": {"mot_de_passe_confirmation": "devine",
                                                            "code_confirmation": "123456"}}, PAGE)
        sock.settle()
        # The session is closed: the tab is sent to the login page.
        assert "/connexion" in json.dumps(sock.events_since(start)), sock.events_since(start)
    finally:
        sock.close()
    status, _answer = _post(server, "/api/webauthn/inscription/options", cookie)
    assert status == 401


# --- The firm's side: a staff session left open at the office ---------------------------

DELMAS = ("fabien.delmas@example.com", "Delmas-Demo-2024")
FIRM_GUARDED = {"user", "client", "account", "firm", "firm_two_factor_policy", "outbox_email", "one_time_token"}


def _firm_event(state: str, handler: str) -> str:
    return HANDLER_NAMES[f"espace.web.firm.{state}.{handler}"][0]


def _ids() -> tuple[int, int, dict[str, str]]:
    """Luce's client id, Julie's membership id, and Luce's form as the firm's page shows it."""
    from espace.models import Client

    with session_scope() as s:
        luce = s.exec(select(User).where(User.email == "academy@secib.fr")).one()
        client = s.exec(select(Client).where(Client.user_id == luce.id)).one()
        julie = s.exec(select(User).where(User.email == "julie.moreau@example.com")).one()
        form = {"nom": luce.nom, "prenom": luce.prenom, "email": luce.email, "adresse": client.adresse or "",
                "code_postal": client.code_postal or "", "ville": client.ville or "", "tel": client.tel or "",
                "mobile": client.mobile or ""}
        return client.id, julie.id, form


def test_the_firms_security_changes_refuse_without_step_up_then_run_once_confirmed(server):
    """Each /admin handler that makes a security change, sent by a session whose proof is
    over: nothing is written (no change, no e-mail), the dialog opens; the password then
    runs the waiting change. Ordinary work (a phone number) asks nothing."""
    cookie = login_cookie(server.url, *DELMAS, origin=server.origin)
    with session_scope() as s:
        delmas = s.exec(select(User).where(User.email == DELMAS[0])).one()
    _forget_step_up(server, delmas)
    client_id, julie_id, luce_form = _ids()
    from espace.services.firm import team

    assert team.deactivate_colleague(delmas, julie_id).ok  # deactivating asks nothing; reactivating does
    client_page, new_email = f"/admin/clients/{client_id}", "luce.ailleurs@example.com"
    cases = (
        ("clients.state.ClientDetailState", client_page, "save", {"form": {**luce_form, "email": new_email}}),
        ("team.state.TeamState", "/admin/equipe", "invite",
         {"form": {"nom": "PIRATE", "prenom": "Pia", "email": "pia@example.com", "role": "admin"}}),
        ("team.state.TeamState", "/admin/equipe", "change_role", {"form": {"user_id": str(julie_id), "role": "admin"}}),
        ("team.state.TeamState", "/admin/equipe", "reactivate", {"user_id": str(julie_id)}),
        ("settings.state.SettingsState", "/admin/parametres", "save",
         {"form": {"name": "Cabinet DELMAS Avocats", "sender_email": "contact@cabinet-delmas.example",
                   "publishable_key": PUBLISHABLE, "secret_key": SECRET, "webhook_secret": WEBHOOK}}),
        ("settings.two_factor_state.TwoFactorPolicyState", "/admin/parametres", "save_policy",
         {"form": {"exiger_collaborateurs": "", "exiger_clients": "on"}}),
    )
    sock = ReflexSocket(server.url, cookie, client_page, origin=server.origin)
    try:
        for state, page, handler, payload in cases:
            mark, start = server.writes.mark(), len(sock.updates)
            sock.send(_firm_event(state, handler), payload, page)
            sock.settle()
            changed = {table for table, _ in server.writes.since(mark)} & FIRM_GUARDED
            assert not changed, f"{state}.{handler} changed {changed} without a step-up"
            assert True in _vars(sock, start, "step_up_open"), f"{state}.{handler} did not ask to confirm"
        # A forged confirmation on a page whose dialog is closed checks nothing.
        start = len(sock.updates)
        sock.send(_firm_event("settings.state.SettingsState", "cancel_step_up"), {}, "/admin/parametres")
        sock.send(_firm_event("settings.state.SettingsState", "confirm_identity"),
                  {"form": {"mot_de_passe_confirmation": "devine"}}, "/admin/parametres")
        sock.settle()
        assert not any(_vars(sock, start, "step_up_error"))
        # Ordinary work on the client's page: a new phone number, no proof asked.
        sock.send(_firm_event("clients.state.ClientDetailState", "load"), {}, client_page)
        start = len(sock.updates)
        sock.send(_firm_event("clients.state.ClientDetailState", "save"),
                  {"form": {**luce_form, "tel": "04 67 00 11 22"}}, client_page)
        sock.settle()
        assert True not in _vars(sock, start, "step_up_open")
        assert "Les coordonnées du client ont été enregistrées." in _vars(sock, start, "message")
        # The client's new address: asked, then the password runs the waiting save.
        sock.send(_firm_event("clients.state.ClientDetailState", "save"),
                  {"form": {**luce_form, "tel": "04 67 00 11 22", "email": new_email}}, client_page)
        sock.settle()
        start = len(sock.updates)
        sock.send(_firm_event("clients.state.ClientDetailState", "confirm_identity"),
                  {"form": {"mot_de_passe_confirmation": DELMAS[1]}}, client_page)
        sock.settle()
        assert False in _vars(sock, start, "step_up_open")
        assert "Les coordonnées du client ont été enregistrées." in _vars(sock, start, "message")
    finally:
        sock.close()
    with session_scope() as s:
        assert s.exec(select(User).where(User.email == new_email)).one() is not None
        assert s.exec(select(User).where(User.email == "pia@example.com")).first() is None
        julie = s.get(User, julie_id)
        assert julie.role.value == "staff" and not julie.active
