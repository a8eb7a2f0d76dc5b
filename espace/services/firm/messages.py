"""The firm reads and answers the clients' messages (services/messaging.py).

A dossier's thread is shared by its clients and the firm: an answer is stored as
a Message of direction "cabinet" (the clients see it in their thread) and emailed
to each client of the dossier. Every function takes the acting staff User first
and reaches only its firm's dossiers: a client, or another firm's id, is AccessDenied."""
from __future__ import annotations

import logging

from sqlalchemy import case
from sqlmodel import func, select

from espace.config import settings
from espace.db import session_scope
from espace.domain.formatting import fdatetime
from espace.models import Dossier, Firm, Message, MessageDirection, User
from espace.services import audit
from espace.services.client import messaging
from espace.services.mail import outbox
from espace.services.firm_scope import display_name, dossier_clients, firm_dossier, staff_of
from espace.domain.names import dossier_title

log = logging.getLogger(__name__)

REQUIRED = "Ce champ est obligatoire."
DEFAULT_SUBJECT = "Message de votre avocat"


THREADS_MAX = 200


def unread_count(user: User, dossier_id=None) -> int:
    """Client messages nobody of the firm has read yet (the firm's, or one dossier's)."""
    with session_scope() as s:
        staff = staff_of(s, user)
        q = select(func.count()).select_from(Message).where(
            Message.firm_id == staff.firm_id, Message.direction == MessageDirection.client,
            Message.read_at.is_(None))
        if dossier_id is not None:
            q = q.where(Message.dossier_id == firm_dossier(s, staff, dossier_id).id)
        return s.exec(q).one()


def threads(user: User) -> list[dict[str, str]]:
    """One row per dossier of the firm with messages, the most recent first (at
    most THREADS_MAX): dossier, clients, number of messages, unread client
    messages, last message."""
    with session_scope() as s:
        staff = staff_of(s, user)
        unread = func.sum(case(((Message.direction == MessageDirection.client) & Message.read_at.is_(None), 1),
                               else_=0))
        grouped = s.exec(
            select(Message.dossier_id, func.count(), unread, func.max(Message.created_at))
            .join(Dossier, Dossier.id == Message.dossier_id)
            .where(Message.firm_id == staff.firm_id, Dossier.firm_id == staff.firm_id)
            .group_by(Message.dossier_id)
            .order_by(func.max(Message.created_at).desc())
            .limit(THREADS_MAX)
        ).all()
        result = []
        for dossier_id, total, unread_n, _ in grouped:
            d = s.get(Dossier, dossier_id)
            last = s.exec(
                select(Message, User)
                .join(User, User.id == Message.sender_id)
                .where(Message.dossier_id == dossier_id, Message.firm_id == staff.firm_id)
                .order_by(Message.created_at.desc(), Message.id.desc())
            ).first()
            m, author = last
            result.append({
                "dossier_id": str(d.id),
                "dossier": dossier_title(d),
                "clients": ", ".join(display_name(u) for _, u in dossier_clients(s, d)),
                "total": str(total),
                "unread": str(int(unread_n or 0)),
                "last_date": fdatetime(m.created_at),
                "last_subject": m.subject,
                "last_author": display_name(author),
                "last_direction": m.direction.value,
            })
        return result


def read_thread(user: User, dossier_id) -> list[messaging.MessageRow]:
    """The dossier's messages, oldest first; the clients' messages become read."""
    with session_scope() as s:
        staff = staff_of(s, user)
        d = firm_dossier(s, staff, dossier_id)
        did = d.id
    return messaging.thread(staff, did)


def answer(user: User, dossier_id, body: str, subject: str = "") -> tuple[bool, dict[str, str]]:
    """Write to the dossier's clients: stored in the thread (direction "cabinet")
    and emailed to each active client. An empty subject becomes « Re : » the last
    client subject. Returns (ok, errors by field "subject", "body" or "form")."""
    subject = messaging.clean_subject(subject)
    body = messaging.clean_body(body)
    with session_scope() as s:
        staff = staff_of(s, user)
        d = firm_dossier(s, staff, dossier_id)
        errors: dict[str, str] = {}
        if len(subject) > messaging.SUBJECT_MAX:
            errors["subject"] = f"L'objet ne doit pas dépasser {messaging.SUBJECT_MAX} caractères."
        if not body:
            errors["body"] = REQUIRED
        elif len(body) > messaging.BODY_MAX:
            errors["body"] = f"Le message ne doit pas dépasser {messaging.BODY_MAX:,} caractères.".replace(",", " ")
        if errors:
            return False, errors
        if not subject:
            last = s.exec(
                select(Message.subject)
                .where(Message.dossier_id == d.id, Message.direction == MessageDirection.client)
                .order_by(Message.created_at.desc(), Message.id.desc())
            ).first()
            subject = f"Re : {last}"[: messaging.SUBJECT_MAX] if last else DEFAULT_SUBJECT
        msg = Message(firm_id=d.firm_id, dossier_id=d.id, sender_id=staff.id, direction=MessageDirection.cabinet,
                      subject=subject, body=body)
        s.add(msg)
        s.flush()
        firm = s.get(Firm, d.firm_id)
        recipients = [(u.id, u.email, display_name(u)) for _, u in dossier_clients(s, d) if u.active]
        context = {
            "lawyer_name": display_name(staff),
            "firm_name": firm.name if firm else "",
            "dossier": dossier_title(d),
            "subject": subject,
            "body": body,
            "link": f"{settings.public_url}/contacter?dossier={d.id}",
        }
        for client_user_id, email, name in recipients:
            outbox.enqueue(s, email, f"{subject} — {d.reference}", "message_answer", {**context, "client_name": name},
                           firm_id=d.firm_id, sender_name=firm.name if firm else None)
            audit.record(s, staff, "message_cabinet", f"message {msg.id} dossier {d.id}",
                         subject_user_id=client_user_id)
        if not recipients:
            audit.record(s, staff, "message_cabinet", f"message {msg.id} dossier {d.id}")
            log.warning("answer stored but no active client to email dossier=%s message=%s", d.id, msg.id)
        s.commit()
        message_id = msg.id
    log.info("answer stored user=%s dossier=%s message=%s emailed=%s", user.id, dossier_id, message_id,
             len(recipients))
    return True, {}
