"""Second factor of the login: authenticator app (TOTP), recovery codes, finishing a
pending login, the firm's policy; what Mon compte › Sécurité shows and changes.

Second factors belong to the account (the login identity): `account_id` everywhere.
- The TOTP secret is encrypted at rest (security.encrypt_secret). A code is accepted
  in a window of ±1 step (30 s) and never twice: the last accepted step is kept and
  only a later step passes (a guarded UPDATE, so two concurrent uses cannot both win).
- 10 recovery codes per enrolment, single use, stored as HMAC-SHA256 hashes keyed with
  the app secret (a database leak alone does not give them away); a new enrolment or
  « Régénérer » replaces them.
- The login waiting for its second factor: services/accounts/pending_login.py; the
  reads shared with passkeys (which factors an account has, the firm's rule):
  services/accounts/factors.py.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict

import pyotp
import segno
from sqlmodel import Session, col, delete, or_, update

from espace.config import settings
from espace.db import session_scope
from espace.domain.outcome import Outcome
from espace.models import Account, Passkey, PendingLogin, RecoveryCode, TotpFactor, User, utcnow
from espace.services import audit
from espace.services import crypto as security
from espace.services.access import require_staff
from espace.services.accounts import auth, identities, login_guard, passkeys, step_up
from espace.services.accounts.factors import (
    LAST_FACTOR_REQUIRED,
    account_of,
    factor_count,
    has_second_factor,
    policy_for_firm,
    recovery_codes_left,
    required_for,
    totp_row,
)
from espace.services.accounts.factors import enrolment_required as enrolment_required  # re-exported
from espace.services.accounts.pending_login import EXPIRED, claim_pending, pending_account, record_failure
from espace.services.accounts.pending_login import PENDING_MAX_ATTEMPTS as PENDING_MAX_ATTEMPTS  # re-exported
from espace.services.accounts.pending_login import pending_methods as pending_methods  # re-exported
from espace.services.accounts.results import LoginResult
from espace.services.accounts.session_store import revoke_account_sessions, stored_id

log = logging.getLogger(__name__)

ISSUER = "Mon espace client"
STEP = 30
RECOVERY_COUNT = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
ENROL_MINUTES = 15

WRONG_CODE = "Code incorrect. Vérifiez l'heure de votre téléphone et réessayez."
WRONG_RECOVERY = "Code de secours incorrect ou déjà utilisé."


# --- TOTP -----------------------------------------------------------------------

def _clean_code(code: object) -> str:
    return "".join(c for c in str(code or "")[:64] if c.isdigit())


def _match_step(secret: str, code: object, now: float | None = None) -> int | None:
    """The time step (±1 around now) whose code is `code`, or None."""
    digits = _clean_code(code)
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP)
    found = None
    for step in (current - 1, current, current + 1):  # all three compared: same time either way
        if hmac.compare_digest(totp.at(step * STEP), digits):
            found = step
    return found


def verify_totp(s: Session, account_id: int, code: object, now: float | None = None) -> bool:
    """Check a code of the enabled TOTP and consume its step (no reuse). Writes in
    `s`; the caller commits."""
    row = totp_row(s, account_id)
    if row is None or not row.secret_enc:
        return False
    step = _match_step(security.decrypt_secret(row.secret_enc), code, now)
    if step is None:
        return False
    claimed = s.exec(
        update(TotpFactor)
        .where(col(TotpFactor.id) == row.id, or_(col(TotpFactor.last_step).is_(None), col(TotpFactor.last_step) < step))
        .values(last_step=step)
    )
    if claimed.rowcount != 1:
        log.warning("totp code reused account=%s step=%s", account_id, step)
        return False
    return True


def _qr_svg(uri: str) -> str:
    qr = segno.make(uri, error="m")
    # Inline SVG, scalable, with a title for screen readers.
    svg: str = qr.svg_inline(scale=5, border=2, title="QR code à scanner avec votre application d'authentification")
    return svg


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str
    svg: str


def start_totp(user: User, token: str | None, label: str | None = None) -> Outcome[Enrolment]:
    """A new secret waiting for its first code (a re-enrolment replaces the current
    secret only once confirmed). Needs a fresh step-up of the session (step_up.py): the
    secret is only ever made for a person who just proved who they are. `label`: shown
    in the app, the login identifier by default."""
    secret = pyotp.random_base32()
    account_id = account_of(user)
    with session_scope() as s:
        refused = step_up.refusal(s, token, user)
        if refused is not None:
            return Outcome.refused(refused.error)
        if label is None:
            account = s.get(Account, account_id)
            label = account.email if account else ""
        row = totp_row(s, account_id) or TotpFactor(account_id=account_id)
        row.pending_secret_enc = security.encrypt_secret(secret)
        row.pending_at = utcnow()
        s.add(row)
        s.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=label[:100], issuer_name=ISSUER)
    return Outcome.done(Enrolment(secret, uri, _qr_svg(uri)))


def confirm_totp(user: User, code: object, token: str | None) -> Outcome[list[str]]:
    """Confirm the pending enrolment with a code from the app, the session's step-up
    still fresh (a QR code left on a screen cannot be confirmed by someone else later):
    the secret replaces the previous one (if any) and 10 new recovery codes are
    returned, to show once. The person is e-mailed."""
    with session_scope() as s:
        refused = step_up.refusal(s, token, user)
        if refused is not None:
            return Outcome.refused(refused.error)
        row = totp_row(s, account_of(user))
        if (row is None or not row.pending_secret_enc or not row.pending_at
                or row.pending_at + timedelta(minutes=ENROL_MINUTES) < utcnow()):
            return Outcome.refused("Cette activation a expiré. Recommencez.")
        secret = security.decrypt_secret(row.pending_secret_enc)
        step = _match_step(secret, code)
        if step is None:
            return Outcome.refused(WRONG_CODE)
        renewed = bool(row.secret_enc)
        row.secret_enc = row.pending_secret_enc
        row.pending_secret_enc = None
        row.pending_at = None
        row.last_step = step
        row.enabled_at = utcnow()
        s.add(row)
        codes = _new_recovery_codes(s, account_of(user))
        audit.record(s, user, "double_authentification_activee", "application (nouvel appareil)" if renewed
                     else "application d'authentification")
        step_up.notify(s, user, "Une méthode de connexion a été modifiée : l'application d'authentification est "
                                "maintenant celle d'un nouveau téléphone." if renewed else
                       "Une méthode de connexion a été ajoutée à votre compte : l'application d'authentification.")
        s.commit()
        log.info("totp enabled account=%s renewed=%s", account_of(user), renewed)
        return Outcome.done(codes)


def cancel_totp_enrolment(account_id: int) -> None:
    with session_scope() as s:
        row = totp_row(s, account_id)
        if row is not None and row.pending_secret_enc:
            row.pending_secret_enc = None
            row.pending_at = None
            s.add(row)
            s.commit()


# --- Recovery codes ----------------------------------------------------------------

def _new_recovery_codes(s: Session, account_id: int) -> list[str]:
    s.exec(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account_id))
    codes = []
    for _ in range(RECOVERY_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        s.add(RecoveryCode(account_id=account_id, code_hash=_recovery_hash(raw)))
    return codes


def _recovery_hash(normalized: str) -> str:
    return hmac.new(settings.secret, b"recovery:" + normalized.encode(), hashlib.sha256).hexdigest()


def _normalize_recovery(code: object) -> str:
    return "".join(c for c in str(code or "")[:64].upper() if c.isalnum())


def use_recovery_code(s: Session, account_id: int, code: object) -> bool:
    """Consume one recovery code (single use, guarded UPDATE); the caller commits."""
    normalized = _normalize_recovery(code)
    if len(normalized) != 10:
        return False
    used = s.exec(
        update(RecoveryCode)
        .where(col(RecoveryCode.account_id) == account_id, col(RecoveryCode.code_hash) == _recovery_hash(normalized),
               col(RecoveryCode.used_at).is_(None))
        .values(used_at=utcnow())
    )
    return used.rowcount == 1


# --- Mon compte › Sécurité ------------------------------------------------------------

def disable_totp(user: User, token: str | None) -> Outcome[list[str]]:
    """Turn the authenticator app off (fresh step-up: step_up.py). Refused when it is
    the last factor and the firm requires one. The person is e-mailed."""
    with session_scope() as s:
        refused = step_up.refusal(s, token, user)
        if refused is not None:
            return Outcome.refused(refused.error)
        row = totp_row(s, account_of(user))
        if row is None or not row.secret_enc:
            return Outcome.refused("L'application d'authentification n'est pas activée.")
        _totp, keys = factor_count(s, account_of(user))
        if keys == 0 and required_for(s, user):
            return Outcome.refused(LAST_FACTOR_REQUIRED)
        s.delete(row)
        if keys == 0:
            s.exec(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account_of(user)))
        audit.record(s, user, "double_authentification_desactivee", "application d'authentification")
        step_up.notify(s, user, "Une méthode de connexion a été retirée de votre compte : l'application "
                                "d'authentification.")
        s.commit()
        log.info("totp disabled account=%s", account_of(user))
        return Outcome.done()


def regenerate_codes(user: User, token: str | None) -> Outcome[list[str]]:
    """New recovery codes (the old ones stop working; fresh step-up). The person is e-mailed."""
    with session_scope() as s:
        refused = step_up.refusal(s, token, user)
        if refused is not None:
            return Outcome.refused(refused.error)
        if not has_second_factor(s, account_of(user)):
            return Outcome.refused("Activez d'abord la double authentification.")
        codes = _new_recovery_codes(s, account_of(user))
        audit.record(s, user, "codes_de_secours_regeneres")
        step_up.notify(s, user, "Vos codes de secours ont été remplacés par de nouveaux codes : les précédents ne "
                                "fonctionnent plus.")
        s.commit()
        return Outcome.done(codes)


@dataclass(frozen=True, slots=True)
class Overview:
    """What Mon compte › Sécurité shows (no secret)."""

    totp_enabled: bool
    recovery_left: int
    passkeys: list[passkeys.PasskeyRow]
    passkeys_to_confirm: bool  # after a password change or reset (step_up.py)


def overview(account_id: int) -> Overview:
    with session_scope() as s:
        row = totp_row(s, account_id)
        account = s.get(Account, account_id)
        return Overview(totp_enabled=bool(row and row.secret_enc), recovery_left=recovery_codes_left(s, account_id),
                        passkeys=passkeys.list_for(s, account_id),
                        passkeys_to_confirm=bool(account and account.passkeys_to_confirm))


# --- Firm policy -----------------------------------------------------------------

class Policy(TypedDict):
    require_staff: bool
    require_clients: bool


def get_policy(user: User) -> Policy:
    with session_scope() as s:
        require_staff(s, user)
        p = policy_for_firm(s, user.firm_id)
        return {"require_staff": bool(p.require_staff), "require_clients": bool(p.require_clients)}


# --- The login waiting for its second factor ------------------------------------

def complete_login(token: str, code: object, mode: str, ip: str = "", device_cookie: str | None = None) -> LoginResult:
    """Finish a pending login (pending_login.py) with a TOTP code (mode "totp") or a
    recovery code (mode "recovery"): the ticket, or an error."""
    with session_scope() as s:
        row = pending_account(s, token)
        if row is None:
            return LoginResult(False, EXPIRED)
        account = s.get(Account, row.account_id)
        members = [u for u, _ in identities.active_memberships(s, row.account_id)] if account else []
        if account is None or not members:
            return LoginResult(False, EXPIRED)
        ident = identities.normalize_identifier(account.email)
        if login_guard.check(s, ident, ip, device_cookie).locked:
            log.warning("second factor throttled account=%s ip=%s", account_of(account), ip)
            return LoginResult(False, auth.TOO_MANY)
        if mode == "recovery":
            ok, error, what = (use_recovery_code(s, account_of(account), code), WRONG_RECOVERY,
                               "code de secours incorrect")
        else:
            ok, error, what = verify_totp(s, account_of(account), code), WRONG_CODE, "code d'authentification incorrect"
        if not ok:
            record_failure(s, row, account, ip, what, device_cookie)
            s.commit()
            log.warning("second factor refused account=%s mode=%s ip=%s", account_of(account), mode, ip)
            return LoginResult(False, error)
        if not claim_pending(s, row):
            return LoginResult(False, EXPIRED)
        if mode == "recovery":
            for member in members:
                audit.record(s, member, "code_de_secours_utilise", "", ip)
        result = auth.issue_ticket(s, account, members, ip)
        s.commit()
        return result


def reset_for_identifier(identifier: str) -> bool:
    """Remove every second factor of an account (a person who lost both the phone and
    the recovery codes; the CLI's `reset-2fa`, after checking who asks). Its sessions
    in every firm are closed. False if the identifier is unknown."""
    with session_scope() as s:
        account = identities.account_by_identifier(s, identities.normalize_identifier(identifier))
        if account is None:
            return False
        account_id = stored_id(account)
        s.exec(delete(TotpFactor).where(col(TotpFactor.account_id) == account_id))
        s.exec(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account_id))
        s.exec(delete(Passkey).where(col(Passkey.account_id) == account_id))
        s.exec(delete(PendingLogin).where(col(PendingLogin.account_id) == account_id))
        revoke_account_sessions(s, account_id)
        for member, _ in identities.active_memberships(s, account_id):
            audit.record(s, member, "double_authentification_desactivee", "réinitialisée en ligne de commande")
        s.commit()
        log.warning("second factors reset from the command line account=%s", account_id)
        return True
