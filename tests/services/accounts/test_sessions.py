"""Open sessions (« Mon compte »): the list is the caller's own (device from the
User-Agent, address, last activity in Paris time, « Cette session »); closing one
or all the others takes effect at that session's next request; another user's
session id, a malformed or huge id changes nothing."""
from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta

from sqlmodel import select
from starlette.applications import Starlette

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace.db import session_scope
from espace.demo import (
    JULIE_EMAIL,
    JULIE_PASSWORD,
    LAWYER_EMAIL,
    LAWYER_PASSWORD,
    LUCE_EMAIL,
    LUCE_PASSWORD,
    MARC_EMAIL,
    MARC_PASSWORD,
)
from espace.http import core as api
from espace.http import routes
from espace.models import AuditEvent, AuthSession
from espace.services import AccessDenied
from espace.services.accounts import auth, sessions
from tests.admin_helpers import session_token

CHROME_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.1 Mobile/15E148 Safari/604.1")
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:132.0) Gecko/20100101 Firefox/132.0"


def opened(identifier: str, password: str, user_agent: str = "", ip: str = "203.0.113.7") -> str:
    result = auth.login(identifier, password, "127.0.0.1")
    assert result.ok, result.error
    token_user = auth.open_session(result.ticket, result.browser_key, user_agent=user_agent, ip=ip)
    assert token_user is not None
    return token_user[0]


def session_id(token: str) -> int:
    with session_scope() as s:
        return s.exec(select(AuthSession.id).where(AuthSession.token_hash == auth.security.token_hash(token))).one()


def test_device_names_from_user_agents():
    assert sessions.describe_device(CHROME_WIN) == "Chrome 131 — Windows 10"
    assert sessions.describe_device(IPHONE) == "Mobile Safari 17 — iOS 17"
    assert sessions.describe_device(FIREFOX_MAC) == "Firefox 132 — Mac OS X 14"
    assert sessions.describe_device("") == "Appareil inconnu"
    assert sessions.describe_device("\x00" * 5000) == "Appareil inconnu"


def test_the_ticket_route_stores_the_user_agent_and_address(demo):
    result = auth.login(LUCE_EMAIL, LUCE_PASSWORD, "127.0.0.1")
    with TestClient(Starlette(routes=routes.api.routes)) as http:
        http.cookies.set(api.LOGIN_KEY_COOKIE, result.browser_key)
        answer = http.get(f"/api/session/ouvrir?ticket={result.ticket}", headers={"User-Agent": IPHONE},
                          follow_redirects=False)
    assert answer.status_code == 303
    token = answer.cookies.get(api.SESSION_COOKIE)
    with session_scope() as s:
        row = s.get(AuthSession, session_id(token))
        assert row.user_agent == IPHONE and row.ip == "testclient"
    [mine] = sessions.list_sessions(token)
    assert mine.device == "Mobile Safari 17 — iOS 17" and mine.current is True


def test_list_is_the_callers_own_sessions_current_first(demo):
    first = opened(LUCE_EMAIL, LUCE_PASSWORD, CHROME_WIN, "198.51.100.1")
    second = opened(LUCE_EMAIL, LUCE_PASSWORD, IPHONE, "198.51.100.2")
    opened(MARC_EMAIL, MARC_PASSWORD, FIREFOX_MAC)  # another client's session: never listed
    opened(LAWYER_EMAIL, LAWYER_PASSWORD, FIREFOX_MAC)
    rows = sessions.list_sessions(first)
    assert [(r.device, r.ip, r.current) for r in rows] == [
        ("Chrome 131 — Windows 10", "198.51.100.1", True), ("Mobile Safari 17 — iOS 17", "198.51.100.2", False)]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", r.last_seen) for r in rows)
    assert [r.current for r in sessions.list_sessions(second)] == [True, False]
    # Closed, expired and idle sessions are not listed; without a live session: AccessDenied.
    auth.logout(second)
    assert len(sessions.list_sessions(first)) == 1
    for token in (second, "", None, "x" * 500):
        try:
            sessions.list_sessions(token)
        except AccessDenied:
            continue
        raise AssertionError(f"listed for {token!r}")


def test_last_activity_is_shown_in_paris_time(demo):
    token = opened(LUCE_EMAIL, LUCE_PASSWORD, CHROME_WIN)
    with session_scope() as s:
        row = s.get(AuthSession, session_id(token))
        row.last_seen_at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
        s.add(row)
        s.commit()
        seen = row.last_seen_at
    from zoneinfo import ZoneInfo

    expected = seen.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M")
    assert sessions.list_sessions(token)[0].last_seen == expected


def test_revoking_one_session_takes_effect_at_its_next_request(demo):
    mine = opened(LUCE_EMAIL, LUCE_PASSWORD, CHROME_WIN)
    other = opened(LUCE_EMAIL, LUCE_PASSWORD, IPHONE)
    assert auth.current_user(other) is not None
    result = sessions.revoke_session(mine, str(session_id(other)))
    assert result.ok and result.message == "La session a été déconnectée."
    assert auth.current_user(other) is None
    assert auth.current_user(mine) is not None
    assert [r.current for r in sessions.list_sessions(mine)] == [True]
    # Again: already closed.
    assert sessions.revoke_session(mine, session_id(other)).errors == {"form": sessions.NOT_FOUND}
    # Its own session: « Déconnexion » is the way.
    assert sessions.revoke_session(mine, session_id(mine)).errors == {"form": sessions.CURRENT}
    assert auth.current_user(mine) is not None
    with session_scope() as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.action == "session_fermee")).all()
    assert actions == ["session_fermee"]


def test_another_users_session_id_changes_nothing(demo):
    luce = opened(LUCE_EMAIL, LUCE_PASSWORD, CHROME_WIN)
    marc = opened(MARC_EMAIL, MARC_PASSWORD, CHROME_WIN)
    lawyer = opened(LAWYER_EMAIL, LAWYER_PASSWORD, CHROME_WIN)
    julie = session_token(JULIE_EMAIL, JULIE_PASSWORD)
    for victim in (marc, lawyer, julie):
        result = sessions.revoke_session(luce, session_id(victim))
        assert not result.ok and result.errors == {"form": sessions.NOT_FOUND}
        assert auth.current_user(victim) is not None
    # A colleague cannot close the firm's other sessions either.
    assert not sessions.revoke_session(julie, session_id(lawyer)).ok
    assert auth.current_user(lawyer) is not None
    for hostile in (10**30, -1, 0, "1 OR 1=1", [session_id(marc)], {"id": 1}, None, True, "9" * 500, 1.5e300):
        result = sessions.revoke_session(luce, hostile)
        assert not result.ok and result.errors == {"form": sessions.NOT_FOUND}
    assert all(auth.current_user(t) is not None for t in (luce, marc, lawyer, julie))
    # Without a live session of one's own: nothing.
    auth.logout(luce)
    assert sessions.revoke_session(luce, session_id(marc)).errors == {"form": sessions.EXPIRED}
    assert sessions.revoke_other_sessions(luce).errors == {"form": sessions.EXPIRED}
    assert sessions.revoke_other_sessions(None).errors == {"form": sessions.EXPIRED}
    assert auth.current_user(marc) is not None


def test_revoke_all_other_sessions_keeps_this_one_and_nobody_elses(demo):
    mine = opened(LAWYER_EMAIL, LAWYER_PASSWORD, CHROME_WIN)
    others = [opened(LAWYER_EMAIL, LAWYER_PASSWORD, IPHONE) for _ in range(2)]
    colleague = session_token(JULIE_EMAIL, JULIE_PASSWORD)
    client = opened(LUCE_EMAIL, LUCE_PASSWORD)
    result = sessions.revoke_other_sessions(mine)
    assert result.ok and result.message == "Toutes les autres sessions ont été déconnectées."
    assert all(auth.current_user(t) is None for t in others)
    assert auth.current_user(mine) is not None
    assert auth.current_user(colleague) is not None and auth.current_user(client) is not None
    assert sessions.revoke_other_sessions(mine).message == "Aucune autre session n'était ouverte."
