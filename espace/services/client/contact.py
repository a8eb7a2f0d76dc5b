"""`Mettre à jour mes coordonnées`: a client asks the firm to change their details.

A request never changes the stored details: it waits ("en_attente") until the
firm accepts or refuses it. A new request replaces ("remplacee") the pending one.
A request that changes the e-mail address (which may become the login identifier) needs
the session's step-up (services/accounts/step_up.py) and is e-mailed to the current
address with the « ce n'est pas moi » link.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import NamedTuple

from sqlmodel import Session, col, func, select, update

from espace.config import settings
from espace.db import session_scope
from espace.domain.contact import FIELDS
from espace.domain.forms import ContactDetails, read_form
from espace.domain.french import fdate
from espace.domain.outcome import Outcome, Refusal
from espace.models import Client, ContactRequest, ContactStatus, Firm, Role, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.accounts import step_up
from espace.services.client import access
from espace.services.mail import outbox

log = logging.getLogger(__name__)

UNCHANGED = "Ces coordonnées sont celles déjà enregistrées : aucune demande n'a été envoyée."
# Each request emails the firm's lawyers: a handler called in a loop must not flood them.
PER_HOUR_MAX = 5
EMAIL_STEP_UP = ("Pour changer votre adresse e-mail, confirmez votre identité : saisissez votre mot de passe "
                 "(et le code de votre application si vous en avez une) ci-dessous, puis envoyez à nouveau.")
TOO_MANY = ("Vous avez envoyé plusieurs demandes dans l'heure : votre cabinet les a reçues. "
            "Vous pourrez en envoyer une nouvelle un peu plus tard.")


def _fresh(s: Session, user: User) -> User:
    """The user's row as stored now (their name may have changed since the login)."""
    fresh = s.get(User, user.id)
    if fresh is None:
        raise AccessDenied()
    return fresh


def _stored(user: User, client: Client) -> dict[str, str]:
    return {
        "nom": user.nom,
        "prenom": user.prenom,
        "email": client.email,
        "adresse": client.adresse,
        "code_postal": client.code_postal,
        "ville": client.ville,
        "tel": client.tel,
        "mobile": client.mobile,
    }


def current_values(user: User) -> dict[str, str]:
    """The client's details as the firm has them (the form's initial values)."""
    with session_scope() as s:
        client = access.acting_client(s, user)
        return _stored(_fresh(s, user), client)


def pending(user: User) -> dict[str, str] | None:
    """The client's pending request: its values and "date" (dd/mm/yyyy), or None."""
    with session_scope() as s:
        return _pending(s, access.acting_client(s, user))


def _pending(s: Session, client: Client) -> dict[str, str] | None:
    row = s.exec(
        select(ContactRequest)
        .where(col(ContactRequest.client_id) == client.id, col(ContactRequest.firm_id) == client.firm_id,
               col(ContactRequest.status) == ContactStatus.en_attente)
        .order_by(col(ContactRequest.created_at).desc(), col(ContactRequest.id).desc())
    ).first()
    if row is None:
        return None
    data = {key: getattr(row, key) for key, _ in FIELDS}
    data["date"] = fdate(row.created_at)
    return data


class ContactPage(NamedTuple):
    """What « Mettre à jour mes coordonnées » shows: the details as the firm has them
    (the form's initial values) and the pending request, if any."""

    values: dict[str, str]
    pending: dict[str, str] | None


def contact_page(user: User) -> ContactPage:
    """The page's values and pending request, in one database session."""
    with session_scope() as s:
        client = access.acting_client(s, user)
        return ContactPage(_stored(_fresh(s, user), client), _pending(s, client))


def request_update(user: User, form: object, token: str | None = None) -> Outcome[dict[str, str]]:
    """Validate the form (ContactDetails) and file a request to the firm; done with the
    pending request as the page shows it (read in the same session); refused with the
    errors by field, or "form" for a general one. The stored details are unchanged.
    A new e-mail address needs the step-up of the session `token` (refused with
    EMAIL_STEP_UP under "email" without it)."""
    with session_scope() as s:
        client = access.acting_client(s, user)  # authorise before anything else
        details, errors = read_form(ContactDetails, form)
        if details is None:
            return Outcome.refused(errors)
        values = details.model_dump()
        old = _stored(_fresh(s, user), client)
        if values == old:
            return Outcome.refused(UNCHANGED, refusal=Refusal.conflict)
        new_email = values["email"] != old["email"]
        if new_email and not step_up.is_confirmed(s, token, user):
            log.warning("contact request with a new e-mail refused without step-up user=%s", user.id)
            return Outcome.refused({"email": EMAIL_STEP_UP})
        recent = s.exec(
            select(func.count()).select_from(ContactRequest).where(
                col(ContactRequest.client_id) == client.id,
                col(ContactRequest.created_at) >= utcnow() - timedelta(hours=1),
            )
        ).one()
        if recent >= PER_HOUR_MAX:
            log.warning("contact request throttled user=%s client=%s recent=%s", user.id, client.id, recent)
            return Outcome.refused(TOO_MANY, refusal=Refusal.throttled)
        s.exec(
            update(ContactRequest)
            .where(col(ContactRequest.client_id) == client.id,
                   col(ContactRequest.status) == ContactStatus.en_attente)
            .values(status=ContactStatus.remplacee, decided_at=utcnow())
        )
        assert client.id is not None  # read from the database
        row = ContactRequest(firm_id=client.firm_id, client_id=client.id, status=ContactStatus.en_attente,
                             **values)  # values: the FIELDS columns, all str (ContactDetails)
        s.add(row)
        s.flush()
        changed = [label for key, label in FIELDS if values[key] != old[key]]
        audit.record(s, user, "demande_coordonnees", f"demande {row.id} : {', '.join(changed)}")
        request_id = row.id
        lawyers = [
            (u.id, u.email)
            for u in s.exec(
                select(User)
                .where(col(User.firm_id) == client.firm_id, col(User.role).in_((Role.admin, Role.lawyer)),
                       col(User.active).is_(True))
                .order_by(col(User.id))
            ).all()
        ]
        firm = s.get(Firm, client.firm_id)
        firm_email = firm.sender_email if firm else None
        _notify_firm(s, user, old, values, [e for _, e in lawyers] or ([firm_email] if firm_email else []))
        if new_email:
            step_up.notify(s, user, f"Une demande de changement de l'adresse e-mail de votre compte (nouvelle adresse : "
                                    f"{values['email']}) a été envoyée à votre cabinet.")
        s.commit()
        pending = _pending(s, client)
    log.info("contact request filed user=%s request=%s changed=%s", user.id, request_id, changed)
    return Outcome.done(pending)


def _notify_firm(s: Session, user: User, old: dict[str, str], new: dict[str, str], recipients: list[str]) -> None:
    """Queue the emails to the firm in the transaction that files the request."""
    client_name = f"{old['prenom']} {old['nom']}".strip()
    context = {
        "client_name": client_name,
        "rows": [
            {"label": label, "old": old[key], "new": new[key], "changed": old[key] != new[key]}
            for key, label in FIELDS
        ],
        "admin_link": f"{settings.public_url}/admin",
    }
    if not recipients:
        log.warning("contact request: nobody to notify firm=%s user=%s", user.firm_id, user.id)
    for to in recipients:
        outbox.enqueue(s, to, f"Demande de mise à jour des coordonnées — {client_name}", "contact_request", context,
                       firm_id=user.firm_id)
