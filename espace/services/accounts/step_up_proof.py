"""The proof a step-up asks for (services/accounts/step_up.py): the password and, when
the person has a second factor, a code of the authenticator app, a recovery code, or a
passkey.

`confirm` and `confirm_with_passkey` verify an argon2 hash: call them through
`hashing.run` (never on the event loop). Every wrong proof counts on the session row;
at the MAX_FAILURES-th the session is closed (a stolen session cannot guess the
password), and each one is in the audit trail."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session

from espace.db import session_scope
from espace.domain.outcome import Outcome
from espace.models import Account, AuthSession, User, utcnow
from espace.services import audit
from espace.services.accounts import hashing, passkeys, two_factor
from espace.services.accounts.factors import account_of, factor_count
from espace.services.accounts.step_up import EXPIRED, MAX_FAILURES, STEP_UP_MINUTES, grant, session_of

log = logging.getLogger(__name__)

WRONG = "Mot de passe ou code incorrect."
WRONG_PASSWORD = "Mot de passe incorrect."
CODE_NEEDED = "Saisissez aussi le code de l'application ou un code de secours, ou utilisez une clé d'accès."
CLOSED = "Trop d'essais incorrects : cette session est fermée. Reconnectez-vous."
NO_PASSWORD = "Saisissez votre mot de passe."
DONE = f"Identité confirmée pour {STEP_UP_MINUTES} minutes."


@dataclass(frozen=True, slots=True)
class Asks:
    """What the « Confirmez votre identité » step asks of this person."""

    totp: bool  # « Code de l'application ou code de secours »
    passkey: bool  # « Utiliser une clé d'accès »


def asks(user: User) -> Asks:
    with session_scope() as s:
        totp, keys = factor_count(s, account_of(user))
        return Asks(totp=bool(totp), passkey=keys > 0)


def _failed(s: Session, row: AuthSession, user: User, why: str, ip: str) -> Outcome[None]:
    row.step_up_failures += 1
    closed = row.step_up_failures >= MAX_FAILURES
    if closed:
        row.revoked_at = utcnow()
    s.add(row)
    audit.record(s, user, "confirmation_identite_refusee", why + (" ; session fermée" if closed else ""), ip)
    s.commit()
    log.warning("step-up refused user=%s failures=%s closed=%s", user.id, row.step_up_failures, closed)
    return Outcome.refused(CLOSED if closed else WRONG)


def _second_factor_ok(s: Session, account_id: int, code: str) -> bool:
    cleaned = code.strip()
    if not cleaned:
        return False
    if len("".join(c for c in cleaned if c.isdigit())) == 6 and len(cleaned) <= 7:
        return two_factor.verify_totp(s, account_id, cleaned)
    return two_factor.use_recovery_code(s, account_id, cleaned)


def _password_checked(s: Session, token: str | None, user: User, text: str,
                      ip: str) -> tuple[AuthSession | None, Outcome[None]]:
    """This session's row once the person's password is right (argon2), or None and the
    refusal: the session gone, no password typed (neither hashed nor counted), or a wrong
    one (counted, _failed)."""
    row = session_of(s, token, user)
    account = s.get(Account, account_of(user))
    if row is None or account is None:
        return None, Outcome.refused(EXPIRED)
    if not text:
        return None, Outcome.refused(NO_PASSWORD)
    if not hashing.verify_password(text[:1024], account.password_hash):
        return None, _failed(s, row, user, "mot de passe incorrect", ip)
    return row, Outcome.done()


def confirm(token: str | None, user: User, password: object, code: object = "", ip: str = "") -> Outcome[None]:
    """Check the password (and, when the person has one, a code of the app or a recovery
    code); on success this session may change its login methods for STEP_UP_MINUTES.
    Blocking (argon2): call through hashing.run."""
    text = password if isinstance(password, str) else ""
    second = code if isinstance(code, str) else ""
    with session_scope() as s:
        row, refused = _password_checked(s, token, user, text, ip)
        if row is None:
            return refused
        totp, keys = factor_count(s, account_of(user))
        if totp or keys:
            if not second.strip():
                return Outcome.refused(CODE_NEEDED)
            if not _second_factor_ok(s, account_of(user), second[:64]):
                return _failed(s, row, user, "code incorrect", ip)
        grant(row)
        s.add(row)
        audit.record(s, user, "identite_confirmee", "mot de passe" + (" et code" if totp or keys else ""), ip)
        s.commit()
        return Outcome.done(message=DONE)


def passkey_options(token: str | None, user: User) -> passkeys.Json | None:
    """Options for navigator.credentials.get() with this person's passkeys (the
    step-up's second factor); None when the session is gone or has no passkey."""
    with session_scope() as s:
        if session_of(s, token, user) is None:
            return None
    return passkeys.step_up_options(account_of(user))


def confirm_with_passkey(token: str | None, user: User, password: object, credential: object,
                         ip: str = "") -> Outcome[None]:
    """The password and a passkey of the person (the answer to passkey_options).
    Blocking (argon2): call through hashing.run."""
    text = password if isinstance(password, str) else ""
    with session_scope() as s:
        row, refused = _password_checked(s, token, user, text, ip)
        if row is None:
            return refused
        if not passkeys.verify_for_step_up(s, account_of(user), credential):
            return _failed(s, row, user, "clé d'accès refusée", ip)
        grant(row)
        s.add(row)
        audit.record(s, user, "identite_confirmee", "mot de passe et clé d'accès", ip)
        s.commit()
        return Outcome.done(message=DONE)
