"""The server-side session rows below every account service: whether a token's
session is live, the membership as the acting user, closing a person's sessions.

A session token is the HttpOnly cookie's value; only its SHA-256 is stored. A session
is live until revoked, past its absolute expiry, or idle for SESSION_IDLE_MINUTES."""
from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from sqlalchemy import bindparam
from sqlmodel import Session, col, select, update

from espace.config import settings
from espace.models import Account, AuthSession, User, utcnow
from espace.services import crypto as security

TOKEN_MAX = 200  # longer is no token of ours: refused before hashing

# Built once: every page event and API request runs it (building a statement costs
# more CPU than SQLite takes to answer it).
SESSION_BY_HASH = select(AuthSession).where(col(AuthSession.token_hash) == bindparam("token_hash"))


class Stored(Protocol):
    id: int | None


def stored_id(row: Stored) -> int:
    """The primary key of a row read from the database (typed: never None there)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} not stored yet")
    return row.id


def is_live(row: AuthSession | None) -> bool:
    """Not revoked, not expired, not idle (row may be any object with these columns)."""
    now = utcnow()
    return not (
        row is None
        or row.revoked_at is not None
        or row.expires_at <= now
        or row.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= now
    )


def live_session(s: Session, token: str) -> AuthSession | None:
    """The live session row of a token, or None."""
    if not token or len(token) > TOKEN_MAX:
        return None
    row = s.exec(SESSION_BY_HASH, params={"token_hash": security.token_hash(token)}).first()
    return row if is_live(row) else None


def with_account_flags(user: User, account: Account | None) -> User:
    """The membership as the acting user: carries its account's must_change_password
    (not a column of user; see models.User)."""
    object.__setattr__(user, "must_change_password", bool(account and account.must_change_password))
    return user


def revoke_account_sessions(s: Session, account_id: int, *, except_token: str | None = None) -> None:
    """Close every session of a person, in every firm (password changed or reset)."""
    stmt = update(AuthSession).where(col(AuthSession.account_id) == account_id, col(AuthSession.revoked_at).is_(None))
    if except_token:
        stmt = stmt.where(col(AuthSession.token_hash) != security.token_hash(except_token))
    s.exec(stmt.values(revoked_at=utcnow()))
