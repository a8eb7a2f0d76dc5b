"""The links e-mailed for one use: a password reset (for an account) and an
invitation (for one membership). Only the token's hash is stored; a link works once,
until it expires or a newer event voids it."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select, update

from espace.models import Account, OneTimeToken, User, utcnow
from espace.services import crypto as security
from espace.services.accounts.session_store import TOKEN_MAX, stored_id


def issue_one_time_token(s: Session, owner: User | Account, purpose: str, valid_for: timedelta) -> str:
    """A link for an account (reset) or for one membership (invitation: pass the User)."""
    token = security.new_token()
    s.add(
        OneTimeToken(
            account_id=owner.account_id if isinstance(owner, User) else stored_id(owner),
            user_id=owner.id if isinstance(owner, User) else None,
            purpose=purpose,
            token_hash=security.token_hash(token),
            expires_at=utcnow() + valid_for,
        )
    )
    return token


def valid_one_time(s: Session, token: str, purpose: str) -> OneTimeToken | None:
    """The unused, unexpired link row of `token` for `purpose`, or None."""
    if not token or len(token) > TOKEN_MAX:
        return None
    row = s.exec(
        select(OneTimeToken).where(
            col(OneTimeToken.token_hash) == security.token_hash(token), col(OneTimeToken.purpose) == purpose
        )
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def expire_one_time_links(s: Session, account_id: int, purpose: str | None = None) -> None:
    """Void the account's unused links (of one purpose, or all)."""
    stmt = update(OneTimeToken).where(col(OneTimeToken.account_id) == account_id, col(OneTimeToken.used_at).is_(None))
    if purpose:
        stmt = stmt.where(col(OneTimeToken.purpose) == purpose)
    s.exec(stmt.values(used_at=utcnow()))
