"""Who may act on which side: the firm's people (administrators, lawyers, staff) and
its clients. Written once; the services' guards (services/access.py) and the
web guards (web/access.py) read it."""
from __future__ import annotations

from espace.models import Role

STAFF_ROLES: tuple[Role, ...] = (Role.admin, Role.lawyer, Role.staff)
ADMIN_ROLES: tuple[Role, ...] = (Role.admin,)


def is_staff(role: Role | None) -> bool:
    """A member of the firm's team (administrator, lawyer or staff member)."""
    return role in STAFF_ROLES


def parse_role(value: object) -> Role | None:
    """A firm role sent by a browser ("admin", "lawyer", "staff"), or None."""
    try:
        role = Role(str(value).strip())
    except ValueError:
        return None
    return role if role in STAFF_ROLES else None
