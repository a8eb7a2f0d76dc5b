"""The firm handles the clients' contact-details requests (services/contact.py):
the pending ones side by side with the details on file, accept (the values are
applied; the new e-mail becomes the login identifier when services/identities
allows it) or refuse with a reason.
The client is told by email either way.

Every function takes the acting staff User first and sees only its firm's
requests: a client, or a request of another firm, is AccessDenied."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from espace.config import settings
from espace.domain.contact import FIELDS
from espace.domain.forms import RefusalReason, read_form
from espace.domain.french import fdate, fdatetime
from espace.domain.ids import saved_id
from espace.domain.names import full_name
from espace.domain.outcome import Outcome
from espace.models import Client, ContactRequest, ContactStatus, Firm, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.access import firm_scope, get_by_id
from espace.services.accounts import identities
from espace.services.mail import outbox

log = logging.getLogger(__name__)


PROCESSED_MAX = 50
ALREADY = "Cette demande a déjà été traitée."
SAME_FIRM = ("L'adresse {email} est déjà celle d'un autre compte de votre cabinet : "
             "la demande ne peut pas être acceptée telle quelle.")
STATUS_LABELS = {
    ContactStatus.en_attente: "En attente",
    ContactStatus.acceptee: "Acceptée",
    ContactStatus.refusee: "Refusée",
    ContactStatus.remplacee: "Remplacée par une demande plus récente",
}


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a request: the value on file (pending requests only) and the one asked."""
    key: str
    label: str
    old: str
    new: str
    changed: bool


@dataclass(frozen=True, slots=True)
class RequestRow:
    """A contact-details request as /admin/demandes shows it."""
    id: int
    client: str  # « NOM Prénom »
    client_user_id: int
    date: str
    status: str
    decided: str
    by: str
    reason: str
    fields: list[FieldChange]
    changed: str  # the labels of the changed fields, « E-mail, Ville »


def _stored(client: Client, u: User) -> dict[str, str]:
    return {"nom": u.nom, "prenom": u.prenom, "email": client.email, "adresse": client.adresse,
            "code_postal": client.code_postal, "ville": client.ville, "tel": client.tel, "mobile": client.mobile}


def _requested(row: ContactRequest) -> dict[str, str]:
    return {key: str(getattr(row, key)) for key, _ in FIELDS}


def pending_count(user: User) -> int:
    with firm_scope(user) as (s, staff):
        return s.exec(
            select(func.count()).select_from(ContactRequest).where(
                ContactRequest.firm_id == staff.firm_id, ContactRequest.status == ContactStatus.en_attente)
        ).one()


def list_requests(user: User, status: str = "pending") -> list[RequestRow]:
    """The firm's requests: "pending" (oldest first, each field with the value on
    file and the one asked, `changed` when they differ) or "processed"
    (accepted or refused, newest first, with the decision)."""
    with firm_scope(user) as (s, staff):
        q = (
            select(ContactRequest, Client, User)
            .join(Client, col(Client.id) == ContactRequest.client_id)
            .join(User, col(User.id) == Client.user_id)
            .where(ContactRequest.firm_id == staff.firm_id, Client.firm_id == staff.firm_id)
        )
        if status == "pending":
            q = q.where(ContactRequest.status == ContactStatus.en_attente).order_by(
                col(ContactRequest.created_at), col(ContactRequest.id))
        else:
            q = q.where(col(ContactRequest.status).in_((ContactStatus.acceptee, ContactStatus.refusee))).order_by(
                col(ContactRequest.decided_at).desc(), col(ContactRequest.id).desc()).limit(PROCESSED_MAX)
        rows = s.exec(q).all()
        deciders = {
            u.id: full_name(u)
            for u in s.exec(select(User).where(
                User.firm_id == staff.firm_id,
                col(User.id).in_([r.decided_by_id for r, _, _ in rows if r.decided_by_id]))).all()
        }
        result = []
        for row, client, u in rows:
            asked = _requested(row)
            on_file = _stored(client, u)
            fields = [
                FieldChange(key=key, label=label, old=on_file[key] if status == "pending" else "", new=asked[key],
                            changed=status == "pending" and asked[key] != on_file[key])
                for key, label in FIELDS
            ]
            result.append(RequestRow(
                id=saved_id(row.id),
                client=full_name(u),
                client_user_id=saved_id(u.id),
                date=fdatetime(row.created_at),
                status=STATUS_LABELS[row.status],
                decided=fdate(row.decided_at),
                by=deciders.get(row.decided_by_id, ""),
                reason=row.refusal_reason,
                fields=fields,
                changed=", ".join(f.label for f in fields if f.changed),
            ))
        return result


def _firm_request(s: Session, staff: User, request_id: object) -> tuple[ContactRequest, Client, User]:
    row = get_by_id(s, ContactRequest, request_id)
    if row is None or row.firm_id != staff.firm_id:
        raise AccessDenied()
    client = s.get(Client, row.client_id)
    if client is None or client.firm_id != staff.firm_id:
        raise AccessDenied()
    u = s.get(User, client.user_id)
    if u is None or u.firm_id != staff.firm_id:
        raise AccessDenied()
    return row, client, u


def _decide(s: Session, row: ContactRequest, staff: User, status: ContactStatus, reason: str = "") -> bool:
    """Close the request if it is still pending (two lawyers may click at once)."""
    result = s.exec(
        update(ContactRequest)
        .where(col(ContactRequest.id) == row.id, col(ContactRequest.status) == ContactStatus.en_attente)
        .values(status=status, decided_at=utcnow(), decided_by_id=staff.id, refusal_reason=reason)
    )
    return result.rowcount == 1


def _notify(s: Session, staff: User, to: list[str], template: str, subject: str, context: dict[str, Any]) -> None:
    firm = s.get(Firm, staff.firm_id)
    context = {**context, "firm_name": firm.name if firm else "", "link": f"{settings.public_url}/mon-compte/coordonnees"}
    for address in dict.fromkeys(a for a in to if a):
        outbox.enqueue(s, address, subject, template, context, firm_id=staff.firm_id,
                       sender_name=firm.name if firm else None)


def accept(user: User, request_id: object) -> Outcome[None]:
    """Apply a pending request to the client's details (names on the User, the
    rest on the Client; a new e-mail is also the new login identifier). Refused,
    with a message under "form", when that e-mail belongs to another account or
    the request is no longer pending."""
    with firm_scope(user) as (s, staff):
        row, client, u = _firm_request(s, staff, request_id)
        if row.status != ContactStatus.en_attente:
            return Outcome.refused({"form": ALREADY})
        values = _requested(row)
        new_email = values["email"].strip().lower()
        old_email = u.email
        # Only a duplicate inside this firm is reported: whether the address has an
        # account in another firm changes nothing in the answer (services/identities).
        if new_email != old_email and identities.reaches_firm(s, staff.firm_id, new_email, except_user_id=u.id):
            log.warning("contact request not applied: address of another member of the firm request=%s user=%s",
                        row.id, user.id)
            return Outcome.refused({"form": SAME_FIRM.format(email=new_email)})
        if not _decide(s, row, staff, ContactStatus.acceptee):
            return Outcome.refused({"form": ALREADY})
        before = _stored(client, u)
        identifier_changed = identities.set_email(s, u, new_email, client) if new_email != old_email else False
        u.nom, u.prenom = values["nom"], values["prenom"]
        for key in ("adresse", "code_postal", "ville", "tel", "mobile"):
            setattr(client, key, values[key])
        s.add(u)
        s.add(client)
        changed = [label for key, label in FIELDS if before[key] != values[key]]
        audit.record(s, staff, "demande_traitee", f"demande {row.id} acceptée : {', '.join(changed)}",
                     subject_user_id=u.id)
        rows = [{"label": label, "value": values[key]} for key, label in FIELDS]
        _notify(s, staff, [new_email, old_email], "contact_accepted", "Vos coordonnées ont été mises à jour",
                {"client_name": f"{values['prenom']} {values['nom']}".strip(), "rows": rows,
                 "email_changed": new_email != old_email, "identifier_changed": identifier_changed,
                 "identifier": new_email})
        try:
            s.commit()
        except IntegrityError:  # the identifier was taken in the meantime
            s.rollback()
            log.warning("contact request not applied: conflict at commit request=%s", request_id)
            return Outcome.refused({"form": "L'enregistrement n'a pas pu aboutir. Veuillez réessayer."})
    log.info("contact request accepted request=%s by=%s client_user=%s", request_id, user.id, u.id)
    return Outcome.done()


def refuse(user: User, request_id: object, reason: object) -> Outcome[None]:
    """Refuse a pending request; the reason (required) is emailed to the client.
    Errors under "reason" or "form"."""
    with firm_scope(user) as (s, staff):
        row, _, u = _firm_request(s, staff, request_id)
        if row.status != ContactStatus.en_attente:
            return Outcome.refused({"form": ALREADY})
        sent, errors = read_form(RefusalReason, {"reason": reason})
        if sent is None:
            return Outcome.refused(errors)
        text = sent.reason
        if not _decide(s, row, staff, ContactStatus.refusee, text):
            return Outcome.refused({"form": ALREADY})
        audit.record(s, staff, "demande_traitee", f"demande {row.id} refusée", subject_user_id=u.id)
        _notify(s, staff, [u.email], "contact_refused", "Votre demande de mise à jour des coordonnées",
                {"client_name": full_name(u), "reason": text,
                 "rows": [{"label": label, "value": getattr(row, key)} for key, label in FIELDS]})
        s.commit()
    log.info("contact request refused request=%s by=%s client_user=%s", request_id, user.id, u.id)
    return Outcome.done()
