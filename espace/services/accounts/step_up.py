"""Step-up: a change of a login method needs a fresh proof of identity.

Changing or removing the authenticator app, regenerating the recovery codes, adding or
removing a passkey, confirming the passkeys after a password change, asking to change
the e-mail address: each asks again for the password and, when the person has one, a
second factor (services/accounts/step_up_proof.py checks them). The proof is kept on
the SESSION row (`auth_session.step_up_until`, STEP_UP_MINUTES): another session of the
same person, a stolen cookie elsewhere, has none. A login that proved the password (and
the second factor) counts as a proof for those minutes; a passwordless passkey login
does not.

Every such change e-mails the person (`notify`: « Une méthode de connexion a été
ajoutée… Si ce n'est pas vous… ») with a one-time link that ends all their sessions
from any browser, logged in or not (`end_all_sessions`: single use, hashed, 7 days;
the page asks for a click, so a mail scanner that opens links ends nothing).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, col, delete, select, update

from espace.config import settings
from espace.db import session_scope
from espace.domain.outcome import Outcome
from espace.models import Account, AuthSession, OneTimeToken, Passkey, PendingLogin, User, utcnow
from espace.services import audit
from espace.services.accounts import identities
from espace.services.accounts.factors import account_of
from espace.services.accounts.one_time_links import issue_one_time_token, valid_one_time
from espace.services.accounts.session_store import live_session, revoke_account_sessions, stored_id
from espace.services.mail import notifications

log = logging.getLogger(__name__)

STEP_UP_MINUTES = 5
MAX_FAILURES = 5  # wrong confirmations on one session: the session is closed
LINK_DAYS = 7
LINK_PURPOSE = "end_sessions"

NEEDED = "Confirmez votre identité pour continuer : ce changement touche à la sécurité de votre compte."
EXPIRED = "Votre session a expiré. Veuillez vous reconnecter."


def session_of(s: Session, token: str | None, user: User | None = None) -> AuthSession | None:
    """The live session row of `token`, bound to `user`'s membership when given."""
    row = live_session(s, token or "")
    if row is None or (user is not None and (row.user_id != user.id or row.account_id != account_of(user))):
        return None
    return row


def is_confirmed(s: Session, token: str | None, user: User) -> bool:
    """True while this session's proof of identity is fresh (STEP_UP_MINUTES)."""
    row = session_of(s, token, user)
    return bool(row and row.step_up_until and row.step_up_until > utcnow())


def confirmed(token: str | None, user: User) -> bool:
    with session_scope() as s:
        return is_confirmed(s, token, user)


def refusal(s: Session, token: str | None, user: User) -> Outcome[None] | None:
    """None when the session may change a login method now; else the refusal to show."""
    if session_of(s, token, user) is None:
        return Outcome.refused(EXPIRED)
    if not is_confirmed(s, token, user):
        log.warning("security change refused without step-up user=%s", user.id)
        return Outcome.refused(NEEDED)
    return None


def grant(row: AuthSession) -> None:
    """Mark a session as confirmed for STEP_UP_MINUTES (the caller adds and commits)."""
    row.step_up_until = utcnow() + timedelta(minutes=STEP_UP_MINUTES)
    row.step_up_failures = 0


def end_sessions_link(s: Session, account: Account) -> str:
    """A new one-time link « déconnecter toutes mes sessions » of `account` (end_all_sessions)."""
    token = issue_one_time_token(s, account, LINK_PURPOSE, timedelta(days=LINK_DAYS))
    return f"{settings.public_url}/fermer-les-sessions?jeton={token}"


def notify(s: Session, user: User, what: str, ip: str = "") -> None:
    """Queue the e-mail that tells the person a login method changed, with the link that
    ends all their sessions, in the caller's transaction (both or neither)."""
    account = s.get(Account, account_of(user))
    if account is None:
        return
    notifications.send_security_notice(user, what, end_sessions_link(s, account), s=s, to=account.email)
    log.info("security notice queued account=%s what=%s", account.id, what)


def passkeys_to_confirm(s: Session, account: Account) -> None:
    """After a password change or reset: the account's passkeys stop opening a session
    without the password until the person confirms them (`confirm_passkeys`)."""
    if s.exec(select(Passkey.id).where(col(Passkey.account_id) == stored_id(account))).first() is not None:
        account.passkeys_to_confirm = True
        s.add(account)


def confirm_passkeys(user: User, token: str | None) -> Outcome[None]:
    """« Je reconnais ces clés d'accès »: needs a fresh step-up."""
    with session_scope() as s:
        refused = refusal(s, token, user)
        if refused is not None:
            return refused
        account = s.get(Account, account_of(user))
        if account is None:
            return Outcome.refused(EXPIRED)
        if account.passkeys_to_confirm:
            account.passkeys_to_confirm = False
            s.add(account)
            audit.record(s, user, "cles_acces_confirmees")
            s.commit()
        return Outcome.done(message="Vos clés d'accès sont confirmées : elles permettent de nouveau de se connecter.")


# --- The e-mailed link « ce n'est pas moi » ----------------------------------------------

def link_is_valid(link: str) -> bool:
    with session_scope() as s:
        return valid_one_time(s, link, LINK_PURPOSE) is not None


def end_all_sessions(link: str, ip: str = "") -> Outcome[None]:
    """Close every session of the link's person (every firm), end their pending logins,
    and suspend their passkeys' passwordless login; the link works once."""
    with session_scope() as s:
        row = valid_one_time(s, link, LINK_PURPOSE)
        account = s.get(Account, row.account_id) if row else None
        if row is None or account is None:
            return Outcome.refused("Ce lien n'est plus valable (déjà utilisé ou expiré).")
        claimed = s.exec(update(OneTimeToken).where(col(OneTimeToken.id) == row.id, col(OneTimeToken.used_at).is_(None))
                         .values(used_at=utcnow()))
        if claimed.rowcount != 1:
            return Outcome.refused("Ce lien n'est plus valable (déjà utilisé ou expiré).")
        account_id = stored_id(account)
        revoke_account_sessions(s, account_id)
        s.exec(delete(PendingLogin).where(col(PendingLogin.account_id) == account_id))
        passkeys_to_confirm(s, account)
        for member, _ in identities.active_memberships(s, account_id):
            audit.record(s, member, "sessions_fermees_par_lien", "lien « ce n'est pas moi »", ip)
        s.commit()
        log.warning("every session ended from an e-mailed link account=%s ip=%s", account_id, ip)
        return Outcome.done(message="Toutes vos sessions sont fermées, sur tous vos appareils.")
