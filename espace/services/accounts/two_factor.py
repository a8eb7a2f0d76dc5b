"""Second factor of the login: authenticator app (TOTP), recovery codes, the login
waiting for its second factor, and the firm's policy.

Second factors belong to the account (the login identity): `account_id` everywhere.
- The TOTP secret is encrypted at rest (security.encrypt_secret). A code is accepted
  in a window of ±1 step (30 s) and never twice: the last accepted step is kept and
  only a later step passes (a guarded UPDATE, so two concurrent uses cannot both win).
- 10 recovery codes per enrolment, single use, stored as HMAC-SHA256 hashes keyed with
  the app secret (a database leak alone does not give them away); a new enrolment or
  « Régénérer » replaces them.
- After a correct password, an account with a second factor gets a pending login (a
  random token of which only the hash is kept, 5 minutes, 5 attempts) and no session;
  a wrong code counts as a failed login for the identifier's throttle.
- A firm may require a second factor of its staff and/or its clients: a person without
  one is then sent to /double-authentification before any page.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, select

from espace.services import crypto as security
from espace.config import settings
from espace.db import session_scope
from espace.models import (Account, FirmTwoFactorPolicy, Passkey, PendingLogin, RecoveryCode, Role, TotpFactor, User,
                           utcnow)
from espace.services import audit

log = logging.getLogger(__name__)

ISSUER = "Mon espace client"
STEP = 30
RECOVERY_COUNT = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
PENDING_MINUTES = 5
PENDING_MAX_ATTEMPTS = 5
ENROL_MINUTES = 15

WRONG_CODE = "Code incorrect. Vérifiez l'heure de votre téléphone et réessayez."
WRONG_RECOVERY = "Code de secours incorrect ou déjà utilisé."
EXPIRED = "Votre connexion a expiré. Veuillez saisir à nouveau votre identifiant et votre mot de passe."
LAST_FACTOR_REQUIRED = ("Votre cabinet exige la double authentification : ajoutez une autre méthode "
                        "avant de retirer celle-ci.")


def account_of(user) -> int:
    """The account (login identity) of a User row (a membership), or of an Account."""
    return user.id if isinstance(user, Account) else user.account_id


def _account_id_of(s: Session, user) -> int | None:
    """account_of, also for an auth.Actor (which carries the membership's id only)."""
    if isinstance(user, (User, Account)):
        return account_of(user)
    return s.exec(select(User.account_id).where(User.id == user.id)).first()


# --- TOTP -----------------------------------------------------------------------

def _clean_code(code) -> str:
    return "".join(c for c in str(code or "")[:64] if c.isdigit())


def _match_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (±1 around now) whose code is `code`, or None."""
    code = _clean_code(code)
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP)
    found = None
    for step in (current - 1, current, current + 1):  # all three compared: same time either way
        if hmac.compare_digest(totp.at(step * STEP), code):
            found = step
    return found


def _totp_row(s: Session, account_id: int) -> TotpFactor | None:
    return s.exec(select(TotpFactor).where(TotpFactor.account_id == account_id)).first()


def totp_enabled(s: Session, account_id: int) -> bool:
    row = _totp_row(s, account_id)
    return bool(row and row.secret_enc)


def verify_totp(s: Session, account_id: int, code, now: float | None = None) -> bool:
    """Check a code of the enabled TOTP and consume its step (no reuse). Writes in
    `s`; the caller commits."""
    row = _totp_row(s, account_id)
    if row is None or not row.secret_enc:
        return False
    step = _match_step(security.decrypt_secret(row.secret_enc), code, now)
    if step is None:
        return False
    claimed = s.exec(
        update(TotpFactor)
        .where(TotpFactor.id == row.id, or_(TotpFactor.last_step.is_(None), TotpFactor.last_step < step))
        .values(last_step=step)
    )
    if claimed.rowcount != 1:
        log.warning("totp code reused account=%s step=%s", account_id, step)
        return False
    return True


def _qr_svg(uri: str) -> str:
    qr = segno.make(uri, error="m")
    # Inline SVG, scalable, with a title for screen readers.
    return qr.svg_inline(scale=5, border=2, title="QR code à scanner avec votre application d'authentification")


@dataclass
class Enrolment:
    secret: str
    uri: str
    svg: str


def start_totp(account_id: int, label: str | None = None) -> Enrolment:
    """A new secret waiting for its first code (a re-enrolment replaces the current
    secret only once confirmed). `label`: shown in the app, the login identifier by default."""
    secret = pyotp.random_base32()
    with session_scope() as s:
        if label is None:
            account = s.get(Account, account_id)
            label = account.email if account else ""
        row = _totp_row(s, account_id) or TotpFactor(account_id=account_id)
        row.pending_secret_enc = security.encrypt_secret(secret)
        row.pending_at = utcnow()
        s.add(row)
        s.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=label[:100], issuer_name=ISSUER)
    return Enrolment(secret, uri, _qr_svg(uri))


def _new_recovery_codes(s: Session, account_id: int) -> list[str]:
    s.exec(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    codes = []
    for _ in range(RECOVERY_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        s.add(RecoveryCode(account_id=account_id, code_hash=_recovery_hash(raw)))
    return codes


def _recovery_hash(normalized: str) -> str:
    return hmac.new(settings.secret, b"recovery:" + normalized.encode(), hashlib.sha256).hexdigest()


def _normalize_recovery(code) -> str:
    return "".join(c for c in str(code or "")[:64].upper() if c.isalnum())


@dataclass
class Result:
    ok: bool
    error: str = ""
    codes: list[str] | None = None


def confirm_totp(user: User, code) -> Result:
    """Confirm the pending enrolment with a code from the app: the secret replaces the
    previous one (if any) and 10 new recovery codes are returned, to show once."""
    with session_scope() as s:
        row = _totp_row(s, account_of(user))
        if (row is None or not row.pending_secret_enc or not row.pending_at
                or row.pending_at + timedelta(minutes=ENROL_MINUTES) < utcnow()):
            return Result(False, "Cette activation a expiré. Recommencez.")
        secret = security.decrypt_secret(row.pending_secret_enc)
        step = _match_step(secret, code)
        if step is None:
            return Result(False, WRONG_CODE)
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
        s.commit()
        log.info("totp enabled account=%s renewed=%s", account_of(user), renewed)
        return Result(True, codes=codes)


def cancel_totp_enrolment(account_id: int) -> None:
    with session_scope() as s:
        row = _totp_row(s, account_id)
        if row is not None and row.pending_secret_enc:
            row.pending_secret_enc = None
            row.pending_at = None
            s.add(row)
            s.commit()


def _factor_count(s: Session, account_id: int) -> tuple[bool, int]:
    totp = totp_enabled(s, account_id)
    keys = s.exec(select(func.count()).select_from(Passkey).where(Passkey.account_id == account_id)).one()
    return totp, keys


def has_second_factor(s: Session, account_id: int) -> bool:
    totp, keys = _factor_count(s, account_id)
    return totp or keys > 0


def _check_password_or_code(s: Session, user: User, proof) -> bool:
    proof = str(proof or "")[:1024]
    if not proof:
        return False
    if len(_clean_code(proof)) == 6 and len(proof.strip()) <= 7 and verify_totp(s, account_of(user), proof):
        return True
    account = s.get(Account, account_of(user))
    return security.verify_password(proof, account.password_hash if account else None)


def disable_totp(user: User, proof) -> Result:
    """Turn the authenticator app off: needs the password or a current code. Refused
    when it is the last factor and the firm requires one."""
    with session_scope() as s:
        row = _totp_row(s, account_of(user))
        if row is None or not row.secret_enc:
            return Result(False, "L'application d'authentification n'est pas activée.")
        if not _check_password_or_code(s, user, proof):
            s.commit()  # a consumed step stays consumed
            return Result(False, "Mot de passe ou code incorrect.")
        totp, keys = _factor_count(s, account_of(user))
        if keys == 0 and required_for(s, user):
            return Result(False, LAST_FACTOR_REQUIRED)
        s.delete(row)
        if keys == 0:
            s.exec(delete(RecoveryCode).where(RecoveryCode.account_id == account_of(user)))
        audit.record(s, user, "double_authentification_desactivee", "application d'authentification")
        s.commit()
        log.info("totp disabled account=%s", account_of(user))
        return Result(True)


def regenerate_codes(user: User, proof) -> Result:
    """New recovery codes (the old ones stop working): needs the password or a code."""
    with session_scope() as s:
        if not has_second_factor(s, account_of(user)):
            return Result(False, "Activez d'abord la double authentification.")
        if not _check_password_or_code(s, user, proof):
            s.commit()
            return Result(False, "Mot de passe ou code incorrect.")
        codes = _new_recovery_codes(s, account_of(user))
        audit.record(s, user, "codes_de_secours_regeneres")
        s.commit()
        return Result(True, codes=codes)


def use_recovery_code(s: Session, account_id: int, code) -> bool:
    """Consume one recovery code (single use, guarded UPDATE); the caller commits."""
    normalized = _normalize_recovery(code)
    if len(normalized) != 10:
        return False
    used = s.exec(
        update(RecoveryCode)
        .where(RecoveryCode.account_id == account_id, RecoveryCode.code_hash == _recovery_hash(normalized),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return used.rowcount == 1


def recovery_codes_left(s: Session, account_id: int) -> int:
    return s.exec(select(func.count()).select_from(RecoveryCode)
                  .where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))).one()


def overview(account_id: int) -> dict:
    """What Mon compte › Sécurité shows (no secret)."""
    from espace.services.accounts import passkeys

    with session_scope() as s:
        row = _totp_row(s, account_id)
        return {
            "totp_enabled": bool(row and row.secret_enc),
            "recovery_left": recovery_codes_left(s, account_id),
            "passkeys": passkeys.list_for(s, account_id),
        }


# --- Firm policy -----------------------------------------------------------------

def policy_for_firm(s: Session, firm_id: int) -> FirmTwoFactorPolicy:
    return s.get(FirmTwoFactorPolicy, firm_id) or FirmTwoFactorPolicy(firm_id=firm_id)


def get_policy(user: User) -> dict:
    from espace.services.access import require_staff

    with session_scope() as s:
        require_staff(s, user)
        p = policy_for_firm(s, user.firm_id)
        return {"require_staff": bool(p.require_staff), "require_clients": bool(p.require_clients)}


def set_policy(user: User, require_staff_2fa: bool, require_clients_2fa: bool) -> None:
    """Save the firm's policy (firm users only; the firmside branch narrows this to
    administrators in admin_scope)."""
    from espace.services.access import require_admin

    with session_scope() as s:
        require_admin(s, user)  # only the firm's administrators change it
        p = policy_for_firm(s, user.firm_id)
        p.require_staff = bool(require_staff_2fa)
        p.require_clients = bool(require_clients_2fa)
        s.add(p)
        audit.record(s, user, "parametres_modifies",
                     f"double authentification exigée : collaborateurs={'oui' if p.require_staff else 'non'}, "
                     f"clients={'oui' if p.require_clients else 'non'}")
        s.commit()


def required_for(s: Session, user) -> bool:
    """Whether the user's firm requires a second factor for the user's role."""
    p = s.get(FirmTwoFactorPolicy, user.firm_id)
    if p is None:
        return False
    return bool(p.require_clients) if user.role == Role.client else bool(p.require_staff)


def enrolment_required(user) -> bool:
    """True when the firm requires a second factor and the account has none yet: the
    person may reach only /double-authentification. `user`: a User or an auth.Actor."""
    if user is None:
        return False
    with session_scope() as s:
        if not required_for(s, user):
            return False
        account_id = _account_id_of(s, user)
        return account_id is not None and not has_second_factor(s, account_id)


# --- The login waiting for its second factor ------------------------------------

def needs_second_factor(s: Session, user: User) -> bool:
    return has_second_factor(s, account_of(user))


def start_pending(s: Session, user: User, ip: str) -> str:
    """Called by auth.login after a correct password: a pending login instead of a
    session. Returns the token (only its hash is stored)."""
    now = utcnow()
    s.exec(delete(PendingLogin).where(PendingLogin.expires_at < now))
    token = security.new_token()
    s.add(PendingLogin(account_id=account_of(user), token_hash=security.token_hash(token), ip=ip[:64],
                       expires_at=now + timedelta(minutes=PENDING_MINUTES)))
    return token


def _live_pending(s: Session, token: str) -> PendingLogin | None:
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    row = s.exec(select(PendingLogin).where(PendingLogin.token_hash == security.token_hash(token))).first()
    if (row is None or row.used_at is not None or row.expires_at <= utcnow()
            or row.attempts >= PENDING_MAX_ATTEMPTS):
        return None
    return row


def pending_methods(token: str) -> dict | None:
    """Which second factors the pending login's account has, or None if expired."""
    with session_scope() as s:
        row = _live_pending(s, token)
        if row is None:
            return None
        totp, keys = _factor_count(s, row.account_id)
        return {"totp": totp, "passkey": keys > 0, "recovery": recovery_codes_left(s, row.account_id) > 0}


def pending_account(s: Session, token: str) -> PendingLogin | None:
    return _live_pending(s, token)


def record_failure(s: Session, row: PendingLogin, account: Account | None, ip: str, what: str,
                   device_cookie: str | None = None) -> None:
    """A wrong second factor: the pending login loses an attempt and the identifier
    gets a failed login (the same lockout as a wrong password: the browser's device
    cookie decides whose failures it is, services/login_guard.py), in each firm's trail."""
    from espace.services.accounts import auth, identities, login_guard

    s.exec(update(PendingLogin).where(PendingLogin.id == row.id).values(attempts=PendingLogin.attempts + 1))
    if account is None:
        return
    ident = auth.normalize_identifier(account.email)
    login_guard.record_failure(s, login_guard.Verdict(False, ident, ip, login_guard.device_nonce(device_cookie, ident)))
    for member, _ in identities.active_memberships(s, account.id):
        audit.record(s, member, "connexion_refusee", what, ip)


def claim_pending(s: Session, row: PendingLogin) -> bool:
    claimed = s.exec(update(PendingLogin).where(PendingLogin.id == row.id, PendingLogin.used_at.is_(None))
                     .values(used_at=utcnow()))
    return claimed.rowcount == 1


def complete_login(token: str, code, mode: str, ip: str = "", device_cookie: str | None = None):
    """Finish a pending login with a TOTP code (mode "totp") or a recovery code
    (mode "recovery"): an auth.LoginResult with the ticket, or an error."""
    from espace.services.accounts import auth

    with session_scope() as s:
        row = _live_pending(s, token)
        if row is None:
            return auth.LoginResult(False, EXPIRED)
        from espace.services.accounts import identities

        user = s.get(Account, row.account_id)
        members = [u for u, _ in identities.active_memberships(s, row.account_id)] if user else []
        if user is None or not members:
            return auth.LoginResult(False, EXPIRED)
        ident = auth.normalize_identifier(user.email)
        from espace.services.accounts import login_guard

        if login_guard.check(s, ident, ip, device_cookie).locked:
            log.warning("second factor throttled account=%s ip=%s", account_of(user), ip)
            return auth.LoginResult(False, auth.TOO_MANY)
        if mode == "recovery":
            ok, error, what = use_recovery_code(s, account_of(user), code), WRONG_RECOVERY, "code de secours incorrect"
        else:
            ok, error, what = verify_totp(s, account_of(user), code), WRONG_CODE, "code d'authentification incorrect"
        if not ok:
            record_failure(s, row, user, ip, what, device_cookie)
            s.commit()
            log.warning("second factor refused account=%s mode=%s ip=%s", account_of(user), mode, ip)
            return auth.LoginResult(False, error)
        if not claim_pending(s, row):
            return auth.LoginResult(False, EXPIRED)
        if mode == "recovery":
            for member in members:
                audit.record(s, member, "code_de_secours_utilise", "", ip)
        result = auth.issue_ticket(s, user, members, ip)
        s.commit()
        return result


def reset_for_identifier(identifier: str) -> bool:
    """Remove every second factor of an account (a person who lost both the phone and
    the recovery codes; the CLI's `reset-2fa`, after checking who asks). Its sessions
    in every firm are closed. False if the identifier is unknown."""
    from espace.services.accounts import auth, identities

    with session_scope() as s:
        account = identities.account_by_identifier(s, auth.normalize_identifier(identifier))
        if account is None:
            return False
        s.exec(delete(TotpFactor).where(TotpFactor.account_id == account.id))
        s.exec(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
        s.exec(delete(Passkey).where(Passkey.account_id == account.id))
        s.exec(delete(PendingLogin).where(PendingLogin.account_id == account.id))
        auth.revoke_account_sessions(s, account.id)
        for member, _ in identities.active_memberships(s, account.id):
            audit.record(s, member, "double_authentification_desactivee", "réinitialisée en ligne de commande")
        s.commit()
        log.warning("second factors reset from the command line account=%s", account.id)
        return True
