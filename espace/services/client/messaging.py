"""`Contacter l'interlocuteur`: the message thread of a dossier between its
client(s) and the firm. A client reaches only the dossiers linked to them; the
firm's interlocutor is emailed each client message and answers from /admin."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict

from sqlmodel import Session, col, func, select

from espace.config import settings
from espace.db import session_scope
from espace.domain.forms import ClientMessage, read_form
from espace.domain.names import dossier_title, full_name
from espace.domain.outcome import Outcome, Refusal
from espace.models import Dossier, Message, MessageDirection, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.client import access, home, news
from espace.services.client.recipients import firm_recipients
from espace.services.client.views import DossierChoice
from espace.services.mail import outbox
from espace.services.shared.messaging import MessageRow, read_thread

log = logging.getLogger(__name__)

PER_HOUR_MAX = 30  # messages a client may send per hour (each one emails the firm)


class ContactTarget(TypedDict):
    """Who the client writes to about a dossier."""

    interlocutor: str  # "NOM Prénom", "" when the dossier has none
    dossier: str
    dossier_id: str




def _title(d: Dossier) -> str:
    return dossier_title(d)


def _display(u: User | None) -> str:
    return full_name(u) if u else ""


def contact_target(user: User, dossier_id: object) -> ContactTarget:
    """Who the client writes to about this dossier (interlocutor as "NOM Prénom")."""
    with session_scope() as s:
        return _target(s, access.client_dossier(s, user, dossier_id))


def _target(s: Session, d: Dossier) -> ContactTarget:
    person = s.get(User, d.interlocutor_id) if d.interlocutor_id else None
    return {"interlocutor": full_name(person), "dossier": _title(d), "dossier_id": str(d.id)}


def send(user: User, dossier_id: object, subject: str, body: str) -> Outcome[list[MessageRow]]:
    """Store a client's message in the dossier's thread and email the interlocutor;
    done with the thread as the page shows it now (read in the same session).
    Refused with the errors by field: "subject", "body", or "form". AccessDenied for a
    dossier that is not the client's."""
    with session_scope() as s:
        d = access.client_dossier(s, user, dossier_id)
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
        rows = read_thread(s, user, d)
        s.commit()
    log.info("message stored user=%s dossier=%s message=%s", user.id, dossier_id, message_id)
    return Outcome.done(rows)


def thread(user: User, dossier_id: object) -> list[MessageRow]:
    """The client's dossier's messages, oldest first; the firm's become read."""
    with session_scope() as s:
        rows = read_thread(s, user, access.client_dossier(s, user, dossier_id))
        s.commit()
        return rows


@dataclass(frozen=True, slots=True)
class MessagesPage:
    """« Contacter l'interlocuteur »: the client's dossiers, the chosen one's thread
    (`target` None when none is chosen, or the id is not one of theirs), the header's
    unread count (after this read)."""

    choices: list[DossierChoice]
    target: ContactTarget | None
    thread: list[MessageRow]
    unread: int


def messages_page(user: User, dossier_id: object = None) -> MessagesPage:
    """What the messages page shows, in one session. `dossier_id` "" or None: the
    client's only dossier when they have one, else none chosen."""
    with session_scope() as s:
        conn = s.connection()
        key = access.client_key(conn, user)
        choices = home.choices(conn, key)
        if not dossier_id and len(choices) == 1:
            dossier_id = choices[0]["id"]
        target: ContactTarget | None = None
        rows: list[MessageRow] = []
        if dossier_id:
            try:
                d = access.client_dossier(s, user, dossier_id)
            except AccessDenied:
                d = None
            if d is not None:
                target = _target(s, d)
                rows = read_thread(s, user, d)
        unread = news.unread_of(conn, key)
        s.commit()
        return MessagesPage(choices, target, rows, unread)
