"""The firm reads and answers the clients' messages (services/messaging.py).

A dossier's thread is shared by its clients and the firm: an answer is stored as
a Message of direction "cabinet" (the clients see it in their thread) and emailed
to each client of the dossier. Every function takes the acting staff User first
and reaches only its firm's dossiers: a client, or another firm's id, is AccessDenied."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from espace.config import settings
from espace.domain import french
from espace.domain.forms import SUBJECT_MAX, FirmAnswer, read_form
from espace.domain.french import fdatetime
from espace.domain.ids import saved_id
from espace.domain.names import dossier_title, full_name
from espace.domain.outcome import Outcome
from espace.models import Dossier, Firm, Message, MessageDirection, User
from espace.services import audit
from espace.services.access import dossier_clients, dossier_in_firm, firm_scope
from espace.services.mail import outbox
from espace.services.shared import counters, messaging

log = logging.getLogger(__name__)

DEFAULT_SUBJECT = "Message de votre avocat"


THREADS_MAX = 200


@dataclass(frozen=True, slots=True)
class Thread:
    """A dossier's message thread as /admin/messages lists it."""
    dossier_id: int
    dossier: str  # « référence - libellé »
    clients: str  # « Clients : Luce ALEXANDER, Marc BERTRAND » (« Client : … » for one)
    total: int
    unread: int  # client messages nobody of the firm has read
    last_date: str
    last_subject: str
    last_author: str
    last_direction: str  # "client" or "cabinet"
    last_read: str = ""  # the last message is the firm's: « Lu le … » once a client read it


def _clients(s: Session, d: Dossier) -> str:
    names = [full_name(u) for _, u in dossier_clients(s, d)]
    return f"{french.plural(len(names), 'Client')} : {', '.join(names)}"


def unread_count(user: User, dossier_id: object = None) -> int:
    """Client messages nobody of the firm has read yet (the firm's, or one dossier's)."""
    with firm_scope(user) as (s, staff):
        q = select(func.count()).select_from(Message).where(
            Message.firm_id == staff.firm_id, Message.direction == MessageDirection.client,
            col(Message.read_at).is_(None))
        if dossier_id is not None:
            q = q.where(Message.dossier_id == dossier_in_firm(s, staff, dossier_id).id)
        return s.exec(q).one()


def threads(user: User) -> list[Thread]:
    """One row per dossier of the firm with messages, the most recent first (at
    most THREADS_MAX): dossier, clients, number of messages, unread client
    messages, last message."""
    with firm_scope(user) as (s, staff):
        unread = func.sum(case(((col(Message.direction) == MessageDirection.client) & col(Message.read_at).is_(None),
                                1), else_=0))
        grouped = s.exec(
            select(Message.dossier_id, func.count(), unread, func.max(Message.created_at))
            .join(Dossier, col(Dossier.id) == Message.dossier_id)
            .where(Message.firm_id == staff.firm_id, Dossier.firm_id == staff.firm_id)
            .group_by(col(Message.dossier_id))
            .order_by(func.max(Message.created_at).desc(), col(Message.dossier_id).desc())
            .limit(THREADS_MAX)
        ).all()
        result = []
        for dossier_id, total, unread_n, _ in grouped:
            d = dossier_in_firm(s, staff, dossier_id)
            last = s.exec(
                select(Message, User)
                .join(User, col(User.id) == Message.sender_id)
                .where(Message.dossier_id == dossier_id, Message.firm_id == staff.firm_id)
                .order_by(col(Message.created_at).desc(), col(Message.id).desc())
            ).first()
            if last is None:  # grouped above: the dossier has messages
                continue
            m, author = last
            result.append(Thread(
                dossier_id=saved_id(d.id),
                dossier=dossier_title(d),
                clients=_clients(s, d),
                total=total,
                unread=int(unread_n or 0),
                last_date=fdatetime(m.created_at),
                last_subject=m.subject,
                last_author=full_name(author),
                last_direction=m.direction.value,
                last_read=f"Lu le {fdatetime(m.read_at)}" if m.read_at and m.direction == MessageDirection.cabinet
                else "",
            ))
        return result


def read_thread(user: User, dossier_id: object) -> list[messaging.MessageRow]:
    """The dossier's messages, oldest first; the clients' messages become read."""
    with firm_scope(user) as (s, staff):
        did = dossier_in_firm(s, staff, dossier_id).id
    return messaging.thread(staff, did)


def answer(user: User, dossier_id: object, body: str, subject: str = "") -> Outcome[None]:
    """Write to the dossier's clients: stored in the thread (direction "cabinet")
    and emailed to each active client. An empty subject becomes « Re : » the last
    client subject. Refused with errors by field "subject", "body" or "form"."""
    with firm_scope(user) as (s, staff):
        d = dossier_in_firm(s, staff, dossier_id)
        sent, errors = read_form(FirmAnswer, {"subject": subject, "body": body})
        if sent is None:
            return Outcome.refused(errors)
        subject, body = sent.subject, sent.body
        if not subject:
            last = s.exec(
                select(Message.subject)
                .where(Message.dossier_id == d.id, Message.direction == MessageDirection.client)
                .order_by(col(Message.created_at).desc(), col(Message.id).desc())
            ).first()
            subject = f"Re : {last}"[: SUBJECT_MAX] if last else DEFAULT_SUBJECT
        msg = Message(firm_id=d.firm_id, dossier_id=saved_id(d.id), sender_id=saved_id(staff.id), direction=MessageDirection.cabinet,
                      subject=subject, body=body)
        s.add(msg)
        s.flush()
        counters.messages(s, saved_id(d.id), 1)
        firm = s.get(Firm, d.firm_id)
        recipients = [(u.id, u.email, full_name(u)) for _, u in dossier_clients(s, d) if u.active]
        context = {
            "lawyer_name": full_name(staff),
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
    return Outcome.done()
