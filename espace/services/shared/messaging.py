"""A dossier's message thread, read by either side: its rows, and the other side's
messages marked read (« Lu le … »). Who may read it is decided by the caller: the
client's own dossiers (services/client/messaging.py, through services/client/access),
any dossier of their firm for its people (`thread` below)."""
from __future__ import annotations

from typing import TypedDict

from sqlmodel import Session, col, select, update

from espace.db import session_scope
from espace.domain import french
from espace.domain.french import fdatetime
from espace.domain.ids import parse_id
from espace.domain.names import full_name
from espace.domain.roles import is_staff
from espace.models import Dossier, Message, MessageDirection, Role, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.shared import counters

SUBJECT_MAX = 150
BODY_MAX = 5000


class MessageRow(TypedDict):
    """One message of a dossier's thread (French display strings)."""

    id: str
    date: str
    author: str
    direction: str  # MessageDirection's value: "client" or "cabinet"
    subject: str
    body: str
    read: str  # « Lu le 30/11/2026 14:05 » once the other side read it, else ""


def thread(user: User, dossier_id: object) -> list[MessageRow]:
    """A dossier of their firm's thread, read by one of the firm's people (a client
    reads theirs through services/client/messaging); AccessDenied otherwise."""
    if user is None or not user.active or not is_staff(user.role):
        raise AccessDenied()
    did = parse_id(dossier_id)
    if did is None:
        raise AccessDenied()
    with session_scope() as s:
        d = s.get(Dossier, did)
        if d is None or d.firm_id != user.firm_id:
            raise AccessDenied()
        rows = read_thread(s, user, d)
        s.commit()
        return rows


def read_thread(s: Session, user: User, d: Dossier) -> list[MessageRow]:
    """The messages of `d` (authorised by the caller), oldest first, in the caller's
    session (which commits). Reading marks the other side's messages as read (a
    client reads the firm's, the firm reads the client's)."""
    rows = s.exec(
        select(Message, User)
        .join(User, col(User.id) == col(Message.sender_id))
        .where(col(Message.dossier_id) == d.id, col(Message.firm_id) == d.firm_id)
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    result: list[MessageRow] = [
        {
            "id": str(m.id),
            "date": fdatetime(m.created_at),
            "author": full_name(u) if u else "",
            "direction": m.direction.value,
            "subject": m.subject,
            "body": m.body,
            "read": f"Lu le {fdatetime(m.read_at)}" if m.read_at else "",
        }
        for m, u in rows
    ]
    incoming = MessageDirection.cabinet if user.role == Role.client else MessageDirection.client
    unread = [m.id for m, _ in rows if m.direction == incoming and m.read_at is None]
    if unread:
        marked = s.exec(
            update(Message)
            .where(col(Message.dossier_id) == d.id, col(Message.direction) == incoming,
                   col(Message.read_at).is_(None))
            .values(read_at=utcnow())
        )
        if incoming == MessageDirection.cabinet and d.id is not None:
            counters.messages(s, d.id, -marked.rowcount)
        # The read receipt (« Lu le … » on the other side) in the trail.
        audit.record(s, user, "messages_lus", f"dossier {d.id} : {french.count(len(unread), 'message')}")
    return result
