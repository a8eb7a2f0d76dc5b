"""The session check is read once per navigation, and a change is seen by the next event."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event

from espace.db import get_engine
from espace.models import utcnow
from espace.services.accounts import auth, recent_reads, session_reads, session_store
from espace.services.firm import clients as firm_clients
from tests.admin_helpers import user

CLIENT = ("academy@secib.fr", "a12RJ3d11P")


def _login() -> str:
    result = auth.login(*CLIENT, "10.0.0.7")
    assert result.ok, result.error
    token, _ = auth.open_session(result.ticket, result.browser_key)
    return token


def _session_reads(fn) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "token_hash" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    return len(seen)


def test_the_three_events_of_a_navigation_read_the_session_once(demo):
    token = _login()
    recent_reads.forget()
    user_ids = []
    reads = _session_reads(lambda: user_ids.extend(auth.current_user(token).id for _ in range(3)))
    assert reads == 1 and len(set(user_ids)) == 1
    time.sleep(recent_reads.READ_FOR_SECONDS + 0.05)
    assert _session_reads(lambda: auth.current_user(token)) == 1  # read again once the window has passed


def test_a_logout_is_seen_by_the_very_next_event(demo):
    token = _login()
    assert auth.current_user(token) is not None
    auth.logout(token)
    assert auth.current_user(token) is None


def test_a_deactivated_client_is_refused_by_the_very_next_event(demo):
    token = _login()
    assert auth.current_user(token) is not None
    assert firm_clients.deactivate_client(user(demo["lawyer_id"]), demo["client_id"]).ok
    assert auth.current_user(token) is None


def test_a_remembered_session_still_expires_with_the_clock(demo, monkeypatch):
    token = _login()
    assert auth.current_user(token) is not None
    later = utcnow() + timedelta(hours=13)
    monkeypatch.setattr(session_store, "utcnow", lambda: later)
    assert auth.current_user(token) is None


def test_a_session_read_while_another_thread_logs_out_is_not_kept(demo, monkeypatch):
    """On PostgreSQL the reads run in several threads (web/offload.py): a read that began
    before another thread's logout was committed may return the live row; it is answered
    but not kept, so the very next event reads the session again and sees the logout."""
    from espace.config import settings

    monkeypatch.setattr(settings, "event_db_threads", 2)  # as on PostgreSQL
    token = _login()
    recent_reads.forget()
    other = threading.Thread(target=auth.logout, args=(token,))
    real_read = session_reads.read_session

    def read_then_logout_elsewhere(token_hash):
        found = real_read(token_hash)  # the live row, read first
        other.start()  # meanwhile another thread writes and commits the logout
        other.join()
        return found

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "read_session", read_then_logout_elsewhere)
        assert auth.current_user(token) is not None  # what the read saw
    assert auth.current_user(token) is None  # the next event: not the kept live row
    assert auth.kept_session(token) is recent_reads.MISS or auth.kept_session(token) is None
