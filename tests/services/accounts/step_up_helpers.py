"""A session row for the service tests of security changes: what a login leaves (a
session bound to one membership), with or without a fresh step-up."""
from __future__ import annotations

from datetime import timedelta

from espace.db import session_scope
from espace.models import AuthSession, User, utcnow
from espace.services import crypto as security
from espace.services.accounts.step_up import STEP_UP_MINUTES


def session_for(user: User, *, stepped_up: bool = True, minutes_ago: float = 0) -> str:
    """The token of a live session of `user`; its step-up given `minutes_ago` (none
    when stepped_up is False)."""
    token = security.new_token()
    now = utcnow()
    with session_scope() as s:
        s.add(AuthSession(account_id=user.account_id, user_id=user.id, token_hash=security.token_hash(token),
                          expires_at=now + timedelta(hours=1),
                          step_up_until=(now + timedelta(minutes=STEP_UP_MINUTES - minutes_ago)) if stepped_up
                          else None))
        s.commit()
    return token
