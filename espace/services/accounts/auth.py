"""Login, server-side sessions, password change and reset, throttling."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, func, select, update

from espace.services import crypto as security
from espace.config import settings
from espace.db import get_engine, session_scope
from espace.models import Account, AuthSession, LoginAttempt, OneTimeToken, Role, User, utcnow
from espace.services import audit
from espace.services.accounts import identities, login_guard

log = logging.getLogger(__name__)

TICKET_SECONDS = 60
TOUCH_EVERY = timedelta(seconds=60)
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
TOO_MANY = "Trop de tentatives. Réessayez dans quelques minutes."
RESET_SENT = (
    "Si un compte correspond à cet identifiant, un email contenant un lien de "
    "réinitialisation vient de lui être envoyé. Le lien est valable 1 heure."
)


def normalize_identifier(identifier: str) -> str:
    # Control characters dropped: the identifier is logged (no forged log lines).
    return "".join(c for c in (identifier or "") if c.isprintable()).strip().lower()[:254]


@dataclass
class LoginResult:
    ok: bool
    error: str = ""
    ticket: str = ""
    # Set as a cookie by the login page itself before it goes to /api/session/ouvrir:
    # the ticket opens the session only with it, so a ticket alone (an attacker's own,
    # in a link) cannot log someone else's browser into the attacker's account.
    browser_key: str = ""
    role: Role | None = None
    # Set (with ok False) when the password was right and a second factor is due:
    # the token of the pending login (services/two_factor.py).
    pending: str = ""


@dataclass
class FormResult:
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""


def _throttled(session: Session, kind: str, identifier: str, ip: str, limit_id: int) -> bool:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    by_id, by_ip = session.exec(
        select(
            func.count().filter(LoginAttempt.identifier == identifier),
            func.count().filter(LoginAttempt.ip == ip),
        ).where(LoginAttempt.kind == kind, LoginAttempt.at >= since)
    ).one()
    return by_id >= limit_id or by_ip >= settings.login_ip_max_failures


def _record_attempt(session: Session, kind: str, identifier: str, ip: str) -> None:
    session.add(LoginAttempt(kind=kind, identifier=identifier, ip=ip))


def login(identifier: str, password: str, ip: str = "", device_cookie: str | None = None) -> LoginResult:
    """Check credentials; on success create a session and return a one-time ticket
    that the browser exchanges for an HttpOnly cookie (api.open_session).
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
        members = [u for u, _ in identities.active_memberships(s, account.id)] if account else []
        ok = security.verify_password(password[:1024], account.password_hash if account else None)
        if not ok or not members:
            login_guard.record_failure(s, verdict)
            for member in members or [None]:
                audit.record(s, member, "connexion_refusee", ident, ip)
            s.commit()
            return LoginResult(False, BAD_CREDENTIALS)
        from espace.services.accounts import two_factor

        if two_factor.has_second_factor(s, account.id):
            # No session yet: the second factor first (services/two_factor.py).
            pending = two_factor.start_pending(s, account, ip)
            s.commit()
            return LoginResult(False, pending=pending)
        result = issue_ticket(s, account, members, ip)
        s.commit()
        return result


def issue_ticket(s: Session, account: Account, members: list[User], ip: str = "") -> LoginResult:
    """Create the session of a person who has proved who they are (password, plus a
    second factor when they have one) and return the one-time ticket and browser key;
    the caller commits. One membership: bound now; several: the session opens on the
    firm chooser."""
    user = members[0] if len(members) == 1 else None
    ticket, browser_key = security.new_token(), security.new_token()
    now = utcnow()
    s.add(
        row := AuthSession(
            account_id=account.id,
            token_hash="pending:" + security.new_token(),
            ticket_hash=_ticket_hash(ticket, browser_key),
            ticket_expires_at=now + timedelta(seconds=TICKET_SECONDS),
            expires_at=now + timedelta(hours=settings.session_max_hours),
            ip=ip[:64],
        )
    )
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
    if not ticket or not browser_key or len(ticket) > 200 or len(browser_key) > 200:
        return None
    with session_scope() as s:
        row = s.exec(select(AuthSession).where(AuthSession.ticket_hash == _ticket_hash(ticket, browser_key))).first()
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
        return token, identities.with_account_flags(user, account) if user else None


def account_identifier(token: str) -> str:
    """The login identifier of the account behind a session token ('' if none): what the
    device cookie is bound to, also when the session still waits for a firm choice."""
    if not token or len(token) > 200:
        return ""
    with session_scope() as s:
        email = s.exec(select(Account.email).join(AuthSession, AuthSession.account_id == Account.id)
                       .where(AuthSession.token_hash == security.token_hash(token))).first()
    return normalize_identifier(email or "")


# Built once: every page event and API request runs it (building a statement costs
# more CPU than SQLite takes to answer it).
_SESSION_BY_HASH = select(AuthSession).where(AuthSession.token_hash == bindparam("token_hash"))
_SESSION_AND_USER_BY_HASH = (
    select(AuthSession, User, Account.must_change_password).join(User, User.id == AuthSession.user_id)
    .join(Account, Account.id == User.account_id)
    .where(AuthSession.token_hash == bindparam("token_hash"))
)

_S, _U, _A = AuthSession.__table__, User.__table__, Account.__table__
_ACTOR_BY_HASH = (
    core_select(_S.c.id.label("session_id"), _S.c.revoked_at, _S.c.expires_at, _S.c.last_seen_at,
                _U.c.id, _U.c.firm_id, _U.c.role, _U.c.nom, _U.c.prenom, _U.c.active, _A.c.must_change_password)
    .select_from(_S.join(_U, _U.c.id == _S.c.user_id).join(_A, _A.c.id == _U.c.account_id))
    .where(_S.c.token_hash == bindparam("token_hash"))
)
_TOUCH = update(_S).where(_S.c.id == bindparam("session_id")).values(last_seen_at=bindparam("now"))


def _is_live(row: AuthSession | None) -> bool:
    now = utcnow()
    return not (
        row is None
        or row.revoked_at is not None
        or row.expires_at <= now
        or row.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= now
    )


def _live_session(s: Session, token: str) -> AuthSession | None:
    if not token or len(token) > 200:
        return None
    row = s.exec(_SESSION_BY_HASH, params={"token_hash": security.token_hash(token)}).first()
    return row if _is_live(row) else None


def _touch_if_due(connection, session_id: int, last_seen_at: datetime) -> bool:
    """Move the idle expiry forward (at most once a minute); True when written."""
    if utcnow() - last_seen_at <= TOUCH_EVERY:
        return False
    connection.execute(_TOUCH, {"session_id": session_id, "now": utcnow()})
    return True


def current_user(token: str | None) -> User | None:
    """The active membership behind a session token, or None (expired, revoked,
    unknown, or no firm chosen yet)."""
    found = current_session(token)
    return found[1] if found else None


def current_session(token: str | None) -> tuple[int, User] | None:
    """(session row id, active membership) behind a session token, or None; the same
    read as current_user (a tab's identity: see state/tab_identity.py)."""
    if not token or len(token) > 200:
        return None
    with session_scope() as s:
        found = s.exec(_SESSION_AND_USER_BY_HASH, params={"token_hash": security.token_hash(token)}).first()
        if found is None:
            return None
        row, user, must_change = found
        if not _is_live(row) or not user.active:
            return None
        if _touch_if_due(s.connection(), row.id, row.last_seen_at):
            s.commit()
        object.__setattr__(user, "must_change_password", bool(must_change))
        return row.id, user


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
    if not token or len(token) > 200:
        return None
    with get_engine().connect() as connection:
        row = connection.execute(_ACTOR_BY_HASH, {"token_hash": security.token_hash(token)}).first()
        if row is None or not _is_live(row) or not row.active:
            return None
        if _touch_if_due(connection, row.session_id, row.last_seen_at):
            connection.commit()
    return Actor(row.id, row.firm_id, row.role, row.nom, row.prenom, row.must_change_password)


def logout(token: str | None) -> None:
    if not token:
        return
    with session_scope() as s:
        row = s.exec(select(AuthSession).where(AuthSession.token_hash == security.token_hash(token))).first()
        if row and row.revoked_at is None:
            row.revoked_at = utcnow()
            s.add(row)
            audit.record(s, s.get(User, row.user_id) if row.user_id else None, "deconnexion")
            s.commit()


def revoke_all_sessions(s: Session, user_id: int, *, except_token: str | None = None) -> None:
    """Close the sessions bound to one membership (the person's other firms keep theirs)."""
    stmt = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if except_token:
        stmt = stmt.where(AuthSession.token_hash != security.token_hash(except_token))
    s.exec(stmt.values(revoked_at=utcnow()))


def revoke_account_sessions(s: Session, account_id: int, *, except_token: str | None = None) -> None:
    """Close every session of a person, in every firm (password changed or reset)."""
    stmt = update(AuthSession).where(AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None))
    if except_token:
        stmt = stmt.where(AuthSession.token_hash != security.token_hash(except_token))
    s.exec(stmt.values(revoked_at=utcnow()))


def _expire_one_time_links(s: Session, account_id: int, purpose: str | None = None) -> None:
    stmt = update(OneTimeToken).where(OneTimeToken.account_id == account_id, OneTimeToken.used_at.is_(None))
    if purpose:
        stmt = stmt.where(OneTimeToken.purpose == purpose)
    s.exec(stmt.values(used_at=utcnow()))


def identifier_changed(s: Session, account: Account) -> None:
    """Call in the transaction that changes an account's login identifier (only
    identities.set_email does): links and a temporary password sent to the old
    address stop working, and open sessions are closed."""
    _expire_one_time_links(s, account.id)
    if account.must_change_password:
        account.password_hash = None
        account.must_change_password = False
        s.add(account)
    revoke_account_sessions(s, account.id)


def _new_password_errors(new: str, confirm: str, identifier: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    problems = security.password_problems(new or "", identifier=identifier)
    if problems:
        errors["new"] = "Le mot de passe doit comporter " + ", ".join(problems) + "."
    elif new != confirm:
        errors["confirm"] = "Les deux mots de passe ne sont pas identiques."
    return errors


def change_password(token: str, current: str, new: str, confirm: str) -> FormResult:
    """Change the password of the session's user; other sessions are revoked."""
    with session_scope() as s:
        row = _live_session(s, token)
        user = s.get(User, row.user_id) if row and row.user_id else None
        account = s.get(Account, row.account_id) if row else None
        if user is None or account is None or not user.active:
            return FormResult(False, {"form": "Votre session a expiré. Veuillez vous reconnecter."})
        if not security.verify_password(current or "", account.password_hash):
            return FormResult(False, {"current": "Le mot de passe actuel est incorrect."})
        errors = _new_password_errors(new, confirm, account.email)
        if not errors and new == current:
            errors["new"] = "Le nouveau mot de passe doit être différent de l'actuel."
        if errors:
            return FormResult(False, errors)
        account.password_hash = security.hash_password(new)
        account.password_changed_at = utcnow()
        account.must_change_password = False  # a temporary password is replaced
        s.add(account)
        if user.activated_at is None:
            user.activated_at = utcnow()  # the temporary password of this firm's invitation is replaced
            s.add(user)
        revoke_account_sessions(s, account.id, except_token=token)  # in every firm
        _expire_one_time_links(s, account.id, "reset")
        audit.record(s, user, "mot_de_passe_modifie")
        s.commit()
        return FormResult(True, message="Votre mot de passe a été modifié.")


def issue_one_time_token(s: Session, owner: User | Account, purpose: str, valid_for: timedelta) -> str:
    """A link for an account (reset) or for one membership (invitation: pass the User)."""
    token = security.new_token()
    s.add(
        OneTimeToken(
            account_id=owner.account_id if isinstance(owner, User) else owner.id,
            user_id=owner.id if isinstance(owner, User) else None,
            purpose=purpose,
            token_hash=security.token_hash(token),
            expires_at=utcnow() + valid_for,
        )
    )
    return token


def request_reset(identifier: str, ip: str = "") -> FormResult:
    """Email a reset link if the identifier exists; the answer is the same either way."""
    from espace.services.mail import notifications

    ident = normalize_identifier(identifier)
    if not ident or "@" not in ident:
        return FormResult(False, {"identifier": "Veuillez saisir votre identifiant (adresse e-mail)."})
    with session_scope() as s:
        if _throttled(s, "reset", ident, ip, 3):
            log.warning("reset throttled identifier=%s ip=%s", ident, ip)
            return FormResult(True, message=RESET_SENT)
        _record_attempt(s, "reset", ident, ip)
        account = identities.account_by_identifier(s, ident)
        members = [u for u, _ in identities.active_memberships(s, account.id)] if account else []
        if members:
            token = issue_one_time_token(s, account, "reset", timedelta(minutes=settings.reset_link_minutes))
            for member in members:
                audit.record(s, member, "reinitialisation_demandee", "", ip)
            # The email is queued in the same transaction as the token: both or neither.
            notifications.send_password_reset(members[0], token, s=s, to=account.email)
        s.commit()
    return FormResult(True, message=RESET_SENT)


def _valid_one_time(s: Session, token: str, purpose: str) -> OneTimeToken | None:
    if not token or len(token) > 200:
        return None
    row = s.exec(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == security.token_hash(token), OneTimeToken.purpose == purpose
        )
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def reset_link_is_valid(token: str, purpose: str = "reset") -> bool:
    with session_scope() as s:
        return _valid_one_time(s, token, purpose) is not None


def reset_password(token: str, new: str, confirm: str, purpose: str = "reset") -> FormResult:
    """Set a new password from an emailed link; the link works once."""
    with session_scope() as s:
        row = _valid_one_time(s, token, purpose)
        account = s.get(Account, row.account_id) if row else None
        members = [u for u, _ in identities.active_memberships(s, account.id)] if account else []
        # An invitation is for one membership (it must still be active); a reset for the account.
        user = next((u for u in members if u.id == row.user_id), None) if row and row.user_id else (
            members[0] if members else None)
        if row is None or account is None or user is None:
            return FormResult(False, {"form": "Ce lien n'est plus valable. Demandez un nouveau lien depuis la page de connexion."})
        errors = _new_password_errors(new, confirm, account.email)
        if errors:
            return FormResult(False, errors)
        # Mark used first, guarded on used_at, so two concurrent uses cannot both win.
        claimed = s.exec(
            update(OneTimeToken)
            .where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None))
            .values(used_at=utcnow())
        )
        if claimed.rowcount != 1:
            return FormResult(False, {"form": "Ce lien n'est plus valable."})
        account.password_hash = security.hash_password(new)
        account.password_changed_at = utcnow()
        account.must_change_password = False  # a temporary password is replaced
        s.add(account)
        if row.user_id and user.activated_at is None:
            user.activated_at = utcnow()  # this firm's invitation is accepted
            s.add(user)
        revoke_account_sessions(s, account.id)  # in every firm
        _expire_one_time_links(s, account.id, "reset")
        audit.record(s, user, "mot_de_passe_reinitialise")
        s.commit()
        return FormResult(True, message="Votre mot de passe a été enregistré. Vous pouvez vous connecter.")
