"""The checks every event runs, kept per process, still follow a change: the firm's 2FA
rule (kept per firm) and the session (one plain read; the membership's ORM row kept)."""
from __future__ import annotations

import time

from sqlalchemy import event
from sqlmodel import select

from espace.db import get_engine, session_scope
from espace.models import AuthSession, User
from espace.services import crypto as security
from espace.services.accounts import auth, factors, recent_reads, sessions
from espace.services.firm import settings as firm_settings
from tests.services.accounts.step_up_helpers import session_for

CLIENT = ("academy@secib.fr", "a12RJ3d11P")
LAWYER = ("fabien.delmas@example.com", "Delmas-Demo-2024")


def _user(email: str) -> User:
    with session_scope() as s:
        return s.exec(select(User).where(User.email == email)).one()


def _login(identifier: str, password: str) -> str:
    result = auth.login(identifier, password, "10.0.0.7")
    assert result.ok, result.error
    token, _ = auth.open_session(result.ticket, result.browser_key)
    return token


def _elsewhere(*statements: str) -> None:
    """Written as another worker would: on a raw DBAPI connection, unseen by this
    process's SQLAlchemy events."""
    raw = get_engine().raw_connection()
    try:
        cursor = raw.cursor()
        for statement in statements:
            cursor.execute(statement)
        raw.commit()
    finally:
        raw.close()


def _reads_of(table: str, fn) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if table in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    return len(seen)


def test_the_firm_rule_is_read_once_for_every_member_and_event(demo):
    lawyer, client = _user(LAWYER[0]), _user(CLIENT[0])
    factors.forget_rules()
    reads = _reads_of("firm_two_factor_policy",
                      lambda: [factors.enrolment_required(u) for _ in range(20) for u in (lawyer, client)])
    assert reads == 1


def test_the_firm_switching_enrolment_on_sends_the_next_event_to_enrolment(demo):
    lawyer, client = _user(LAWYER[0]), _user(CLIENT[0])
    assert not factors.enrolment_required(client)  # the rule is now kept by this process
    assert auth.home_path_for(client) != auth.ENROL_SECOND_FACTOR
    firm_settings.set_two_factor_policy(lawyer, False, True, token=session_for(lawyer))
    assert factors.enrolment_required(client)
    assert auth.home_path_for(client) == auth.ENROL_SECOND_FACTOR
    firm_settings.set_two_factor_policy(lawyer, False, False, token=session_for(lawyer))
    assert not factors.enrolment_required(client)


def test_a_rule_written_directly_in_this_process_is_seen_by_the_next_event(demo):
    client = _user(CLIENT[0])
    assert not factors.enrolment_required(client)
    with session_scope() as s:
        policy = factors.policy_for_firm(s, client.firm_id)
        policy.require_clients = True
        s.add(policy)
        s.commit()
    assert factors.enrolment_required(client)


def test_a_rule_changed_by_another_worker_is_followed_within_its_window(demo, monkeypatch):
    monkeypatch.setattr(factors, "RULE_FOR_SECONDS", 0.2)
    client = _user(CLIENT[0])
    assert not factors.enrolment_required(client)
    _elsewhere(f"DELETE FROM firm_two_factor_policy WHERE firm_id = {client.firm_id}",
               "INSERT INTO firm_two_factor_policy (firm_id, require_staff, require_clients) "
               f"VALUES ({client.firm_id}, false, true)")
    time.sleep(0.25)
    recent_reads.forget()
    assert factors.enrolment_required(client)


def test_a_revoked_session_is_refused_at_its_next_event(demo):
    token = _login(*CLIENT)
    other = _login(*CLIENT)
    assert auth.current_user(token) is not None and auth.current_user(other) is not None
    with session_scope() as s:
        other_id = s.exec(select(AuthSession.id).where(AuthSession.token_hash == security.token_hash(other))).one()
    assert sessions.revoke_session(token, other_id).ok
    assert auth.current_user(other) is None
    assert auth.current_user(token) is not None


def test_a_session_revoked_by_another_worker_is_refused_once_read_again(demo):
    token = _login(*CLIENT)
    first = auth.current_user(token)
    assert first is not None
    _elsewhere(f"UPDATE auth_session SET revoked_at = last_seen_at WHERE token_hash = '{security.token_hash(token)}'")
    recent_reads.forget()  # the next navigation (web/tab_identity.py reads at every event past the window)
    assert auth.current_user(token) is None


def test_the_kept_membership_is_read_again_when_its_row_changed(demo):
    token = _login(*CLIENT)
    first = auth.current_user(token)
    assert first is not None
    recent_reads.forget()
    assert auth.current_user(token) is first  # unchanged row: the same membership, no ORM read
    _elsewhere(f"UPDATE \"user\" SET nom = 'AUTRE' WHERE id = {first.id}")
    recent_reads.forget()
    again = auth.current_user(token)
    assert again is not None and again is not first and again.nom == "AUTRE"
    _elsewhere(f"UPDATE \"user\" SET active = false WHERE id = {first.id}")
    recent_reads.forget()
    assert auth.current_user(token) is None


def test_a_kept_membership_changed_in_memory_is_not_served(demo):
    token = _login(*CLIENT)
    first = auth.current_user(token)
    assert first is not None
    first.role = "admin"  # a handler's unsaved change must not leak to the next event
    recent_reads.forget()
    again = auth.current_user(token)
    assert again is not None and again is not first and again.role != "admin"
