"""The login waiting for its second factor.

After a correct password, an account with a second factor gets a pending login (a
random token of which only the hash is kept, 5 minutes, 5 attempts) and no session;
a wrong code counts as a failed login for the identifier's throttle. The login page
keeps the token server-side (and, for a passkey, in the `espace_2fa` cookie)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, delete, select, update

from espace.db import session_scope
from espace.models import Account, PendingLogin, User, utcnow
from espace.services import audit
from espace.services import crypto as security
from espace.services.accounts import identities, login_guard
from espace.services.accounts.factors import account_of, factor_count, recovery_codes_left
from espace.services.accounts.session_store import TOKEN_MAX, stored_id

PENDING_MINUTES = 5
PENDING_MAX_ATTEMPTS = 5
EXPIRED = "Votre connexion a expiré. Veuillez saisir à nouveau votre identifiant et votre mot de passe."


@dataclass(frozen=True, slots=True)
class Methods:
    """The second factors a pending login's account may use."""

    totp: bool
    passkey: bool
    recovery: bool


def start_pending(s: Session, user: User | Account, ip: str) -> str:
    """Called by auth.login after a correct password: a pending login instead of a
    session. Returns the token (only its hash is stored)."""
    now = utcnow()
    s.exec(delete(PendingLogin).where(col(PendingLogin.expires_at) < now))
    token = security.new_token()
    s.add(PendingLogin(account_id=account_of(user), token_hash=security.token_hash(token), ip=ip[:64],
                       expires_at=now + timedelta(minutes=PENDING_MINUTES)))
    return token


def pending_account(s: Session, token: str | None) -> PendingLogin | None:
    """The live pending login of a token (unused, unexpired, attempts left), or None."""
    if not token or not isinstance(token, str) or len(token) > TOKEN_MAX:
        return None
    row = s.exec(select(PendingLogin).where(col(PendingLogin.token_hash) == security.token_hash(token))).first()
    if (row is None or row.used_at is not None or row.expires_at <= utcnow()
            or row.attempts >= PENDING_MAX_ATTEMPTS):
        return None
    return row


def pending_methods(token: str) -> Methods | None:
    """Which second factors the pending login's account has, or None if expired."""
    with session_scope() as s:
        row = pending_account(s, token)
        if row is None:
            return None
        totp, keys = factor_count(s, row.account_id)
        return Methods(totp=totp, passkey=keys > 0, recovery=recovery_codes_left(s, row.account_id) > 0)


def record_failure(s: Session, row: PendingLogin, account: Account | None, ip: str, what: str,
                   device_cookie: str | None = None) -> None:
    """A wrong second factor: the pending login loses an attempt and the identifier
    gets a failed login (the same lockout as a wrong password: the browser's device
    cookie decides whose failures it is, services/accounts/login_guard.py), in each firm's trail."""
    s.exec(update(PendingLogin).where(col(PendingLogin.id) == row.id)
           .values(attempts=col(PendingLogin.attempts) + 1))
    if account is None:
        return
    ident = identities.normalize_identifier(account.email)
    login_guard.record_failure(s, login_guard.Verdict(False, ident, ip, login_guard.device_nonce(device_cookie, ident)))
    for member, _ in identities.active_memberships(s, stored_id(account)):
        audit.record(s, member, "connexion_refusee", what, ip)


def claim_pending(s: Session, row: PendingLogin) -> bool:
    """Mark the pending login used (guarded: two concurrent completions cannot both win)."""
    claimed = s.exec(update(PendingLogin).where(col(PendingLogin.id) == row.id, col(PendingLogin.used_at).is_(None))
                     .values(used_at=utcnow()))
    return claimed.rowcount == 1
