"""A client's invitation to the firm's space: a one-time link (valid INVITE_DAYS days)
or, when the firm chose so, a temporary password, queued in the caller's transaction;
and where an invitation stands."""
from __future__ import annotations

import secrets
import string
from datetime import timedelta

from sqlmodel import Session, col, select, update

from espace.config import settings
from espace.domain.french import fdate, fdatetime
from espace.domain.ids import saved_id
from espace.domain.names import full_name
from espace.models import Account, Firm, OneTimeToken, User, utcnow
from espace.services import audit
from espace.services import crypto as security
from espace.services.accounts import auth, hashing, identities
from espace.services.mail import outbox

INVITE_DAYS = 7


def generate_password(identifier: str) -> str:
    """A readable temporary password that passes the password rules."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(12))
        password = f"{core[:4]}-{core[4:8]}-{core[8:]}"
        if not security.password_problems(password, identifier=identifier):
            return password


def status_line(s: Session, target: User) -> str:
    """Where the client's invitation stands, as /admin/clients/<id> says it."""
    row = s.exec(
        select(OneTimeToken).where(OneTimeToken.user_id == target.id, OneTimeToken.purpose == "invite")
        .order_by(col(OneTimeToken.created_at).desc(), col(OneTimeToken.id).desc())
    ).first()
    if target.activated_at is not None:
        return "Espace activé."
    if target.temporary_password_invite:
        return "Mot de passe provisoire envoyé ; il devra être changé à la première connexion."
    if row is None:
        return "Aucune invitation envoyée."
    if row.used_at is None and row.expires_at > utcnow():
        return f"Invitation envoyée le {fdate(row.created_at)}, valable jusqu'au {fdatetime(row.expires_at)}."
    return f"L'invitation envoyée le {fdate(row.created_at)} n'est plus valable : renvoyez-la."


def invite_client(s: Session, actor: User, firm: Firm, target: User, *, resend: bool) -> str:
    """Queue the invitation (one-time link, or the manual's temporary password)
    in the caller's transaction; returns the message for the lawyer.

    A person who already logs in (to another firm) is only told that this firm opened
    a space for them, to be reached with their usual identifier; the firm's answer,
    status, trail and invitation dates are exactly those of a new person."""
    account = s.get(Account, target.account_id)
    if account is None:
        raise LookupError(f"membership {target.id} without its account")
    known = identities.has_own_password(account)
    context = {"firm_name": firm.name, "client_name": full_name(target),
               "identifier": target.email}
    target.temporary_password_invite = firm.invite_with_temporary_password
    s.add(target)
    if known:
        outbox.enqueue(s, target.email, f"Le cabinet {firm.name} vous invite à rejoindre son espace client",
                       "membership_opened",
                       {"firm_name": firm.name, "client_name": context["client_name"],
                        "link": f"{settings.public_url}/connexion"},
                       firm_id=firm.id, reply_to=firm.sender_email, sender_name=firm.name)
    if firm.invite_with_temporary_password:
        if known:
            hashing.burn_time_like_verify()  # as long as hashing a new temporary password
        else:
            password = generate_password(account.email)
            account.password_hash = hashing.hash_password(password)
            account.password_changed_at = utcnow()
            account.must_change_password = True
            s.add(account)
            auth.revoke_account_sessions(s, saved_id(account.id))
            outbox.enqueue(s, target.email, "Vos identifiants de connexion à votre espace client",
                           "temporary_password",
                           {**context, "identifier": account.email, "password": password,
                            "link": f"{settings.public_url}/connexion"},
                           firm_id=firm.id, reply_to=firm.sender_email, sender_name=firm.name)
        audit.record(s, actor, "mot_de_passe_provisoire_envoye", target.email, subject_user_id=target.id)
        return f"Mot de passe provisoire envoyé à {target.email}."
    # Only the newest link works: older unused invitations are spent.
    s.exec(update(OneTimeToken).where(col(OneTimeToken.user_id) == target.id, col(OneTimeToken.purpose) == "invite",
                                      col(OneTimeToken.used_at).is_(None)).values(used_at=utcnow()))
    # Issued for a known person too (never sent): the firm's "Invitation envoyée le …,
    # valable jusqu'au …" reads the same.
    token = auth.issue_one_time_token(s, target, "invite", timedelta(days=INVITE_DAYS))
    if not known:
        outbox.enqueue(s, target.email, "Votre espace client est ouvert", "invitation",
                       {**context, "identifier": account.email,
                        "link": f"{settings.public_url}/activer?jeton={token}", "valid_days": INVITE_DAYS},
                       firm_id=firm.id, reply_to=firm.sender_email, sender_name=firm.name)
    audit.record(s, actor, "invitation_renvoyee" if resend else "invitation_envoyee", target.email,
                 subject_user_id=target.id)
    return f"Invitation envoyée à {target.email}."
