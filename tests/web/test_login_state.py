"""The login page's handlers (web/public/login/state.py) in the orders a slow or
reconnecting browser sends them: Reflex runs the page's `load` again on every websocket
(re)connect, and a submit queued before the first `load` is handled before it. Neither
may send the person back from the step they are on. The handlers run on a stand-in for
one tab's state (the attributes they read), against the demo database."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from types import SimpleNamespace

import pyotp
from sqlalchemy import update

from espace.db import session_scope
from espace.models import PendingLogin
from espace.models.base import utcnow
from espace.web.public.login.state import LoginState
from tests.services.accounts.test_two_factor import CLIENT, _enrol, _user


class Tab:
    """One tab's LoginState as the handlers see it (no cookie yet: nobody is logged in)."""

    _step_in_progress = LoginState._step_in_progress
    _ask_second_factor = LoginState._ask_second_factor

    def __init__(self, query: dict[str, str] | None = None):
        self.error = self.info = ""
        self.busy = False
        self.step, self.mode = "password", "totp"
        self.has_totp = self.has_passkey = self.has_recovery = False
        self.code_key = 0
        self._pending = ""
        self.router = SimpleNamespace(url=SimpleNamespace(query_parameters=query or {}),
                                      session=SimpleNamespace(client_token="tab-1"))

    def _user(self):
        return None

    def _token(self):
        return None

    def _ip(self) -> str:
        return "10.0.0.1"

    def _device_cookie(self):
        return None


def _submit(tab: Tab, password: str = CLIENT[1]) -> None:
    asyncio.run(LoginState.submit.fn(tab, {"identifier": CLIENT[0], "password": password}))


def _load(tab: Tab) -> None:
    LoginState.load.fn(tab)


def test_a_submit_handled_before_the_first_load_keeps_the_code_step(demo):
    secret, _ = _enrol(_user())
    tab = Tab()
    _submit(tab)  # the click, queued before the page's state was live
    assert tab.step == "second" and tab._pending
    pending = tab._pending
    _load(tab)  # the page's load, handled after it
    assert (tab.step, tab._pending, tab.mode) == ("second", pending, "totp")
    # The code typed next is accepted: the pending login is the same one.
    LoginState.submit_code.fn(tab, {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert tab.busy and not tab.error and not tab._pending


def test_a_reconnect_on_the_code_step_keeps_the_step_its_mode_and_its_error(demo):
    _, codes = _enrol(_user())
    tab = Tab({"deconnecte": "1"})
    _load(tab)
    assert tab.info == "Vous êtes déconnecté de votre espace."
    _submit(tab)
    LoginState.use_mode.fn(tab, "recovery")
    LoginState.submit_code.fn(tab, {"code": "AAAAA-AAAAA"})
    error = tab.error
    assert error and tab.step == "second"
    for _ in range(2):  # reconnects re-run `load`
        _load(tab)
        assert (tab.step, tab.mode, tab.error) == ("second", "recovery", error)
    LoginState.submit_code.fn(tab, {"code": codes[0]})
    assert tab.busy and not tab.error
    _load(tab)  # a reconnect while the session opens: the page stays as it is
    assert tab.busy and tab.step == "second"


def test_a_later_visit_with_an_expired_pending_login_starts_from_the_password(demo):
    _enrol(_user())
    tab = Tab({"expire": "1"})
    _submit(tab, "pas-le-bon")
    assert tab.error and tab.step == "password"
    _load(tab)  # a wrong password's error is not a step: a new visit clears it
    assert tab.error == "" and tab.info == "Votre session a expiré. Veuillez vous reconnecter."
    _submit(tab)
    assert tab.step == "second"
    with session_scope() as s:
        s.exec(update(PendingLogin).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    _load(tab)
    assert (tab.step, tab._pending, tab.error) == ("password", "", "")
