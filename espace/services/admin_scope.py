"""Who may act on the firm side, and firm-scoped lookups shared by the admin services.

Every admin service function starts with `require_staff(user)`: only an active
administrator, lawyer or staff member of a firm passes (`require_admin(user)`:
administrators only — settings, Stripe keys, logo, colleagues); a client (or nobody) gets AccessDenied. Objects are
then looked up *within user.firm_id*, so an id of another firm is "not found"."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlmodel import Session, select

from espace.config import settings
from espace.domain.ids import parse_page
from espace.models import Client, Role, User
from espace.services import AccessDenied
from espace.services.firm_scope import ADMIN_ROLES, STAFF_ROLES, as_id as parse_id, firm_dossier as dossier_in_firm  # noqa: F401


@dataclass
class ActionResult:
    """What an admin action returns: ok, the errors by field ("form" for the whole
    form) and the message to show. Services subclass it to add the id they create."""
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""


def page_of(total: int, page) -> tuple[int, int, int]:
    """(page, pages, size) of a list of `total` rows shown settings.page_size at a time:
    the asked page kept within 1..pages (1 if it is not a number), pages at least 1."""
    size = settings.page_size
    pages = max(1, math.ceil(total / size))
    page = min(parse_page(page), pages)
    return page, pages, size


def require_staff(user: User | None) -> User:
    if user is None or user.role not in STAFF_ROLES or not user.active or not user.firm_id:
        raise AccessDenied()
    return user


class NotAdmin(AccessDenied):
    """A lawyer or staff member asking for what only the firm's administrators may do."""

    message = "Seul un administrateur du cabinet peut effectuer cette action."


def require_admin(user: User | None) -> User:
    """An active administrator of the firm (« Administrateur du cabinet »): settings,
    Stripe keys, logo, colleagues' accounts. A lawyer or staff member → NotAdmin."""
    require_staff(user)
    if user.role not in ADMIN_ROLES:
        raise NotAdmin()
    return user


def client_in_firm(s: Session, user: User, client_id) -> tuple[Client, User]:
    """The Client row and its User, if both belong to the acting user's firm."""
    cid = parse_id(client_id)
    row = s.exec(
        select(Client, User)
        .join(User, User.id == Client.user_id)
        .where(Client.id == cid, Client.firm_id == user.firm_id, User.firm_id == user.firm_id,
               User.role == Role.client)
    ).first()
    if row is None:
        raise AccessDenied()
    return row[0], row[1]


def client_user_in_firm(s: Session, user: User, client_user_id) -> User:
    uid = parse_id(client_user_id)
    target = s.get(User, uid)
    if target is None or target.firm_id != user.firm_id or target.role != Role.client:
        raise AccessDenied()
    return target
