"""The checks every event runs, kept per process, still follow a change: the firm's 2FA
rule (kept per firm) and the session (one plain read; the membership's ORM row kept)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import event
from sqlmodel import select

from espace.config import settings
from espace.db import get_engine, session_scope
from espace.models import AuthSession, User
from espace.services import crypto as security
from espace.services.accounts import auth, change_channel, factors, recent_reads, sessions, two_factor
from tests.infra import redis_server

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
    two_factor.set_policy(lawyer, False, True)
    assert factors.enrolment_required(client)
    assert auth.home_path_for(client) == auth.ENROL_SECOND_FACTOR
    two_factor.set_policy(lawyer, False, False)
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


def _later(monkeypatch, seconds: float) -> None:
    """This process's clock for the kept rule, `seconds` ahead (instead of waiting)."""
    now = time.monotonic()
    monkeypatch.setattr(factors, "_monotonic", lambda: time.monotonic() - now + now + seconds)


def _require_clients_elsewhere(firm_id: int) -> None:
    _elsewhere(f"DELETE FROM firm_two_factor_policy WHERE firm_id = {firm_id}",
               "INSERT INTO firm_two_factor_policy (firm_id, require_staff, require_clients) "
               f"VALUES ({firm_id}, false, true)")


def _until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def redis_url(tmp_path, monkeypatch):
    with redis_server(tmp_path / "redis") as redis:
        monkeypatch.setattr(settings, "redis_url", redis.url)
        monkeypatch.setattr(change_channel, "RETRY_SECONDS", 0.0)
        change_channel.stop()
        try:
            yield redis
        finally:
            change_channel.stop()


def test_one_worker_keeps_the_rule_past_the_session_window(demo, monkeypatch):
    """Without Redis the app runs one worker, through which every change goes: the rule
    is not read again at each navigation of a person paced 0.6 s apart."""
    monkeypatch.setattr(settings, "redis_url", None)
    lawyer, client = _user(LAWYER[0]), _user(CLIENT[0])
    factors.forget_rules()
    assert not factors.enrolment_required(client)
    _later(monkeypatch, 5 * factors.RULE_FOR_SECONDS)
    assert _reads_of("firm_two_factor_policy", lambda: factors.enrolment_required(client)) == 0
    two_factor.set_policy(lawyer, False, True)  # a change through this worker: the very next event
    assert factors.enrolment_required(client)
    two_factor.set_policy(lawyer, False, False)


def test_a_rule_changed_by_another_worker_is_forgotten_when_it_tells(demo, redis_url):
    """With Redis, the rule is kept until a worker publishes its change (set_policy, once
    committed); the message reaches this process's listener and the next event reads it."""
    client = _user(CLIENT[0])
    assert _until(change_channel.listening)  # (listening from now on: what was kept before is forgotten)
    assert not factors.enrolment_required(client)
    _require_clients_elsewhere(client.firm_id)  # the other worker's commit…
    assert not factors.enrolment_required(client)  # …not told yet: the rule this process keeps
    change_channel.publish(factors.CHANGED)  # …what its set_policy does right after the commit
    recent_reads.forget()
    assert _until(lambda: factors.enrolment_required(client))


def test_set_policy_tells_every_worker_after_its_commit(demo, redis_url):
    import redis

    other_worker = redis.Redis.from_url(redis_url.url).pubsub(ignore_subscribe_messages=True)
    other_worker.subscribe(change_channel.CHANNEL)
    try:
        lawyer = _user(LAWYER[0])
        two_factor.set_policy(lawyer, True, False)
        heard: list[bytes] = []

        def told() -> bool:
            message = other_worker.get_message(timeout=0.1)  # (None for the subscription's own reply)
            if message is not None:
                heard.append(message["data"])
            return bool(heard)

        assert _until(told)
        assert heard == [factors.CHANGED.encode()]
    finally:
        two_factor.set_policy(_user(LAWYER[0]), False, False)
        other_worker.close()


def test_without_its_listener_the_rule_is_kept_only_the_session_window(demo, redis_url, monkeypatch):
    """Redis configured but away: a change would not reach this process, so the rule is
    read again past RULE_FOR_SECONDS, as before the channel existed."""
    client = _user(CLIENT[0])
    assert _until(change_channel.listening)  # (listening from now on: what was kept before is forgotten)
    assert not factors.enrolment_required(client)
    redis_url.stop()
    assert _until(lambda: not change_channel.listening())
    _require_clients_elsewhere(client.firm_id)
    _later(monkeypatch, 2 * factors.RULE_FOR_SECONDS)
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
