"""Scoping of the firm side: the acting user must be an active lawyer or staff
member, and every object reached must belong to that user's firm. Anything else
is AccessDenied (answered as "not found", whatever ids were sent)."""
from __future__ import annotations

from sqlmodel import Session, select

from espace.domain.ids import parse_id
from espace.models import Client, Dossier, DossierClient, Role, User
from espace.services import AccessDenied
from espace.domain.names import formal_name

STAFF_ROLES = (Role.admin, Role.lawyer, Role.staff)
ADMIN_ROLES = (Role.admin,)


def staff_of(s: Session, user: User | None) -> User:
    """The acting staff user, re-read from the database (still active, still staff)."""
    if user is None or getattr(user, "id", None) is None or user.role not in STAFF_ROLES:
        raise AccessDenied()
    fresh = s.get(User, user.id)
    if fresh is None or not fresh.active or fresh.role not in STAFF_ROLES or fresh.firm_id != user.firm_id:
        raise AccessDenied()
    return fresh


def as_id(value) -> int:
    """An id sent by a browser, as an int; AccessDenied when malformed."""
    number = parse_id(value)
    if number is None:
        raise AccessDenied()
    return number


def firm_dossier(s: Session, staff: User, dossier_id) -> Dossier:
    """A dossier of the staff user's firm; AccessDenied otherwise."""
    d = s.get(Dossier, as_id(dossier_id))
    if d is None or d.firm_id != staff.firm_id:
        raise AccessDenied()
    return d


def dossier_clients(s: Session, dossier: Dossier) -> list[tuple[Client, User]]:
    """The clients linked to a dossier (same firm), with their user rows, by name."""
    return list(
        s.exec(
            select(Client, User)
            .join(DossierClient, DossierClient.client_id == Client.id)
            .join(User, User.id == Client.user_id)
            .where(DossierClient.dossier_id == dossier.id, Client.firm_id == dossier.firm_id)
            .order_by(User.nom, User.prenom, User.id)
        ).all()
    )


def display_name(u: User | None) -> str:
    """"NOM Prénom", as the manual shows people."""
    return formal_name(u)
