"""One person, one identity; one membership per firm.

An Account is a person: the login identifier (an e-mail address, unique) and the
password. A User row is that person's membership in ONE firm (role, names, the
address the firm writes to, active or not). A person may be a client of several
firms: after login they choose the firm (/choisir-cabinet) and the session is bound
to that membership; every check of the acting user then works on the membership
exactly as before.

Nothing a firm sees or is answered may depend on the person's account in another
firm: creating a client whose address already has an account answers the same as
for a fresh address (the membership is linked to the existing account), and the
firm's view of the membership (invitation pending, active, last login) depends only
on that membership.

Consent: a membership a firm opens for a person who already has an account waits for
that person (`user.consent` "pending"): it is not among their memberships (login,
chooser, « Changer d'espace », a second factor's firms) until they accept it on the
chooser at their next login (`invitations`, `answer_invitation`); a refusal keeps it
closed. The firm sees « Invitation en attente » meanwhile, as for anyone it invited.

`user.email` is the membership's contact address (where the firm's emails go); the
login identifier is `account.email`. They start equal; `set_email` is the one
function that changes a membership's address, and it moves the login identifier
only when that reveals nothing and touches no other firm (see its docstring).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from espace.db import session_scope
from espace.domain.ids import parse_id
from espace.models import Account, AuthSession, Client, Firm, Role, User, utcnow
from espace.services import audit
from espace.services.accounts.one_time_links import expire_one_time_links
from espace.services.accounts.session_store import (
    TOKEN_MAX,
    live_session,
    revoke_account_sessions,
    stored_id,
    with_account_flags,
)

log = logging.getLogger(__name__)

SAME_FIRM = "Cette adresse e-mail est déjà celle d'un compte de votre cabinet."
CONSENT_PENDING, CONSENT_REFUSED = "pending", "refused"
CHOOSER = "/choisir-cabinet"
ROLE_SPACE = {Role.client: "Espace client", Role.admin: "Espace cabinet", Role.lawyer: "Espace cabinet",
              Role.staff: "Espace cabinet"}


def normalize_identifier(identifier: str) -> str:
    """A login identifier as stored: printable, trimmed, lower-case, 254 characters at most."""
    # Control characters dropped: the identifier is logged (no forged log lines).
    return "".join(c for c in (identifier or "") if c.isprintable()).strip().lower()[:254]


class SameFirm(Exception):
    """The address already reaches a membership of the same firm (saying so reveals
    nothing about other firms)."""


def account_by_identifier(s: Session, identifier: str) -> Account | None:
    return s.exec(select(Account).where(Account.email == identifier)).first()


def has_own_password(account: Account) -> bool:
    """The person chose a password (not a pending invitation, not a temporary password)."""
    return account.password_hash is not None and not account.must_change_password


def active_memberships(s: Session, account_id: int) -> list[tuple[User, Firm]]:
    """The account's active memberships with their firm, by firm name."""
    return list(s.exec(
        select(User, Firm).join(Firm, col(Firm.id) == User.firm_id)
        .where(col(User.account_id) == account_id, col(User.active).is_(True), col(User.consent).is_(None))
        .order_by(func.lower(Firm.name), col(Firm.id), col(User.id))
    ).all())


def reaches_firm(s: Session, firm_id: int, email: str, *, except_user_id: int | None = None) -> bool:
    """Whether `email` already reaches a membership of this firm: as a member's
    contact address, or as the identifier of an account that is a member."""
    account = account_by_identifier(s, email)
    conditions = [User.firm_id == firm_id]
    if except_user_id is not None:
        conditions.append(User.id != except_user_id)
    by_address = s.exec(select(User.id).where(*conditions, func.lower(User.email) == email)).first()
    by_account = account is not None and s.exec(
        select(User.id).where(*conditions, User.account_id == account.id)).first()
    return by_address is not None or bool(by_account)


def add_membership(s: Session, *, firm_id: int, email: str, nom: str, prenom: str, role: Role,
                   created_at: datetime | None = None) -> tuple[User, Account, bool]:
    """A new membership of `firm_id` for the person identified by `email` (normalized):
    linked to the existing account, or with a new account (no password yet). Returns
    (membership, account, account_existed). Raises SameFirm for a duplicate in the firm.
    The caller must answer the firm the same whether the account existed or not."""
    if reaches_firm(s, firm_id, email):
        raise SameFirm()
    created = created_at or utcnow()
    account = account_by_identifier(s, email)
    existed = account is not None
    if account is None:
        account = Account(email=email, created_at=created)
        s.add(account)
        s.flush()
    user = User(firm_id=firm_id, account_id=stored_id(account), email=email, nom=nom, prenom=prenom, role=role,
                created_at=created, consent=_consent_for(account))
    s.add(user)
    s.flush()
    return user, account, existed


def _consent_for(account: Account) -> str | None:
    """A person who already logs in (their own password) is asked before a firm joins
    their spaces; an account still waiting for its first password is not theirs yet."""
    return CONSENT_PENDING if has_own_password(account) else None



def set_email(s: Session, user: User, new_email: str, client: Client | None = None) -> bool:
    """Change the address of a membership (and of its Client row). The login
    identifier follows only when the account is this membership's alone (no other
    firm), its identifier was this address, and no account has the new one; else the
    person keeps logging in with their identifier. Returns True when the identifier
    changed (links and a temporary password sent to the old address are then void and
    the account's sessions closed). The firm's answer must not depend on the result."""
    old = user.email
    user.email = new_email
    s.add(user)
    if client is not None:
        client.email = new_email
        s.add(client)
    account = s.get(Account, user.account_id)
    if account is None or account.email == new_email or account.email != old:
        return False
    others = s.exec(select(func.count()).select_from(User).where(
        User.account_id == account.id, User.id != user.id)).one()
    if others or account_by_identifier(s, new_email) is not None:
        log.info("identifier kept on address change user=%s account=%s", user.id, account.id)
        return False
    account.email = new_email
    s.add(account)
    identifier_changed(s, account)
    return True


def identifier_changed(s: Session, account: Account) -> None:
    """Call in the transaction that changes an account's login identifier (only
    set_email does): links and a temporary password sent to the old address stop
    working, and open sessions are closed."""
    expire_one_time_links(s, stored_id(account))
    if account.must_change_password:
        account.password_hash = None
        account.must_change_password = False
        s.add(account)
    revoke_account_sessions(s, stored_id(account))


def bind(s: Session, row: AuthSession, user: User, ip: str = "") -> None:
    """Bind a session to one of its account's memberships (login with a single
    membership, or the firm chooser): last login and first activation of THAT firm."""
    now = utcnow()
    row.user_id = user.id
    s.add(row)
    user.previous_login_at = user.last_login_at  # the home's « depuis votre dernière visite »
    user.last_login_at = now
    account = s.get(Account, row.account_id)
    if user.activated_at is None and account is not None and has_own_password(account):
        user.activated_at = now  # a temporary password counts once replaced (auth.change_password)
    s.add(user)
    audit.record(s, user, "connexion", "", ip)


# --------------------------------------------------------------------------- chooser
@dataclass(frozen=True, slots=True)
class Choice:
    id: str  # the membership's id
    firm: str
    space: str  # « Espace client » / « Espace cabinet »
    current: bool


def _session_row(s: Session, token: str | None) -> AuthSession | None:
    return live_session(s, token or "")


def choices(token: str | None) -> list[Choice] | None:
    """The memberships the session's person may switch to; None without a live session."""
    with session_scope() as s:
        row = _session_row(s, token)
        if row is None:
            return None
        return [Choice(str(u.id), f.name, ROLE_SPACE.get(u.role, "Espace client"), u.id == row.user_id)
                for u, f in active_memberships(s, row.account_id)]


def awaits_choice(token: str | None) -> bool:
    """A live session whose person has not chosen a firm yet."""
    if not token or len(token) > TOKEN_MAX:
        return False
    with session_scope() as s:
        row = _session_row(s, token)
        return row is not None and row.user_id is None


def has_several(account_id: int) -> bool:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(User).where(
            col(User.account_id) == account_id, col(User.active).is_(True), col(User.consent).is_(None))).one() > 1


def choose(token: str | None, membership_id: object, ip: str = "") -> User | None:
    """Bind the session to one of its person's active memberships; None when the
    session is gone or the id is not one of them (whatever was sent)."""
    wanted = parse_id(membership_id)
    if wanted is None:
        return None
    with session_scope() as s:
        row = _session_row(s, token)
        if row is None:
            return None
        user = s.get(User, wanted)
        if user is None or user.account_id != row.account_id or not user.active or user.consent is not None:
            log.warning("firm choice refused session=%s membership=%s", row.id, wanted)
            return None
        if row.user_id != user.id:
            bind(s, row, user, ip)
        account = s.get(Account, row.account_id)
        s.commit()
        return with_account_flags(user, account)


# --------------------------------------------------------------------------- consent
@dataclass(frozen=True, slots=True)
class Invitation:
    id: str  # the waiting membership's id
    firm: str
    space: str  # « espace client » / « espace cabinet »


def _waiting(s: Session, account_id: int) -> list[tuple[User, Firm]]:
    return list(s.exec(
        select(User, Firm).join(Firm, col(Firm.id) == User.firm_id)
        .where(col(User.account_id) == account_id, col(User.active).is_(True), col(User.consent) == CONSENT_PENDING)
        .order_by(func.lower(Firm.name), col(Firm.id), col(User.id))
    ).all())


def has_invitations(s: Session, account_id: int) -> bool:
    """Firms waiting for this person's consent: the login then opens on the chooser."""
    return bool(_waiting(s, account_id))


def invitations(token: str | None) -> list[Invitation] | None:
    """The firms waiting for the session's person's consent; None without a live session."""
    with session_scope() as s:
        row = _session_row(s, token)
        if row is None:
            return None
        return [Invitation(str(u.id), f.name, ROLE_SPACE.get(u.role, "Espace client").lower())
                for u, f in _waiting(s, row.account_id)]


def answer_invitation(token: str | None, membership_id: object, accept: bool, ip: str = "") -> bool:
    """Accept (the membership opens: it joins the person's spaces) or refuse (it stays
    closed) one of the session's person's invitations; False when the session is gone
    or the id is not one of them (whatever was sent)."""
    wanted = parse_id(membership_id)
    if wanted is None:
        return False
    with session_scope() as s:
        row = _session_row(s, token)
        user = s.get(User, wanted) if row is not None else None
        if row is None or user is None or user.account_id != row.account_id or not user.active \
                or user.consent != CONSENT_PENDING:
            log.warning("invitation answer refused session=%s membership=%s", row.id if row else None, wanted)
            return False
        user.consent = None if accept else CONSENT_REFUSED
        s.add(user)
        # In the operator's trail, not the firm's: an answer exists only for a person who had an
        # account, which the firm must not learn (it sees « Invitation en attente », then « Actif »).
        audit.record(s, None, "invitation_acceptee" if accept else "invitation_refusee",
                     f"account {row.account_id} membership {user.id} firm {user.firm_id}", ip)
        s.commit()
        log.info("invitation %s membership=%s", "accepted" if accept else "refused", user.id)
        return True
