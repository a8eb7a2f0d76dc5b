"""Who at the firm hears about a client's dossier (a deposit, a message)."""
from __future__ import annotations

from sqlmodel import Session, col, select

from espace.models import Dossier, Role, User


def firm_recipients(s: Session, dossier: Dossier) -> list[User]:
    """Who at the firm is told about a dossier: its interlocutor, or, when it has
    none (or they left), the firm's active lawyers."""
    if dossier.interlocutor_id:
        person = s.get(User, dossier.interlocutor_id)
        if person is not None and person.active and person.firm_id == dossier.firm_id and person.role != Role.client:
            return [person]
    return list(
        s.exec(
            select(User)
            .where(col(User.firm_id) == dossier.firm_id, col(User.role).in_((Role.admin, Role.lawyer)),
                   col(User.active).is_(True))
            .order_by(col(User.id))
        ).all()
    )
