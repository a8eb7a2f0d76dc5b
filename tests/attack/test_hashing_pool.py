"""Every handler that hashes or verifies a password runs argon2 in the hashing pool,
over the real protocol (issue 22, items 2 and 3): the app in this process (conftest's
`server`), argon2 refused anywhere outside the pool's threads (hashing.STRICT), each
handler of test_hashing_paths.HASHING_HANDLERS sent as a browser sends it, and argon2
seen running in the pool for it. Then the rate limits per account before any check,
and the passkey login options limited per address: a flood from one address never
refuses another."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from tests.attack.conftest import LUCE, MARC
from tests.attack.reflex_socket import ReflexSocket, login_cookie
from tests.attack.test_attack_suite import enumerate_handlers
from tests.attack.test_hashing_paths import HASHING_HANDLERS
from tests.services.accounts.step_up_helpers import session_for

DELMAS = ("fabien.delmas@example.com", "Delmas-Demo-2024")
JULIE_EMAIL = "julie.moreau@example.com"
S = "espace.web."


class Probe:
    """Stands in for hashing._HASHER: records where each argon2 call runs."""

    def __init__(self, real) -> None:
        self.real, self.calls, self.lock = real, [], threading.Lock()

    def _record(self, what: str) -> None:
        from espace.services.accounts import hash_pool

        with self.lock:
            self.calls.append((what, hash_pool.in_pool(), threading.current_thread().name))

    def hash(self, *args, **kwargs):
        self._record("hash")
        return self.real.hash(*args, **kwargs)

    def verify(self, *args, **kwargs):
        self._record("verify")
        return self.real.verify(*args, **kwargs)

    def check_needs_rehash(self, *args, **kwargs):
        return self.real.check_needs_rehash(*args, **kwargs)

    def since(self, mark: int) -> list[tuple[str, bool, str]]:
        with self.lock:
            return list(self.calls[mark:])


@pytest.fixture(scope="module")
def probe(server):
    from espace.services.accounts import hashing

    mp = pytest.MonkeyPatch()
    found = Probe(hashing._HASHER)
    mp.setattr(hashing, "_HASHER", found)
    mp.setattr(hashing, "STRICT", [True])  # argon2 outside the pool raises, on the loop or not
    yield found
    mp.undo()


def _event(key: str) -> str:
    return enumerate_handlers()[key][0]


def _send(sock: ReflexSocket, probe: Probe, key: str, page: str, payload: dict) -> tuple[list, str]:
    sock.settle()
    mark, frames = len(probe.calls), len(sock.frames)
    sock.send(_event(key), payload, page)
    sock.settle()
    return probe.since(mark), sock.text_since(frames)


def _enable_totp(email: str) -> str:
    from espace.db import session_scope
    from espace.models import Account, User
    from espace.services.accounts import two_factor

    with session_scope() as s:
        account = s.exec(select(Account).where(Account.email == email)).one()
        user = s.exec(select(User).where(User.account_id == account.id)).first()
    token = session_for(user)  # a session of its own, just stepped up, enrols the app
    enrolment = two_factor.start_totp(user, token).value
    assert enrolment is not None
    assert two_factor.confirm_totp(user, pyotp.TOTP(enrolment.secret).now(), token).ok
    return enrolment.secret


def _reset_link(email: str) -> str:
    from espace.db import session_scope
    from espace.models import Account
    from espace.services.accounts.one_time_links import issue_one_time_token

    with session_scope() as s:
        account = s.exec(select(Account).where(Account.email == email)).one()
        token = issue_one_time_token(s, account, "reset", timedelta(hours=1))
        s.commit()
    return token


def _temporary_password_firm(email: str) -> None:
    from espace.db import session_scope
    from espace.models import Firm, User

    with session_scope() as s:
        firm = s.get(Firm, s.exec(select(User).where(User.email == email)).first().firm_id)
        firm.invite_with_temporary_password = True
        s.add(firm)
        s.commit()


def _new_client_id(email: str) -> int:
    from espace.db import session_scope
    from espace.models import Client, User

    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        return s.exec(select(Client).where(Client.user_id == user.id)).one().id


def _forget_step_up(email: str) -> None:
    """The person's sessions are past their 5 minutes of step-up (the login's included)."""
    import sqlalchemy as sa

    from espace.db import session_scope
    from espace.models import Account, AuthSession

    with session_scope() as s:
        account_id = s.exec(select(Account.id).where(Account.email == email)).one()
        s.exec(sa.update(AuthSession).where(AuthSession.account_id == account_id).values(step_up_until=None))
        s.commit()


def _user_id(email: str) -> int:
    from espace.db import session_scope
    from espace.models import User

    with session_scope() as s:
        return s.exec(select(User.id).where(User.email == email)).first()


def _assert_in_pool(key: str, calls: list, log: str) -> None:
    assert calls, f"{key}: no argon2 call"
    assert all(in_pool for _what, in_pool, _thread in calls), (key, calls)
    assert all(thread.startswith("espace-hash-") for _what, _in_pool, thread in calls), (key, calls)
    assert "OnEventLoop" not in log and "outside the hashing pool" not in log, log[-2000:]


def test_every_hashing_handler_runs_argon2_in_the_pool(server, probe):
    seen: dict[str, list] = {}
    mark = server.log.mark()

    # The login form (its verification), as a browser: login_cookie sends LoginState.submit.
    before = len(probe.calls)
    luce = login_cookie(server.url, *LUCE, origin=server.origin)
    seen[S + "public.login.state.LoginState.submit"] = probe.since(before)

    sock = ReflexSocket(server.url, luce, "/mon-compte", origin=server.origin)
    try:
        calls, text = _send(sock, probe, S + "account.state.AccountState.change_password", "/mon-compte",
                            {"form": {"current": "pas-le-bon", "new": "Nouveau-Mot-2024", "confirm": "Nouveau-Mot-2024"}})
        assert "Le mot de passe actuel est incorrect." in text
        seen[S + "account.state.AccountState.change_password"] = calls
        calls, text = _send(sock, probe, S + "public.first_login.state.FirstLoginState.submit", "/premiere-connexion",
                            {"form": {"current": "pas-le-bon", "new": "Nouveau-Mot-2024", "confirm": "Nouveau-Mot-2024"}})
        seen[S + "public.first_login.state.FirstLoginState.submit"] = calls
        _enable_totp(LUCE[0])
        # The step-up (« Confirmez votre identité »), before a security change: a wrong password.
        key = S + "account.security.state.SecurityState.confirm_identity"
        calls, text = _send(sock, probe, key, "/mon-compte/securite",
                            {"form": {"mot_de_passe_confirmation": "pas-le-bon", "code_confirmation": "123456"}})
        assert "Mot de passe ou code incorrect." in text, text[-1000:]
        seen[key] = calls
        # A new e-mail address asks the same proof, inside the contact form.
        key = S + "client.contact.state.ContactDetailsState.submit"
        calls, text = _send(sock, probe, key, "/mon-compte/coordonnees",
                            {"form": {"mot_de_passe_confirmation": "pas-le-bon", "code_confirmation": "123456"}})
        assert "Mot de passe ou code incorrect." in text, text[-1000:]
        seen[key] = calls
    finally:
        sock.close()

    sock = ReflexSocket(server.url, "", f"/reinitialiser?jeton={_reset_link(MARC[0])}", origin=server.origin)
    try:
        calls, text = _send(sock, probe, S + "public.login.state.ResetState.submit", "/reinitialiser",
                            {"form": {"new": "Bertrand-Nouveau-2025", "confirm": "Bertrand-Nouveau-2025"}})
        assert "Votre mot de passe a été enregistré" in text, text[-1000:]
        seen[S + "public.login.state.ResetState.submit"] = calls
    finally:
        sock.close()

    _temporary_password_firm(DELMAS[0])
    delmas = login_cookie(server.url, *DELMAS, origin=server.origin)
    sock = ReflexSocket(server.url, delmas, "/admin/clients/nouveau", origin=server.origin)
    try:
        form = {"nom": "HASH", "prenom": "Pool", "email": "hash.pool@example.com", "adresse": "", "code_postal": "",
                "ville": "", "tel": "", "mobile": ""}
        calls, text = _send(sock, probe, S + "firm.clients.state.ClientNewState.submit", "/admin/clients/nouveau",
                            {"form": form})
        assert "Mot de passe provisoire envoyé" in text, text[-1000:]
        seen[S + "firm.clients.state.ClientNewState.submit"] = calls
        page = f"/admin/clients/{_new_client_id('hash.pool@example.com')}"
        sock.send(_event(S + "firm.clients.state.ClientDetailState.load"), {}, page)
        calls, text = _send(sock, probe, S + "firm.clients.state.ClientDetailState.resend", page, {})
        assert "Mot de passe provisoire envoyé" in text, text[-1000:]
        seen[S + "firm.clients.state.ClientDetailState.resend"] = calls
        # The step-up of the firm's security changes (web/step_up.py), on each /admin page that
        # asks it: the login's proof is over, a security change opens the dialog, a wrong password.
        _forget_step_up(DELMAS[0])
        for state, where, action, payload in (
                ("clients.state.ClientDetailState", page, "save", {"form": {**form, "email": "hash.pool2@example.com"}}),
                ("team.state.TeamState", "/admin/equipe", "change_role",
                 {"form": {"user_id": str(_user_id(JULIE_EMAIL)), "role": "admin"}}),
                ("settings.state.SettingsState", "/admin/parametres", "save",
                 {"form": {"name": "Cabinet DELMAS Avocats", "sender_email": "ailleurs@example.com"}}),
                ("settings.two_factor_state.TwoFactorPolicyState", "/admin/parametres", "save_policy",
                 {"form": {"exiger_clients": "on"}})):
            _send(sock, probe, f"{S}firm.{state}.{action}", where, payload)
            key = f"{S}firm.{state}.confirm_identity"
            calls, text = _send(sock, probe, key, where, {"form": {"mot_de_passe_confirmation": "pas-le-bon"}})
            assert "Mot de passe ou code incorrect." in text, text[-1000:]
            seen[key] = calls
    finally:
        sock.close()

    # The step-up with a passkey (assets/webauthn.js): the password checked by the route.
    mark_route = len(probe.calls)
    request = urllib.request.Request(
        f"{server.url}/api/webauthn/confirmation", method="POST",
        data=json.dumps({"password": "pas-le-bon", "credential": {}}).encode(),
        headers={"X-Requested-With": "espace", "Content-Type": "application/json", "Origin": server.origin,
                 "Cookie": luce})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400 and "incorrect" in json.loads(refused.value.read())["error"]
    seen["['POST'] /api/webauthn/confirmation"] = probe.since(mark_route)

    assert set(seen) == set(HASHING_HANDLERS)
    for key, calls in seen.items():
        _assert_in_pool(key, calls, server.log.since(mark))
    print("\n" + "\n".join(f"{'.'.join(k.rsplit('.', 2)[-2:])}: {[c[0] for c in v]} in "
                           f"{sorted({c[2] for c in v})}" for k, v in seen.items()))


def test_password_checks_are_limited_per_account_before_any_check(server, probe):
    """CHECKS_PER_ACCOUNT (10 a minute): the 11th wrong proof is refused without argon2."""
    from espace.config import settings

    cookie = login_cookie(server.url, *DELMAS, origin=server.origin)
    sock = ReflexSocket(server.url, cookie, "/admin/compte", origin=server.origin)
    key = S + "account.state.AccountState.change_password"
    try:
        answers = []
        for _ in range(settings.checks_per_account + 2):
            calls, text = _send(sock, probe, key, "/admin/compte",
                                {"form": {"current": "faux", "new": "Nouveau-Mot-2024", "confirm": "Nouveau-Mot-2024"}})
            answers.append(("Trop de tentatives" in text, len(calls)))
    finally:
        sock.close()
    # (the login above and this account's earlier checks count too: the refusals come at the latest here)
    refused = [n for n, (too_many, _calls) in enumerate(answers) if too_many]
    assert refused and refused == list(range(refused[0], len(answers))), answers
    assert all(calls == 0 for too_many, calls in answers if too_many), answers
    assert all(calls == 1 for too_many, calls in answers if not too_many), answers


def _options(server, address: str, cookie: str = "") -> int:
    request = urllib.request.Request(
        f"{server.url}/api/webauthn/connexion/options", data=b"{}", method="POST",
        headers={"X-Requested-With": "espace", "Content-Type": "application/json", "Origin": server.origin,
                 "X-Forwarded-For": address, **({"Cookie": cookie} if cookie else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read())["ok"] is True
            return answer.status
    except urllib.error.HTTPError as refused:
        assert "Trop de tentatives" in json.loads(refused.read())["error"]
        return refused.code


def test_a_flood_of_passkey_options_from_one_address_never_refuses_another(server, monkeypatch):
    from espace.config import settings

    monkeypatch.setattr(settings, "trusted_proxies", "127.0.0.1")
    monkeypatch.setattr(settings, "passkey_options_per_address", 30)
    flood = [_options(server, "203.0.113.7") for _ in range(200)]
    assert flood[:30] == [200] * 30 and set(flood[30:]) == {429}
    # Another address, and another in the same IPv6 /64 as an IPv6 flood, answered alike.
    assert _options(server, "198.51.100.20") == 200
    v6 = [_options(server, f"2001:db8:1:2::{n:x}") for n in range(1, 40)]
    assert v6[:30] == [200] * 30 and set(v6[30:]) == {429}
    assert _options(server, "2001:db8:1:3::1") == 200
    # A browser with a device cookie behind the flooding address has its own budget.
    assert _options(server, "203.0.113.7", "espace_appareil=" + "n" * 22 + "." + "s" * 43) == 200
