"""Passkeys (WebAuthn, with py_webauthn): registration from Mon compte › Sécurité,
passwordless login (discoverable credential, user verification required) and use as
the second factor of a pending login.

- Relying party: id = the host of BASE_URL, origin = BASE_URL's origin.
- Challenges are random (32 bytes), kept server-side as a hash with their purpose and
  the account or pending login they belong to, single use (deleted when presented,
  right or wrong) and valid 2 minutes.
- The sign count must grow when the authenticator keeps one (py_webauthn refuses a
  count that does not: a cloned key); it is stored after each use.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlmodel import Session, col, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from espace.config import settings
from espace.db import session_scope
from espace.domain.french import fdatetime
from espace.domain.ids import parse_id
from espace.domain.names import full_name
from espace.domain.outcome import Outcome
from espace.models import Account, Passkey, User, WebauthnChallenge, utcnow
from espace.services import audit
from espace.services.accounts import auth, identities, pending_login, step_up
from espace.services.accounts.factors import LAST_FACTOR_REQUIRED, account_of, factor_count, required_for
from espace.services.accounts.results import LoginResult
from espace.services.accounts.session_store import stored_id

log = logging.getLogger(__name__)

CHALLENGE_SECONDS = 120
NAME_MAX = 60
MAX_PER_ACCOUNT = 20
RP_NAME = "Mon espace client"

REFUSED = "La clé d'accès n'a pas été reconnue."
TO_CONFIRM = ("Votre mot de passe a changé : connectez-vous avec votre identifiant et votre mot de passe, puis "
              "confirmez vos clés d'accès dans Mon compte › Sécurité.")
EXPIRED = "La demande a expiré. Réessayez."


Json = dict[str, Any]  # a WebAuthn message as JSON, to or from the browser's script


def _as_json(text: str) -> Json:
    data: Json = json.loads(text)
    return data


def rp_id() -> str:
    return urlsplit(settings.public_url).hostname or "localhost"


def origin() -> str:
    parts = urlsplit(settings.public_url)
    return f"{parts.scheme}://{parts.netloc}"


def _user_handle(account_id: int) -> bytes:
    """A stable, opaque WebAuthn user handle (not the database id)."""
    return hmac.new(settings.secret, f"webauthn-user:{account_id}".encode(), hashlib.sha256).digest()


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _store_challenge(s: Session, challenge: bytes, purpose: str, *, account_id: int | None = None,
                     pending_login_id: int | None = None) -> None:
    now = utcnow()
    s.exec(delete(WebauthnChallenge).where(col(WebauthnChallenge.expires_at) < now))
    s.add(WebauthnChallenge(challenge_hash=_hash(challenge), purpose=purpose, account_id=account_id,
                            pending_login_id=pending_login_id,
                            expires_at=now + timedelta(seconds=CHALLENGE_SECONDS)))


def _client_challenge(credential: Json) -> bytes | None:
    try:
        client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
        return base64url_to_bytes(client_data["challenge"])
    except Exception:
        return None


def _take_challenge(s: Session, credential: Json, purpose: str) -> tuple[bytes, WebauthnChallenge] | None:
    """The stored challenge the credential answers (deleted: single use), if live."""
    challenge = _client_challenge(credential)
    if not challenge:
        return None
    row = s.exec(select(WebauthnChallenge).where(WebauthnChallenge.challenge_hash == _hash(challenge))).first()
    if row is None:
        return None
    taken = s.exec(delete(WebauthnChallenge).where(col(WebauthnChallenge.id) == row.id))
    if taken.rowcount != 1 or row.purpose != purpose or row.expires_at <= utcnow():
        return None
    return challenge, row


def _transports(raw: str) -> list[AuthenticatorTransport]:
    out = []
    for t in raw.split(","):
        with contextlib.suppress(ValueError):
            out.append(AuthenticatorTransport(t))
    return out


def _descriptors(s: Session, account_id: int) -> list[PublicKeyCredentialDescriptor]:
    rows = s.exec(select(Passkey).where(Passkey.account_id == account_id)).all()
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(r.credential_id), transports=_transports(r.transports))
            for r in rows]


@dataclass(frozen=True, slots=True)
class PasskeyRow:
    """A passkey as Mon compte › Sécurité lists it (dates in French, Paris time)."""

    id: str
    name: str
    created: str
    last_used: str  # « jamais » before its first use


def list_for(s: Session, account_id: int) -> list[PasskeyRow]:
    rows = s.exec(select(Passkey).where(col(Passkey.account_id) == account_id).order_by(col(Passkey.id))).all()
    return [PasskeyRow(id=str(r.id), name=r.name, created=fdatetime(r.created_at),
                       last_used=fdatetime(r.last_used_at) if r.last_used_at else "jamais") for r in rows]


# --- Registration ----------------------------------------------------------------

def registration_options(user: User, token: str | None) -> Json | None:
    """Options for navigator.credentials.create(): a discoverable credential with user
    verification, so that it can also log in without a password. None: the session
    has no fresh step-up (step_up.py)."""
    with session_scope() as s:
        if step_up.refusal(s, token, user) is not None:
            return None
        account = s.get(Account, account_of(user))
        identifier = account.email if account else user.email
        options = generate_registration_options(
            rp_id=rp_id(), rp_name=RP_NAME, user_id=_user_handle(account_of(user)), user_name=identifier,
            user_display_name=full_name(user) or identifier,
            timeout=CHALLENGE_SECONDS * 1000,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED, require_resident_key=True,
                user_verification=UserVerificationRequirement.REQUIRED),
            exclude_credentials=_descriptors(s, account_of(user)),
        )
        _store_challenge(s, options.challenge, "register", account_id=account_of(user))
        s.commit()
    return _as_json(options_to_json(options))


def clean_name(name: object) -> str:
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in str(name or "")[:200]).split())
    return cleaned[:NAME_MAX]


def register(user: User, credential: object, name: object, token: str | None) -> Outcome[list[str]]:
    """Verify the browser's answer to registration_options and keep the passkey (the
    session's step-up still fresh); the person is e-mailed."""
    if not isinstance(credential, dict):
        return Outcome.refused(REFUSED)
    label = clean_name(name) or "Clé d'accès"
    with session_scope() as s:
        refused = step_up.refusal(s, token, user)
        if refused is not None:
            return Outcome.refused(refused.error)
        taken = _take_challenge(s, credential, "register")
        s.commit()
        if taken is None or taken[1].account_id != account_of(user):
            return Outcome.refused(EXPIRED)
        count = len(_descriptors(s, account_of(user)))
        if count >= MAX_PER_ACCOUNT:
            return Outcome.refused(f"{MAX_PER_ACCOUNT} clés d'accès au plus.")
        try:
            verified = verify_registration_response(
                credential=credential, expected_challenge=taken[0], expected_rp_id=rp_id(),
                expected_origin=origin(), require_user_verification=True)
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            log.warning("passkey registration refused account=%s: %s", account_of(user), exc)
            return Outcome.refused(REFUSED)
        cred_id = bytes_to_base64url(verified.credential_id)
        if s.exec(select(Passkey).where(Passkey.credential_id == cred_id)).first() is not None:
            return Outcome.refused("Cette clé d'accès est déjà enregistrée.")
        transports = credential.get("response", {}).get("transports") or []
        transports = [t for t in transports if isinstance(t, str)][:8] if isinstance(transports, list) else []
        s.add(Passkey(account_id=account_of(user), credential_id=cred_id,
                      public_key=bytes_to_base64url(verified.credential_public_key),
                      sign_count=verified.sign_count, transports=",".join(t[:20] for t in transports),
                      name=label))
        audit.record(s, user, "double_authentification_activee", f"clé d'accès « {label} »")
        step_up.notify(s, user, f"Une méthode de connexion a été ajoutée à votre compte : la clé d'accès « {label} ».")
        s.commit()
        log.info("passkey registered account=%s", account_of(user))
        return Outcome.done()


def remove(user: User, passkey_id: object, token: str | None) -> Outcome[list[str]]:
    """Remove one of the person's passkeys (fresh step-up); the person is e-mailed."""
    pid = parse_id(passkey_id)
    if pid is None:
        return Outcome.refused("Clé d'accès introuvable.")
    with session_scope() as s:
        refused = step_up.refusal(s, token, user)
        if refused is not None:
            return Outcome.refused(refused.error)
        row = s.get(Passkey, pid)
        if row is None or row.account_id != account_of(user):
            return Outcome.refused("Clé d'accès introuvable.")
        totp, keys = factor_count(s, account_of(user))
        if not totp and keys <= 1 and required_for(s, user):
            return Outcome.refused(LAST_FACTOR_REQUIRED)
        s.delete(row)
        audit.record(s, user, "double_authentification_desactivee", f"clé d'accès « {row.name} »")
        step_up.notify(s, user, f"Une méthode de connexion a été retirée de votre compte : la clé d'accès « {row.name} ».")
        s.commit()
        return Outcome.done()


# --- Authentication --------------------------------------------------------------

def login_options(pending_token: str | None = None) -> Json | None:
    """Options for navigator.credentials.get(). Without a pending login: passwordless
    (any discoverable credential, user verification required). With one: the second
    factor of that account (its credentials only). None: the pending login expired.
    Their rate is limited per address and per device cookie by the route
    (check_limits.allow_passkey_options), never by a global cap."""
    with session_scope() as s:
        if pending_token is None:
            options = generate_authentication_options(
                rp_id=rp_id(), timeout=CHALLENGE_SECONDS * 1000,
                user_verification=UserVerificationRequirement.REQUIRED)
            _store_challenge(s, options.challenge, "login")
        else:
            pending = pending_login.pending_account(s, pending_token)
            if pending is None:
                return None
            allowed = _descriptors(s, pending.account_id)
            if not allowed:
                return None
            options = generate_authentication_options(
                rp_id=rp_id(), timeout=CHALLENGE_SECONDS * 1000, allow_credentials=allowed,
                user_verification=UserVerificationRequirement.PREFERRED)
            _store_challenge(s, options.challenge, "second_factor", pending_login_id=pending.id)
        s.commit()
    return _as_json(options_to_json(options))


def authenticate(credential: object, pending_token: str | None = None, ip: str = "") -> LoginResult:
    """Verify the answer to login_options: the ticket, or an error."""
    if not isinstance(credential, dict) or not isinstance(credential.get("id"), str):
        return LoginResult(False, REFUSED)
    purpose = "login" if pending_token is None else "second_factor"
    with session_scope() as s:
        taken = _take_challenge(s, credential, purpose)
        s.commit()
        pending = pending_login.pending_account(s, pending_token) if pending_token is not None else None
        if taken is None or (pending_token is not None and (pending is None or taken[1].pending_login_id != pending.id)):
            return LoginResult(False, EXPIRED)
        row = s.exec(select(Passkey).where(Passkey.credential_id == credential["id"][:1400])).first()
        account = s.get(Account, row.account_id) if row else None
        members = [u for u, _ in identities.active_memberships(s, stored_id(account))] if account else []
        if pending is not None and (row is None or row.account_id != pending.account_id):
            pending_login.record_failure(s, pending, s.get(Account, pending.account_id), ip, "clé d'accès inconnue")
            s.commit()
            return LoginResult(False, REFUSED)
        if row is None or account is None or not members:
            log.warning("passkey login refused: unknown credential or no active membership ip=%s", ip)
            return LoginResult(False, REFUSED)
        if pending is None and account.passkeys_to_confirm:
            log.warning("passwordless login refused: passkeys to confirm account=%s ip=%s", row.account_id, ip)
            return LoginResult(False, TO_CONFIRM)
        try:
            verified = verify_authentication_response(
                credential=credential, expected_challenge=taken[0], expected_rp_id=rp_id(),
                expected_origin=origin(), credential_public_key=base64url_to_bytes(row.public_key),
                credential_current_sign_count=row.sign_count, require_user_verification=pending is None)
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            log.warning("passkey authentication refused account=%s ip=%s: %s", row.account_id, ip, exc)
            if pending is not None:
                pending_login.record_failure(s, pending, account, ip, "clé d'accès refusée")
            else:
                for member in members:
                    audit.record(s, member, "connexion_refusee", "clé d'accès refusée", ip)
            s.commit()
            return LoginResult(False, REFUSED)
        if pending is not None and not pending_login.claim_pending(s, pending):
            return LoginResult(False, EXPIRED)
        row.sign_count = verified.new_sign_count
        row.last_used_at = utcnow()
        s.add(row)
        # Passwordless (no pending login): the session gets no step-up from this login.
        result = auth.issue_ticket(s, account, members, ip, proved_password=pending is not None)
        s.commit()
        return result


# --- Step-up (services/accounts/step_up_proof.py) ---------------------------------------

def step_up_options(account_id: int) -> Json | None:
    """Options for navigator.credentials.get() with the account's passkeys only, for
    confirming the person's identity before a security change."""
    with session_scope() as s:
        allowed = _descriptors(s, account_id)
        if not allowed:
            return None
        options = generate_authentication_options(
            rp_id=rp_id(), timeout=CHALLENGE_SECONDS * 1000, allow_credentials=allowed,
            user_verification=UserVerificationRequirement.PREFERRED)
        _store_challenge(s, options.challenge, "step_up", account_id=account_id)
        s.commit()
    return _as_json(options_to_json(options))


def verify_for_step_up(s: Session, account_id: int, credential: object) -> bool:
    """True when `credential` answers a live step-up challenge of this account with one of
    its passkeys (the challenge is spent either way; the sign count is updated)."""
    if not isinstance(credential, dict) or not isinstance(credential.get("id"), str):
        return False
    taken = _take_challenge(s, credential, "step_up")
    if taken is None or taken[1].account_id != account_id:
        return False
    row = s.exec(select(Passkey).where(Passkey.credential_id == credential["id"][:1400])).first()
    if row is None or row.account_id != account_id:
        return False
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=taken[0], expected_rp_id=rp_id(),
            expected_origin=origin(), credential_public_key=base64url_to_bytes(row.public_key),
            credential_current_sign_count=row.sign_count, require_user_verification=False)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        log.warning("passkey step-up refused account=%s: %s", account_id, exc)
        return False
    row.sign_count = verified.new_sign_count
    row.last_used_at = utcnow()
    s.add(row)
    return True
