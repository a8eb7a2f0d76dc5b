"""The session check that every page event and API request runs: the session's row and
its user's row by the token's hash, in one plain read (auth.current_session, current_actor);
the idle expiry moved forward at most once a minute."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as core_select
from sqlmodel import col, update

from espace.db import get_engine, session_scope
from espace.models import Account, AuthSession, User, utcnow
from espace.services.accounts.session_store import is_live

TOUCH_EVERY = timedelta(seconds=60)

# Built once: every page event and API request runs them (building a statement costs
# more CPU than SQLite takes to answer it).
_SESSIONS, _USERS, _ACCOUNTS = (sa_inspect(AuthSession).local_table, sa_inspect(User).local_table,
                                sa_inspect(Account).local_table)
_S, _U, _A = _SESSIONS.c, _USERS.c, _ACCOUNTS.c
ACTOR_BY_HASH = (
    core_select(_S.id.label("session_id"), _S.revoked_at, _S.expires_at, _S.last_seen_at,
                _U.id, _U.firm_id, _U.role, _U.nom, _U.prenom, _U.active, _A.must_change_password)
    .select_from(_SESSIONS.join(_USERS, _U.id == _S.user_id).join(_ACCOUNTS, _A.id == _U.account_id))
    .where(_S.token_hash == bindparam("token_hash"))
)
_TOUCH = update(AuthSession).where(col(AuthSession.id) == bindparam("session_id")).values(last_seen_at=bindparam("now"))


def touch_if_due(connection: Connection, session_id: int, last_seen_at: datetime) -> bool:
    """Move the idle expiry forward (at most once a minute); True when written."""
    if utcnow() - last_seen_at <= TOUCH_EVERY:
        return False
    connection.execute(_TOUCH, {"session_id": session_id, "now": utcnow()})
    return True


# The session check of every event: one plain read of the session's row and its user's
# row (no ORM session, no entities). The membership as an ORM User is read once per
# session token and reused while its row reads the same; the liveness (revocation,
# expiry, idleness, deactivation) comes from this read, never from what is kept.
_PROBE = (
    core_select(_S.id.label("session_id"), _S.revoked_at, _S.expires_at, _S.last_seen_at,
                _A.must_change_password, *_U)
    .select_from(_SESSIONS.join(_USERS, _U.id == _S.user_id).join(_ACCOUNTS, _A.id == _U.account_id))
    .where(_S.token_hash == bindparam("token_hash"))
)
_PROBE_USER_FROM = 4  # the columns from must_change_password on: what the kept User was read from
_MEMBERS_MAX = 4096
_USER_KEYS = tuple(c.key for c in _USERS.c)
# token hash -> (engine, the user's columns as read, the membership read with them)
_members: dict[str, tuple[Any, tuple[Any, ...], User]] = {}


def _as_read(user: User) -> tuple[Any, ...]:
    """The kept User's values in _PROBE's order: a handler that changed the object without
    saving it makes it differ from the row, and it is read again."""
    return (user.must_change_password, *(getattr(user, k) for k in _USER_KEYS))


def read_session(token_hash: str) -> tuple[Any, int, User] | None:
    engine = get_engine()
    with engine.connect() as connection:
        row: Any = connection.execute(_PROBE, {"token_hash": token_hash}).first()
        if row is None or not is_live(row) or not row.active:
            return None
        if touch_if_due(connection, row.session_id, row.last_seen_at):
            connection.commit()
    columns = tuple(row)[_PROBE_USER_FROM:]
    kept = _members.get(token_hash)
    if kept is not None and kept[0] is engine and kept[1] == columns and _as_read(kept[2]) == columns:
        return row, row.session_id, kept[2]
    with session_scope() as s:
        user = s.get(User, row.id)
    if user is None:
        return None
    object.__setattr__(user, "must_change_password", bool(row.must_change_password))
    if len(_members) >= _MEMBERS_MAX:
        _members.clear()
    _members[token_hash] = (engine, columns, user)
    return row, row.session_id, user


def live_ids(session_ids: set[int]) -> set[int]:
    """Which of these sessions are still live (not revoked, expired, idle, nor of a
    deactivated membership), in one read: what web/tab_watch.py asks every second for the
    open tabs of a worker."""
    if not session_ids:
        return set()
    statement = (core_select(_S.id, _S.revoked_at, _S.expires_at, _S.last_seen_at, _U.active)
                 .select_from(_SESSIONS.join(_USERS, _U.id == _S.user_id))
                 .where(_S.id.in_(sorted(session_ids))))
    with get_engine().connect() as connection:
        rows: list[Any] = list(connection.execute(statement))
    return {row.id for row in rows if row.active and is_live(row)}
