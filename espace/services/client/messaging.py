"""`Contacter l'interlocuteur`: the message thread of a dossier between its
client(s) and the firm. A client reaches only the dossiers linked to them; the
firm's interlocutor is emailed each client message and answers from /admin."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TypedDict

from sqlmodel import Session, col, func, select, update

from espace.config import settings
from espace.db import session_scope
from espace.domain.forms import ClientMessage, read_form
from espace.domain.french import fdatetime
from espace.domain.ids import parse_id
from espace.domain.names import dossier_title, formal_name, full_name
from espace.domain.outcome import Outcome, Refusal
from espace.domain.roles import is_staff
from espace.models import Dossier, Message, MessageDirection, Role, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.client.portal import client_dossier as own_dossier
from espace.services.client.recipients import firm_recipients
from espace.services.mail import outbox

log = logging.getLogger(__name__)

PER_HOUR_MAX = 30  # messages a client may send per hour (each one emails the firm)


class ContactTarget(TypedDict):
    """Who the client writes to about a dossier."""

    interlocutor: str  # "NOM Prénom", "" when the dossier has none
    dossier: str
    dossier_id: str


class MessageRow(TypedDict):
    """One message of a dossier's thread (French display strings)."""

    id: str
    date: str
    author: str
    direction: str  # MessageDirection's value: "client" or "cabinet"
    subject: str
    body: str
    read: str  # « Lu le 30/11/2026 14:05 » once the other side read it, else ""


def _title(d: Dossier) -> str:
    return dossier_title(d)


def _display(u: User | None) -> str:
    return full_name(u) if u else ""


def contact_target(user: User, dossier_id: object) -> ContactTarget:
    """Who the client writes to about this dossier (interlocutor as "NOM Prénom")."""
    with session_scope() as s:
        d = own_dossier(s, user, dossier_id)
        person = s.get(User, d.interlocutor_id) if d.interlocutor_id else None
        return {
            "interlocutor": formal_name(person),
            "dossier": _title(d),
            "dossier_id": str(d.id),
        }


def send(user: User, dossier_id: object, subject: str, body: str) -> Outcome[None]:
    """Store a client's message in the dossier's thread and email the interlocutor.
    Refused with the errors by field: "subject", "body", or "form". AccessDenied for a
    dossier that is not the client's."""
    with session_scope() as s:
        d = own_dossier(s, user, dossier_id)
        sent, errors = read_form(ClientMessage, {"subject": subject, "body": body})
        if sent is None:
            return Outcome.refused(errors)
        subject, body = sent.subject, sent.body
        recent = s.exec(
            select(func.count()).select_from(Message).where(
                col(Message.sender_id) == user.id, col(Message.created_at) >= utcnow() - timedelta(hours=1)
            )
        ).one()
        if recent >= PER_HOUR_MAX:
            log.warning("message throttled user=%s dossier=%s", user.id, d.id)
            return Outcome.refused("Vous avez envoyé beaucoup de messages. Réessayez dans une heure.",
                                   refusal=Refusal.throttled)
        assert d.id is not None and user.id is not None  # both read from the database
        msg = Message(
            firm_id=d.firm_id, dossier_id=d.id, sender_id=user.id, direction=MessageDirection.client,
            subject=subject, body=body,
        )
        s.add(msg)
        s.flush()
        audit.record(s, user, "message_envoye", f"message {msg.id} dossier {d.id}")
        message_id = msg.id
        recipients = [(p.id, p.email) for p in firm_recipients(s, d)]
        title = _title(d)
        reference = d.reference
        client_name = _display(user)
        context = {
            "client_name": client_name,
            "dossier": title,
            "subject": subject,
            "body": body,
            "admin_link": f"{settings.public_url}/admin",
        }
        if not recipients:
            log.warning("client message: nobody to notify dossier=%s message=%s", dossier_id, message_id)
        for _, email in recipients:
            outbox.enqueue(s, email, f"Message de {client_name} — {reference} : {subject}", "client_message", context,
                           firm_id=d.firm_id)
        s.commit()
    log.info("message stored user=%s dossier=%s message=%s", user.id, dossier_id, message_id)
    return Outcome.done()


def _readable_dossier(s: Session, user: User, dossier_id: object) -> Dossier:
    """A client's own dossier; for the firm's people, any dossier of their firm."""
    if user is not None and user.active and is_staff(user.role):
        did = parse_id(dossier_id)
        if did is None:
            raise AccessDenied()
        d = s.get(Dossier, did)
        if d is None or d.firm_id != user.firm_id:
            raise AccessDenied()
        return d
    return own_dossier(s, user, dossier_id)


def thread(user: User, dossier_id: object) -> list[MessageRow]:
    """The dossier's messages, oldest first. Reading it marks the other side's
    messages as read (a client reads the firm's, the firm reads the client's)."""
    with session_scope() as s:
        d = _readable_dossier(s, user, dossier_id)
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
                "author": _display(u),
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
            s.exec(
                update(Message)
                .where(col(Message.dossier_id) == d.id, col(Message.direction) == incoming,
                       col(Message.read_at).is_(None))
                .values(read_at=utcnow())
            )
            # The read receipt (« Lu le … » on the other side) in the trail.
            audit.record(s, user, "messages_lus", f"dossier {d.id} : {len(unread)} message(s)")
            s.commit()
        return result
