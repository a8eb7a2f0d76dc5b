"""Login, the acting user of a session, logout, password change and reset.

The session rows themselves: session_store.py; a login's second factor: factors.py and
pending_login.py (finished by two_factor.complete_login or passkeys.authenticate)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, func, select, update

from espace.config import settings
from espace.db import get_engine, session_scope
from espace.domain.outcome import Outcome
from espace.models import Account, AuthSession, LoginAttempt, OneTimeToken, Role, User, utcnow
from espace.services import audit
from espace.services import crypto as security
from espace.services.accounts import hashing, identities, login_guard, pending_login, recent_reads, step_up
from espace.services.accounts.factors import enrolment_required, has_second_factor
from espace.services.accounts.identities import normalize_identifier
from espace.services.accounts.one_time_links import expire_one_time_links, issue_one_time_token, valid_one_time
from espace.services.accounts.results import LoginResult
from espace.services.accounts.session_reads import ACTOR_BY_HASH, read_session, touch_if_due
from espace.services.accounts.session_reads import TOUCH_EVERY as TOUCH_EVERY  # re-exported
from espace.services.accounts.session_store import (
    TOKEN_MAX,
    is_live,
    live_session,
    revoke_account_sessions,
    stored_id,
    with_account_flags,
)
from espace.services.mail import notifications

log = logging.getLogger(__name__)

TICKET_SECONDS = 60
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
TOO_MANY = "Trop de tentatives. Réessayez dans quelques minutes."
RESET_SENT = (
    "Si un compte correspond à cet identifiant, un e-mail contenant un lien de "
    "réinitialisation vient de lui être envoyé. Le lien est valable 1 heure."
)
CHOOSER = identities.CHOOSER
FIRST_LOGIN = "/premiere-connexion"
ENROL_SECOND_FACTOR = "/double-authentification"


def home_path_for(user: User | None) -> str:
    """Where a session lands: None = a person with several memberships who has not
    chosen a firm yet (the chooser)."""
    if user is None:
        return CHOOSER
    if user.must_change_password:
        return FIRST_LOGIN
    if enrolment_required(user):
        return ENROL_SECOND_FACTOR  # the firm requires a second factor first
    return "/accueil" if user.role == Role.client else "/admin"


def _throttled(session: Session, kind: str, identifier: str, ip: str, limit_id: int) -> bool:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    by_id, by_ip = session.exec(
        select(
            func.count().filter(col(LoginAttempt.identifier) == identifier),
            func.count().filter(col(LoginAttempt.ip) == ip),
        ).where(col(LoginAttempt.kind) == kind, col(LoginAttempt.at) >= since)
    ).one()
    return bool(by_id >= limit_id or by_ip >= settings.login_ip_max_failures)


def _record_attempt(session: Session, kind: str, identifier: str, ip: str) -> None:
    session.add(LoginAttempt(kind=kind, identifier=identifier, ip=ip))


def login(identifier: str, password: str, ip: str = "", device_cookie: str | None = None) -> LoginResult:
    """Check credentials; on success create a session and return a one-time ticket
    that the browser exchanges for an HttpOnly cookie (http/core.py open_session).
    `device_cookie`: the browser's device cookie (login_guard), which decides whose
    failures count. Blocking (argon2): call it through hashing.run from the event loop."""
    ident = normalize_identifier(identifier)
    if not ident or not password:
        return LoginResult(False, "Veuillez saisir votre identifiant et votre mot de passe.")
    with session_scope() as s:
        verdict = login_guard.check(s, ident, ip, device_cookie)
        if verdict.locked:  # refused before any hashing, the same whether or not ident exists
            log.warning("login throttled identifier=%s ip=%s device=%s", ident, ip, verdict.device is not None)
            return LoginResult(False, TOO_MANY)
        # The identifier finds the person's account; its active memberships decide.
        account = identities.account_by_identifier(s, ident)
        members = [u for u, _ in identities.active_memberships(s, stored_id(account))] if account else []
        ok = hashing.verify_password(password[:1024], account.password_hash if account else None)
        if account is None or not ok or not members:
            login_guard.record_failure(s, verdict)
            trail: list[User | None] = list(members) or [None]  # an unknown identifier: logged without a firm
            for member in trail:
                audit.record(s, member, "connexion_refusee", ident, ip)
            s.commit()
            return LoginResult(False, BAD_CREDENTIALS)
        _rehash_if_outdated(s, account, password[:1024])
        if has_second_factor(s, stored_id(account)):
            # No session yet: the second factor first (pending_login.py).
            pending = pending_login.start_pending(s, account, ip)
            s.commit()
            return LoginResult(False, pending=pending)
        result = issue_ticket(s, account, members, ip)
        s.commit()
        return result


def _rehash_if_outdated(s: Session, account: Account, password: str) -> None:
    """The password just proved, hashed again when its hash was made with other
    parameters than hashing.py's (written by this login's commit, second factor or not:
    the same password, only its hash changes)."""
    if account.password_hash and hashing.needs_rehash(account.password_hash):
        account.password_hash = hashing.hash_password(password)
        s.add(account)
        log.info("password hash of account %s rehashed with the current parameters", account.id)


def issue_ticket(s: Session, account: Account, members: list[User], ip: str = "", *,
                 proved_password: bool = True) -> LoginResult:
    """Create the session of a person who has proved who they are (password, plus a
    second factor when they have one) and return the one-time ticket and browser key;
    the caller commits. One membership: bound now; several: the session opens on the
    firm chooser. A login that proved the password (and the second factor) counts as the
    step-up of its first minutes (step_up.py); a passwordless passkey login does not."""
    # One membership, and no firm waiting for consent (the chooser asks): bound now.
    user = members[0] if len(members) == 1 and not identities.has_invitations(s, stored_id(account)) else None
    ticket, browser_key = security.new_token(), security.new_token()
    now = utcnow()
    s.add(
        row := AuthSession(
            account_id=stored_id(account),
            token_hash="pending:" + security.new_token(),
            ticket_hash=_ticket_hash(ticket, browser_key),
            ticket_expires_at=now + timedelta(seconds=TICKET_SECONDS),
            expires_at=now + timedelta(hours=settings.session_max_hours),
            ip=ip[:64],
        )
    )
    if proved_password:
        step_up.grant(row)
    if user is not None:
        identities.bind(s, row, user, ip)
    return LoginResult(True, ticket=ticket, browser_key=browser_key, role=user.role if user else None)


def _ticket_hash(ticket: str, browser_key: str) -> str:
    return security.token_hash(f"{ticket}.{browser_key}")


def open_session(ticket: str, browser_key: str | None, user_agent: str = "",
                 ip: str = "") -> tuple[str, User | None] | None:
    """Exchange a login ticket (single use, 60 s), presented with the browser key the
    login gave with it, for the session token; with the session's membership, or None
    when the person must first choose a firm. The browser's User-Agent and address are
    kept on the session (the list of open sessions in « Mon compte »)."""
    if not ticket or not browser_key or len(ticket) > TOKEN_MAX or len(browser_key) > TOKEN_MAX:
        return None
    with session_scope() as s:
        row = s.exec(select(AuthSession)
                     .where(col(AuthSession.ticket_hash) == _ticket_hash(ticket, browser_key))).first()
        if row is None or row.revoked_at or not row.ticket_expires_at or row.ticket_expires_at < utcnow():
            return None
        token = security.new_token()
        row.token_hash = security.token_hash(token)
        row.ticket_hash = None
        row.ticket_expires_at = None
        row.last_seen_at = utcnow()
        row.user_agent = "".join(c for c in (user_agent or "") if c.isprintable())[:400]
        if ip:
            row.ip = ip[:64]
        s.add(row)
        user = s.get(User, row.user_id) if row.user_id else None
        account = s.get(Account, row.account_id)
        s.commit()
        return token, with_account_flags(user, account) if user else None


def account_identifier(token: str) -> str:
    """The login identifier of the account behind a session token ('' if none): what the
    device cookie is bound to, also when the session still waits for a firm choice."""
    if not token or len(token) > TOKEN_MAX:
        return ""
    with session_scope() as s:
        email = s.exec(select(Account.email).join(AuthSession, col(AuthSession.account_id) == Account.id)
                       .where(col(AuthSession.token_hash) == security.token_hash(token))).first()
    return normalize_identifier(email or "")


def current_user(token: str | None) -> User | None:
    """The active membership behind a session token, or None (expired, revoked,
    unknown, or no firm chosen yet)."""
    found = current_session(token)
    return found[1] if found else None


def current_session(token: str | None) -> tuple[int, User] | None:
    """(session row id, active membership) behind a session token, or None; the same
    read as current_user (a tab's identity: see web/tab_identity.py)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    token_hash = security.token_hash(token)
    return _live(recent_reads.remembered(("session", token_hash), lambda: read_session(token_hash)))


def kept_session(token: str | None) -> tuple[int, User] | object | None:
    """current_session's answer when it needs no database read (no token, or the answer
    kept by recent_reads), else recent_reads.MISS: the caller then reads it (on PostgreSQL
    in a database thread, web/tab_identity.py)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    found = recent_reads.kept(("session", security.token_hash(token)))
    return found if found is recent_reads.MISS else _live(found)


def _live(found: Any) -> tuple[int, User] | None:
    if found is None or not is_live(found[0]):  # a remembered row is still checked against the clock
        return None
    return found[1], found[2]


@dataclass(frozen=True)
class Actor:
    """The acting user as `current_actor` reads it: what the services need to scope
    a request (id, firm, role) and to name the user, without an ORM object."""
    id: int
    firm_id: int
    role: Role
    nom: str
    prenom: str
    must_change_password: bool


def current_actor(token: str | None) -> Actor | None:
    """current_user's check in one plain read (no ORM session): for the upload
    routes, which run it for every file of a drop."""
    if not token or len(token) > TOKEN_MAX:
        return None
    with get_engine().connect() as connection:
        row: Any = connection.execute(ACTOR_BY_HASH, {"token_hash": security.token_hash(token)}).first()
        if row is None or not is_live(row) or not row.active:
            return None
        if touch_if_due(connection, row.session_id, row.last_seen_at):
            connection.commit()
    return Actor(row.id, row.firm_id, row.role, row.nom, row.prenom, row.must_change_password)


def logout(token: str | None) -> None:
    if not token:
        return
    with session_scope() as s:
        row = s.exec(select(AuthSession).where(col(AuthSession.token_hash) == security.token_hash(token))).first()
        if row and row.revoked_at is None:
            row.revoked_at = utcnow()
            s.add(row)
            audit.record(s, s.get(User, row.user_id) if row.user_id else None, "deconnexion")
            s.commit()


def revoke_all_sessions(s: Session, user_id: int, *, except_token: str | None = None) -> None:
    """Close the sessions bound to one membership (the person's other firms keep theirs)."""
    stmt = update(AuthSession).where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
    if except_token:
        stmt = stmt.where(col(AuthSession.token_hash) != security.token_hash(except_token))
    s.exec(stmt.values(revoked_at=utcnow()))


def _new_password_errors(new: str, confirm: str, identifier: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    problems = security.password_problems(new or "", identifier=identifier)
    if problems:
        errors["new"] = "Le mot de passe doit comporter " + ", ".join(problems) + "."
    elif new != confirm:
        errors["confirm"] = "Les deux mots de passe ne sont pas identiques."
    return errors


def change_password(token: str, current: str, new: str, confirm: str) -> Outcome[None]:
    """Change the password of the session's user; other sessions are revoked."""
    with session_scope() as s:
        row = live_session(s, token)
        user = s.get(User, row.user_id) if row and row.user_id else None
        account = s.get(Account, row.account_id) if row else None
        if user is None or account is None or not user.active:
            return Outcome.refused({"form": "Votre session a expiré. Veuillez vous reconnecter."})
        if not hashing.verify_password(current or "", account.password_hash):
            return Outcome.refused({"current": "Le mot de passe actuel est incorrect."})
        errors = _new_password_errors(new, confirm, account.email)
        if not errors and new == current:
            errors["new"] = "Le nouveau mot de passe doit être différent de l'actuel."
        if errors:
            return Outcome.refused(errors)
        account.password_hash = hashing.hash_password(new)
        account.password_changed_at = utcnow()
        account.must_change_password = False  # a temporary password is replaced
        s.add(account)
        if user.activated_at is None:
            user.activated_at = utcnow()  # the temporary password of this firm's invitation is replaced
            s.add(user)
        revoke_account_sessions(s, stored_id(account), except_token=token)  # in every firm
        expire_one_time_links(s, stored_id(account), "reset")
        step_up.passkeys_to_confirm(s, account)
        audit.record(s, user, "mot_de_passe_modifie")
        step_up.notify(s, user, "Le mot de passe de votre compte a été modifié. Vos autres sessions ont été "
                                "déconnectées.")
        s.commit()
        return Outcome.done(message="Votre mot de passe a été modifié.")


def request_reset(identifier: str, ip: str = "") -> Outcome[None]:
    """Email a reset link if the identifier exists; the answer is the same either way."""
    ident = normalize_identifier(identifier)
    if not ident or "@" not in ident:
        return Outcome.refused({"identifier": "Veuillez saisir votre identifiant (adresse e-mail)."})
    with session_scope() as s:
        if _throttled(s, "reset", ident, ip, 3):
            log.warning("reset throttled identifier=%s ip=%s", ident, ip)
            return Outcome.done(message=RESET_SENT)
        _record_attempt(s, "reset", ident, ip)
        account = identities.account_by_identifier(s, ident)
        members = [u for u, _ in identities.active_memberships(s, stored_id(account))] if account else []
        if account is not None and members:
            token = issue_one_time_token(s, account, "reset", timedelta(minutes=settings.reset_link_minutes))
            for member in members:
                audit.record(s, member, "reinitialisation_demandee", "", ip)
            # The email is queued in the same transaction as the token: both or neither.
            notifications.send_password_reset(members[0], token, s=s, to=account.email)
        s.commit()
    return Outcome.done(message=RESET_SENT)


def reset_link_is_valid(token: str, purpose: str = "reset") -> bool:
    with session_scope() as s:
        return valid_one_time(s, token, purpose) is not None


def reset_password(token: str, new: str, confirm: str, purpose: str = "reset") -> Outcome[None]:
    """Set a new password from an emailed link; the link works once."""
    with session_scope() as s:
        row = valid_one_time(s, token, purpose)
        account = s.get(Account, row.account_id) if row else None
        members = [u for u, _ in identities.active_memberships(s, stored_id(account))] if account else []
        # An invitation is for one membership (it must still be active); a reset for the account.
        user = next((u for u in members if u.id == row.user_id), None) if row and row.user_id else (
            members[0] if members else None)
        if row is None or account is None or user is None:
            return Outcome.refused({"form": "Ce lien n'est plus valable. Demandez un nouveau lien depuis la page de connexion."})
        errors = _new_password_errors(new, confirm, account.email)
        if errors:
            return Outcome.refused(errors)
        # Mark used first, guarded on used_at, so two concurrent uses cannot both win.
        claimed = s.exec(
            update(OneTimeToken)
            .where(col(OneTimeToken.id) == row.id, col(OneTimeToken.used_at).is_(None))
            .values(used_at=utcnow())
        )
        if claimed.rowcount != 1:
            return Outcome.refused({"form": "Ce lien n'est plus valable."})
        account.password_hash = hashing.hash_password(new)
        account.password_changed_at = utcnow()
        account.must_change_password = False  # a temporary password is replaced
        s.add(account)
        if row.user_id and user.activated_at is None:
            user.activated_at = utcnow()  # this firm's invitation is accepted
            s.add(user)
        revoke_account_sessions(s, stored_id(account))  # in every firm
        expire_one_time_links(s, stored_id(account), "reset")
        step_up.passkeys_to_confirm(s, account)
        audit.record(s, user, "mot_de_passe_reinitialise")
        if not row.user_id:  # a reset (an invitation's first password changes no login method)
            step_up.notify(s, user, "Le mot de passe de votre compte a été réinitialisé. Toutes vos sessions ont "
                                    "été déconnectées.")
        s.commit()
        return Outcome.done(message="Votre mot de passe a été enregistré. Vous pouvez vous connecter.")
