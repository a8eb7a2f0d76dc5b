"""`Mettre à jour mes coordonnées`: a client asks the firm to change their details.

A request never changes the stored details: it waits ("en_attente") until the
firm accepts or refuses it. A new request replaces ("remplacee") the pending one.
"""
from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlmodel import Session, func, select, update

from espace.config import settings
from espace.db import session_scope
from espace.domain.formatting import fdate
from espace.models import Client, ContactRequest, ContactStatus, Firm, Role, User, utcnow
from espace.services import audit
from espace.services.mail import outbox
from espace.services.client import portal

log = logging.getLogger(__name__)

FIELDS: list[tuple[str, str]] = [
    ("nom", "Nom"),
    ("prenom", "Prénom"),
    ("email", "E-mail"),
    ("adresse", "Adresse"),
    ("code_postal", "Code postal"),
    ("ville", "Ville"),
    ("tel", "Tél"),
    ("mobile", "Mobile"),
]
MAX_LENGTH = {
    "nom": 100,
    "prenom": 100,
    "email": 254,
    "adresse": 200,
    "code_postal": 5,
    "ville": 100,
    "tel": 30,
    "mobile": 30,
}
REQUIRED = "Ce champ est obligatoire."
UNCHANGED = "Ces coordonnées sont celles déjà enregistrées : aucune demande n'a été envoyée."
# Each request emails the firm's lawyers: a handler called in a loop must not flood them.
PER_HOUR_MAX = 5
TOO_MANY = ("Vous avez envoyé plusieurs demandes dans l'heure : votre cabinet les a reçues. "
            "Vous pourrez en envoyer une nouvelle un peu plus tard.")

_EMAIL = re.compile(r"^[^@\s\"<>(),;:\\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
# Metropolitan and overseas departments (01-95, 97x, 98x); Corsica is 20xxx.
_POSTCODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|97|98)\d{3}$")
_PHONE_FR = re.compile(r"^0[1-9]\d{8}$")
_PHONE_FR_INTL = re.compile(r"^\+33(?:\(0\))?[1-9]\d{8}$")
_PHONE_INTL = re.compile(r"^\+[1-9]\d{6,14}$")


def _clean(value) -> str:
    """Trimmed, control characters removed, runs of spaces collapsed."""
    text = "" if value is None else str(value)
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return re.sub(r"\s+", " ", text).strip()


def _valid_phone(value: str) -> bool:
    compact = re.sub(r"[ .\-]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+33"):
        return bool(_PHONE_FR_INTL.match(compact))
    return bool(_PHONE_FR.match(compact) or _PHONE_INTL.match(compact))


def _validate(values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key, label in FIELDS:
        value = values[key]
        if not value:
            errors[key] = REQUIRED
        elif len(value) > MAX_LENGTH[key]:
            errors[key] = f"{MAX_LENGTH[key]} caractères maximum."
    if "email" not in errors and not _EMAIL.match(values["email"]):
        errors["email"] = "Adresse e-mail invalide (exemple : nom@domaine.fr)."
    if "code_postal" not in errors and not _POSTCODE.match(values["code_postal"]):
        errors["code_postal"] = "Code postal invalide : 5 chiffres (exemple : 34470)."
    for key in ("tel", "mobile"):
        if key not in errors and not _valid_phone(values[key]):
            errors[key] = "Numéro invalide : 10 chiffres (exemple : 04 67 15 98 42) ou format international (+33 6 12 34 56 78)."
    return errors


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
        client = portal.client_of(s, user)
        fresh = s.get(User, user.id)
        return _stored(fresh, client)


def pending(user: User) -> dict | None:
    """The client's pending request: its values and "date" (dd/mm/yyyy), or None."""
    with session_scope() as s:
        client = portal.client_of(s, user)
        row = s.exec(
            select(ContactRequest)
            .where(ContactRequest.client_id == client.id, ContactRequest.firm_id == client.firm_id,
                   ContactRequest.status == ContactStatus.en_attente)
            .order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
        ).first()
        if row is None:
            return None
        data = {key: getattr(row, key) for key, _ in FIELDS}
        data["date"] = fdate(row.created_at)
        return data


def request_update(user: User, form: dict) -> tuple[bool, dict[str, str]]:
    """Validate the form and file a request to the firm. Returns (ok, errors by
    field, plus "form" for a general error). The stored details are unchanged."""
    form = form if isinstance(form, dict) else {}
    values = {key: _clean(form.get(key)) for key, _ in FIELDS}
    values["code_postal"] = values["code_postal"].replace(" ", "")
    values["email"] = values["email"].lower()
    with session_scope() as s:
        client = portal.client_of(s, user)  # authorise before anything else
        errors = _validate(values)
        if errors:
            return False, errors
        fresh = s.get(User, user.id)
        old = _stored(fresh, client)
        if values == old:
            return False, {"form": UNCHANGED}
        recent = s.exec(
            select(func.count()).select_from(ContactRequest).where(
                ContactRequest.client_id == client.id, ContactRequest.created_at >= utcnow() - timedelta(hours=1)
            )
        ).one()
        if recent >= PER_HOUR_MAX:
            log.warning("contact request throttled user=%s client=%s recent=%s", user.id, client.id, recent)
            return False, {"form": TOO_MANY}
        s.exec(
            update(ContactRequest)
            .where(ContactRequest.client_id == client.id, ContactRequest.status == ContactStatus.en_attente)
            .values(status=ContactStatus.remplacee, decided_at=utcnow())
        )
        row = ContactRequest(firm_id=client.firm_id, client_id=client.id, status=ContactStatus.en_attente, **values)
        s.add(row)
        s.flush()
        changed = [label for key, label in FIELDS if values[key] != old[key]]
        audit.record(s, user, "demande_coordonnees", f"demande {row.id} : {', '.join(changed)}")
        request_id = row.id
        lawyers = [
            (u.id, u.email)
            for u in s.exec(
                select(User)
                .where(User.firm_id == client.firm_id, User.role.in_((Role.admin, Role.lawyer)), User.active.is_(True))
                .order_by(User.id)
            ).all()
        ]
        firm = s.get(Firm, client.firm_id)
        firm_email = firm.sender_email if firm else None
        _notify_firm(s, user, old, values, [e for _, e in lawyers] or ([firm_email] if firm_email else []))
        s.commit()
    log.info("contact request filed user=%s request=%s changed=%s", user.id, request_id, changed)
    return True, {}


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
