"""The firm's people (/admin/equipe, « Équipe du cabinet »): list the colleagues;
administrators invite a colleague (one-time link by e-mail), change a colleague's
role, deactivate (sessions closed at once) and reactivate.

Three firm roles: « Administrateur du cabinet » (settings, Stripe keys, logo,
colleagues' accounts), « Avocat » and « Collaborateur ». Every firm user may read
the list; every change needs an administrator (NotAdmin otherwise), and the last
active administrator of a firm can be neither demoted nor deactivated.

An address already used by an account of *another* firm gets the same answer as a
fresh one (no cross-firm signal); an address already used in the same firm is said."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from espace.config import settings
from espace.db import session_scope
from espace.domain.forms import NO_ROLE, ColleagueForm, read_form
from espace.domain.french import fdatetime
from espace.domain.ids import saved_id
from espace.domain.names import full_name
from espace.domain.outcome import Outcome
from espace.domain.roles import STAFF_ROLES, parse_role
from espace.models import Account, Firm, OneTimeToken, Role, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.access import FirmScope, firm_of, firm_scope, require_admin, staff_in_firm
from espace.services.accounts import auth, identities
from espace.services.firm import security_changes
from espace.services.firm.clients import NEVER
from espace.services.firm.invitations import INVITE_DAYS
from espace.services.firm.membership import open_membership
from espace.services.mail import outbox

log = logging.getLogger(__name__)

ROLE_LABELS = {
    Role.admin: "Administrateur du cabinet",
    Role.lawyer: "Avocat",
    Role.staff: "Collaborateur",
}
ROLE_CHOICES: list[tuple[str, str]] = [(r.value, label) for r, label in ROLE_LABELS.items()]  # (value, label)
NAME_MAX = 100
SAME_FIRM_TAKEN = "Cette adresse e-mail est déjà celle d'un compte de votre cabinet."
LAST_ADMIN = ("Le cabinet doit garder au moins un administrateur actif : nommez d'abord un autre "
              "administrateur.")


@dataclass(frozen=True, slots=True)
class Colleague:
    """A line of « Équipe du cabinet »."""
    id: int
    name: str
    email: str
    role: str  # Role value
    role_label: str
    status: str
    last_login: str
    active: bool
    me: bool  # the acting user


@dataclass(frozen=True, slots=True)
class Team:
    rows: list[Colleague]
    can_manage: bool  # the acting user is an administrator


def _status(u: User) -> str:
    if not u.active:
        return "Désactivé"
    if u.activated_at is None:  # from the membership only, never from another firm
        return "Invitation en attente"
    return "Actif"


def _row(u: User, me: User) -> Colleague:
    return Colleague(
        id=saved_id(u.id),
        name=full_name(u),
        email=u.email,
        role=u.role.value,
        role_label=ROLE_LABELS.get(u.role, ""),
        status=_status(u),
        last_login=fdatetime(u.last_login_at) if u.last_login_at else NEVER,
        active=u.active,
        me=u.id == me.id,
    )


def list_team(user: User) -> Team:
    """The firm's lawyers, staff and administrators by name, and whether the acting
    user may manage them."""
    with firm_scope(user) as (s, me):
        people = s.exec(
            select(User).where(User.firm_id == me.firm_id, col(User.role).in_(STAFF_ROLES))
            .order_by(func.lower(User.nom), func.lower(User.prenom), col(User.id))
        ).all()
        return Team(rows=[_row(u, me) for u in people], can_manage=me.role == Role.admin)


def _acting_admin(s: Session, user: User | None) -> User:
    """Serialise the firm's team changes (write lock on the firm row), then re-read the
    acting user in this transaction: still an active administrator of this firm."""
    if user is None:
        raise AccessDenied()
    s.exec(update(Firm).where(col(Firm.id) == user.firm_id).values(name=Firm.name))
    return require_admin(s, user)


@contextmanager
def _team_scope(user: User | None) -> Iterator[FirmScope]:
    """firm_scope for a change of the team: the firm's row locked first (_acting_admin)."""
    with session_scope() as s:
        yield FirmScope(s, _acting_admin(s, user))


def _other_active_admins(s: Session, firm_id: int | None, except_id: int | None) -> int:
    return s.exec(
        select(func.count()).select_from(User)
        .where(User.firm_id == firm_id, User.role == Role.admin, col(User.active).is_(True), User.id != except_id)
    ).one()


def _leaves_no_admin(s: Session, target: User) -> bool:
    return target.role == Role.admin and target.active and _other_active_admins(s, target.firm_id, target.id) == 0


# --------------------------------------------------------------------------- invite
def _queue_invitation(s: Session, actor: User, firm: Firm, target: User) -> None:
    """A one-time link to choose a password; a person who already logs in (to another
    firm: one identity, memberships per firm) is told to log in as usual instead. The
    admin's answer and the colleague's status are the same either way."""
    s.exec(update(OneTimeToken).where(col(OneTimeToken.user_id) == target.id, col(OneTimeToken.purpose) == "invite",
                                      col(OneTimeToken.used_at).is_(None)).values(used_at=utcnow()))
    token = auth.issue_one_time_token(s, target, "invite", timedelta(days=INVITE_DAYS))
    account = s.get(Account, target.account_id)
    known = account is not None and identities.has_own_password(account)
    outbox.enqueue(
        s, target.email, f"Invitation à rejoindre l'espace du {firm.name}", "colleague_invitation",
        {"firm_name": firm.name, "name": full_name(target),
         "inviter": full_name(actor), "role": ROLE_LABELS[target.role],
         "identifier": account.email if account else target.email, "known": known,
         "link": f"{settings.public_url}/connexion" if known else f"{settings.public_url}/activer?jeton={token}",
         "valid_days": INVITE_DAYS},
        firm_id=firm.id, reply_to=firm.sender_email, sender_name=firm.name,
    )


def invite_colleague(user: User, form: object, token: str | None = None) -> Outcome[int]:
    """Create a colleague's account (no password yet) with the chosen role and queue
    the invitation e-mail (one-time link, 7 days) in the same transaction. Needs the
    step-up of the session `token` (security_changes); every administrator is told."""
    with _team_scope(user) as (s, admin):
        values, errors = read_form(ColleagueForm, form)
        role = parse_role(values.role) if values is not None else None
        if values is None or role is None:  # no role: said in errors
            return Outcome.refused(errors)
        if (refused := security_changes.refusal(s, token, admin)) is not None:
            return Outcome.refused(refused)
        firm = firm_of(s, admin)
        try:
            # Linked to the person's account when the address already has one, anywhere:
            # the answer is the same (services/identities.py).
            target = open_membership(s, firm_id=admin.firm_id, role=role, values=values.model_dump()).user
        except identities.SameFirm:
            return Outcome.refused({"email": SAME_FIRM_TAKEN})
        except IntegrityError:
            s.rollback()
            log.info("colleague invitation raced with another account by=%s", admin.id)
            return Outcome.refused({"form": "L'invitation n'a pas pu être enregistrée. Réessayez."})
        _queue_invitation(s, admin, firm, target)
        audit.record(s, admin, "collegue_invite", f"{target.email} ({ROLE_LABELS[role]})",
                     subject_user_id=target.id)
        security_changes.tell_admins(s, admin, f"{full_name(admin)} a invité {full_name(target)} ({target.email}) "
                                               f"à rejoindre l'espace du cabinet comme « {ROLE_LABELS[role]} ».")
        s.commit()
        log.info("colleague invited by=%s firm=%s user=%s role=%s", admin.id, admin.firm_id, target.id, role.value)
        return Outcome.done(saved_id(target.id), f"Invitation envoyée à {values.email}.")


def resend_invitation(user: User, user_id: object) -> Outcome[int]:
    """A new link for a colleague who has not yet chosen a password."""
    with _team_scope(user) as (s, admin):
        target = staff_in_firm(s, admin, user_id)
        if not target.active:
            return Outcome.refused("Ce compte est désactivé : réactivez-le d'abord.", saved_id(target.id))
        if target.activated_at is not None:
            return Outcome.refused("Ce collègue a déjà activé son accès.", saved_id(target.id))
        _queue_invitation(s, admin, firm_of(s, admin), target)
        audit.record(s, admin, "collegue_invitation_renvoyee", target.email, subject_user_id=target.id)
        s.commit()
        return Outcome.done(saved_id(target.id), f"Invitation renvoyée à {target.email}.")


# --------------------------------------------------------------------------- role, access
def change_role(user: User, user_id: object, role: object, token: str | None = None) -> Outcome[int]:
    """Give a colleague another firm role; effective at their next action. Needs the
    step-up of the session `token`; the colleague and every administrator are told."""
    new_role = parse_role(role)
    with _team_scope(user) as (s, admin):
        target = staff_in_firm(s, admin, user_id)
        if new_role is None:
            return Outcome.refused(NO_ROLE, saved_id(target.id))
        if new_role == target.role:
            return Outcome.done(saved_id(target.id), "Aucune modification.")
        if new_role != Role.admin and _leaves_no_admin(s, target):
            return Outcome.refused(LAST_ADMIN, saved_id(target.id))
        if (refused := security_changes.refusal(s, token, admin)) is not None:
            return Outcome.refused(refused, saved_id(target.id))
        old = target.role
        target.role = new_role
        s.add(target)
        said = f"{ROLE_LABELS[old]} → {ROLE_LABELS[new_role]}"
        audit.record(s, admin, "collegue_role_modifie", f"{target.email} : {said}", subject_user_id=target.id)
        firm_name = firm_of(s, admin).name
        security_changes.tell_colleague(s, admin, target, f"Votre rôle dans l'espace du {firm_name} a été modifié "
                                                          f"par {full_name(admin)} : {said}.")
        security_changes.tell_admins(s, admin, f"{full_name(admin)} a modifié le rôle de {full_name(target)} : "
                                               f"{said}.", told=target.id)
        s.commit()
        log.info("colleague role changed by=%s user=%s %s->%s", admin.id, target.id, old.value, new_role.value)
        return Outcome.done(saved_id(target.id),
                            f"{full_name(target)} est maintenant « {ROLE_LABELS[new_role]} ».")


def deactivate_colleague(user: User, user_id: object) -> Outcome[int]:
    """Close a colleague's access now: inactive, every session revoked, links spent."""
    with _team_scope(user) as (s, admin):
        target = staff_in_firm(s, admin, user_id)
        if not target.active:
            return Outcome.done(saved_id(target.id), "Ce compte est déjà désactivé.")
        if _leaves_no_admin(s, target):
            return Outcome.refused(LAST_ADMIN, saved_id(target.id))
        target.active = False
        s.add(target)
        auth.revoke_all_sessions(s, saved_id(target.id))
        s.exec(update(OneTimeToken).where(col(OneTimeToken.user_id) == target.id, col(OneTimeToken.used_at).is_(None))
               .values(used_at=utcnow()))
        audit.record(s, admin, "collegue_desactive", target.email, subject_user_id=target.id)
        s.commit()
        log.info("colleague deactivated by=%s user=%s", admin.id, target.id)
        return Outcome.done(saved_id(target.id),
                            f"L'accès de {full_name(target)} est désactivé ; ses sessions ont été fermées.")


def reactivate_colleague(user: User, user_id: object, token: str | None = None) -> Outcome[int]:
    """Open a deactivated colleague's access again. Needs the step-up of the session
    `token`; every administrator is told."""
    with _team_scope(user) as (s, admin):
        target = staff_in_firm(s, admin, user_id)
        if target.active:
            return Outcome.done(saved_id(target.id), "Ce compte est déjà actif.")
        if (refused := security_changes.refusal(s, token, admin)) is not None:
            return Outcome.refused(refused, saved_id(target.id))
        target.active = True
        s.add(target)
        audit.record(s, admin, "collegue_reactive", target.email, subject_user_id=target.id)
        security_changes.tell_admins(s, admin, f"{full_name(admin)} a réactivé l'accès de {full_name(target)} "
                                               f"({ROLE_LABELS.get(target.role, '')}).")
        s.commit()
        return Outcome.done(saved_id(target.id), f"L'accès de {full_name(target)} est réactivé.")
