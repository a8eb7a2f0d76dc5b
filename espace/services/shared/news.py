"""The other side of the client's « Nouveau » badges (services/client/news.py): when a
client first opened an item, shown on the firm's dossier page as a receipt."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select

from espace.models import ItemSeen, Role, User

DOCUMENTS = "documents"


def first_opened_by_clients(s: Session, firm_id: int, kind_key: str, ids: Sequence[int]) -> dict[int, datetime]:
    """For the firm's dossier page: when a client first opened each of these items
    (the earliest ItemSeen of a client of the firm)."""
    if not ids:
        return {}
    rows = s.exec(
        select(ItemSeen.item_id, func.min(ItemSeen.seen_at))
        .join(User, col(User.id) == ItemSeen.user_id)
        .where(col(ItemSeen.kind) == kind_key, col(ItemSeen.item_id).in_(list(ids)),
               col(User.firm_id) == firm_id, col(User.role) == Role.client)
        .group_by(col(ItemSeen.item_id))
    ).all()
    return {i: at for i, at in rows if at is not None}
