"""Who may act on the firm side, and the firm-scoped lookups of the services — written once.

Every firm service opens with `with firm_scope(user) as (s, staff):`: one session in
which `require_staff(s, user)` re-reads the acting user, who must still be an active
administrator, lawyer or staff member of the same firm; whatever the passed object
claims (a stale or forged User, an auth.Actor) counts for nothing beyond its id and
firm. `firm_scope(user, admin=True)` (require_admin) also wants the firm's
administrator role (settings, Stripe keys, logo, colleagues): a lawyer or staff
member gets NotAdmin, with its French message.

Objects are then looked up *within the acting user's firm* (`dossier_in_firm`,
`client_in_firm`, ...): an id that is malformed (domain/ids.parse_id), unknown or
of another firm is AccessDenied, answered as "not found"."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple, Protocol, TypeVar

from sqlmodel import Session, SQLModel, col, select

from espace.db import session_scope
from espace.domain.ids import parse_id, saved_id
from espace.domain.roles import ADMIN_ROLES, STAFF_ROLES
from espace.models import Client, Dossier, DossierClient, Firm, Role, User
from espace.services import AccessDenied

Row = TypeVar("Row", bound=SQLModel)


class Acting(Protocol):
    """What a guard reads of the passed acting user: a User row or an auth.Actor."""

    @property
    def id(self) -> int | None: ...

    @property
    def firm_id(self) -> int | None: ...

    @property
    def role(self) -> Role: ...


class NotAdmin(AccessDenied):
    """A lawyer or staff member asking for what only the firm's administrators may do."""

    message = "Seul un administrateur du cabinet peut effectuer cette action."


def require_staff(s: Session, user: Acting | None) -> User:
    """The acting staff member, re-read in `s`: still active, still administrator,
    lawyer or staff, still of the same firm; AccessDenied otherwise."""
    if user is None or user.id is None or user.role not in STAFF_ROLES:
        raise AccessDenied()
    fresh = s.get(User, user.id)
    if (fresh is None or not fresh.active or fresh.role not in STAFF_ROLES or not fresh.firm_id
            or fresh.firm_id != user.firm_id):
        raise AccessDenied()
    return fresh


def require_admin(s: Session, user: Acting | None) -> User:
    """An active administrator of the firm (« Administrateur du cabinet »), re-read
    as require_staff does. A lawyer or staff member → NotAdmin; anyone else → AccessDenied."""
    fresh = require_staff(s, user)
    if fresh.role not in ADMIN_ROLES:
        raise NotAdmin()
    return fresh


class FirmScope(NamedTuple):
    """A firm service's working set: its session and the acting staff member as
    re-read in it (unpack it: `with firm_scope(user) as (s, staff):`)."""

    s: Session
    staff: User

    @property
    def firm_id(self) -> int:
        return saved_id(self.staff.firm_id)


@contextmanager
def firm_scope(user: Acting | None, *, admin: bool = False) -> Iterator[FirmScope]:
    """One database session for a firm service, opened by the guard: the acting user
    re-read and checked (require_staff, or require_admin with `admin=True`) before
    the body runs; AccessDenied (NotAdmin) otherwise. The body commits what it writes."""
    with session_scope() as s:
        staff = require_admin(s, user) if admin else require_staff(s, user)
        yield FirmScope(s, staff)


def get_by_id(s: Session, model: type[Row], raw_id: object) -> Row | None:
    """The row of `model` whose id a browser sent, or None when the id is malformed or unknown."""
    number = parse_id(raw_id)
    return None if number is None else s.get(model, number)


def require_id(raw_id: object) -> int:
    """An id a browser sent, as an int; AccessDenied when malformed (domain/ids.parse_id)."""
    number = parse_id(raw_id)
    if number is None:
        raise AccessDenied()
    return number


# --------------------------------------------------------------------------- firm-scoped lookups
def dossier_in_firm(s: Session, staff: Acting, dossier_id: object) -> Dossier:
    """A dossier of the staff member's firm; AccessDenied otherwise."""
    d = get_by_id(s, Dossier, dossier_id)
    if d is None or d.firm_id != staff.firm_id:
        raise AccessDenied()
    return d


def client_in_firm(s: Session, staff: Acting, client_id: object) -> tuple[Client, User]:
    """The Client row and its User, if both belong to the staff member's firm."""
    cid = require_id(client_id)
    row = s.exec(
        select(Client, User)
        .join(User, col(User.id) == Client.user_id)
        .where(Client.id == cid, Client.firm_id == staff.firm_id, User.firm_id == staff.firm_id,
               User.role == Role.client)
    ).first()
    if row is None:
        raise AccessDenied()
    return row[0], row[1]


def client_user_in_firm(s: Session, staff: Acting, client_user_id: object) -> User:
    """A client's User row (membership) in the staff member's firm."""
    target = get_by_id(s, User, client_user_id)
    if target is None or target.firm_id != staff.firm_id or target.role != Role.client:
        raise AccessDenied()
    return target


def staff_in_firm(s: Session, staff: Acting, user_id: object) -> User:
    """An administrator, lawyer or staff member of the staff member's firm (a
    colleague, a dossier's interlocutor), active or not."""
    person = get_by_id(s, User, user_id)
    if person is None or person.firm_id != staff.firm_id or person.role not in STAFF_ROLES:
        raise AccessDenied()
    return person


def dossier_clients(s: Session, dossier: Dossier) -> list[tuple[Client, User]]:
    """The clients linked to a dossier (same firm), with their user rows, by name."""
    return [
        (c, u)
        for c, u in s.exec(
            select(Client, User)
            .join(DossierClient, col(DossierClient.client_id) == Client.id)
            .join(User, col(User.id) == Client.user_id)
            .where(DossierClient.dossier_id == dossier.id, Client.firm_id == dossier.firm_id)
            .order_by(col(User.nom), col(User.prenom), col(User.id))
        ).all()
    ]


def firm_of(s: Session, staff: Acting) -> Firm:
    """The staff member's firm (AccessDenied if it no longer exists)."""
    firm = s.get(Firm, staff.firm_id) if staff.firm_id is not None else None
    if firm is None:
        raise AccessDenied()
    return firm
