"""The firm shares items into a dossier: documents, RDV, factures, tâches, temps
passés, frais; and takes them back. A client sees an item only while its
shared_at is set (services/portal.py), so un-sharing hides it at once.

Every function takes the acting staff User first and reaches only the dossiers of
that user's firm: a client, or an id of another firm, is AccessDenied."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from typing import AsyncIterable, Mapping
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from espace.db import session_scope
from espace.domain.formatting import fdate, fdatetime
from espace.models import (
    Direction,
    Document,
    Dossier,
    Facture,
    FactureStatus,
    Frais,
    Rdv,
    Tache,
    TempsPasse,
    User,
    utcnow,
)
from espace.services import AccessDenied, audit
from espace.services.client import portal
from espace.services.mail import share_notices
from espace.services import deposits as deposit_service
from espace.services.access import STAFF_ROLES, dossier_clients, require_id as as_id, require_staff as staff_of
from espace.services.access import dossier_in_firm as firm_dossier
from espace.domain.names import formal_name as display_name
from espace.domain.names import dossier_title

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
REQUIRED = "Ce champ est obligatoire."
BAD_DATE = "Date invalide (format jj/mm/aaaa)."
BAD_TIME = "Heure invalide (format hh:mm, exemple : 14:30)."
BAD_AMOUNT = "Montant invalide (exemple : 1 440,00)."
BAD_DURATION = "Durée invalide (exemples : 1h30, 45 min ou 90 pour 90 minutes)."
MAX_CENTS = 10_000_000_000  # 100 000 000,00 €
MAX_MINUTES = 24 * 60
DEPOSITS_MAX = 200


@dataclass(frozen=True)
class Kind:
    key: str  # same keys as the client side and the share notices
    label: str
    model: type
    order_col: str


KINDS: list[Kind] = [
    Kind("documents", "Documents", Document, "doc_date"),
    Kind("rdv", "RDV", Rdv, "starts_at"),
    Kind("factures", "Factures", Facture, "date"),
    Kind("taches", "Tâches", Tache, "date"),
    Kind("temps-passes", "Temps passés", TempsPasse, "date"),
    Kind("frais", "Frais", Frais, "date"),
]
BY_KEY = {k.key: k for k in KINDS}
ADDABLE = ("rdv", "factures", "taches", "temps-passes", "frais")  # documents come by upload


# --------------------------------------------------------------------------- parsing
def _text(value, max_len: int) -> str:
    text = "" if value is None else str(value)
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return re.sub(r"\s+", " ", text).strip()[: max_len + 1]


def parse_date(value) -> date | None:
    """dd/mm/yyyy (as typed) or yyyy-mm-dd (a date input); None when invalid."""
    text = str(value or "").strip()
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
    try:
        if m:
            d = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        else:
            m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
            if not m:
                return None
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return d if 1900 <= d.year <= 2100 else None


def parse_time(value) -> time | None:
    """14:30, 14h30, 14h, 9:05; None when invalid."""
    text = str(value or "").strip().lower().replace(" ", "")
    m = re.fullmatch(r"(\d{1,2})(?:[:h](\d{2})?)?(?::\d{2})?", text)
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_amount(value) -> int | None:
    """A French amount ("1 440,00", "1440", "89,5 €", "1.440,00") in cents; None when invalid."""
    text = str(value or "").strip()
    text = re.sub(r"[\s\u00a0\u202f€]", "", text).replace("EUR", "").replace("eur", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")  # "1.440" = mille quatre cent quarante
    if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
        return None
    try:
        cents = int((Decimal(text) * 100).to_integral_value())
    except InvalidOperation:
        return None
    return cents


def parse_duration(value) -> int | None:
    """Minutes from "1h30", "1 h 30", "2h", "1:30", "90", "45 min"; None when invalid."""
    text = str(value or "").strip().lower().replace(" ", "")
    for pattern in (r"(\d{1,2})h(\d{1,2})?(?:min|mn|m)?", r"(\d{1,2}):(\d{2})"):
        m = re.fullmatch(pattern, text)
        if m:
            minutes = int(m.group(2) or 0)
            if minutes > 59:
                return None
            return int(m.group(1)) * 60 + minutes
    m = re.fullmatch(r"(\d{1,4})(?:min|mn|m)?", text)
    return int(m.group(1)) if m else None


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() in ("on", "true", "1", "oui", "yes")


def _need_date(form: dict, key: str, errors: dict, required: bool = True) -> date | None:
    raw = str(form.get(key) or "").strip()
    if not raw:
        if required:
            errors[key] = REQUIRED
        return None
    d = parse_date(raw)
    if d is None:
        errors[key] = BAD_DATE
    return d


def _need_text(form: dict, key: str, errors: dict, max_len: int, required: bool = True) -> str:
    value = _text(form.get(key), max_len)
    if not value and required:
        errors[key] = REQUIRED
    elif len(value) > max_len:
        errors[key] = f"{max_len} caractères maximum."
    return value


def _need_amount(form: dict, key: str, errors: dict) -> int | None:
    raw = str(form.get(key) or "").strip()
    if not raw:
        errors[key] = REQUIRED
        return None
    cents = parse_amount(raw)
    if cents is None:
        errors[key] = BAD_AMOUNT
    elif cents <= 0:
        errors[key] = "Le montant doit être supérieur à zéro."
    elif cents > MAX_CENTS:
        errors[key] = "Montant trop élevé."
    return cents


# --------------------------------------------------------------------------- display
def _state(item) -> dict[str, str]:
    shared = item.shared_at is not None
    return {
        "shared": "1" if shared else "",
        "state": "Partagé" if shared else "Non partagé",
        "shared_on": fdate(item.shared_at) if shared else "",
    }


def _row(item) -> dict[str, str]:
    row = {**portal._row(item), **_state(item)}
    if isinstance(item, Facture) and item.payable_online and item.status != FactureStatus.payee:
        row["detail"] += " · payable en ligne"
    return row


def _lawyers(s: Session, firm_id: int) -> list[dict[str, str]]:
    people = s.exec(
        select(User)
        .where(User.firm_id == firm_id, User.role.in_(STAFF_ROLES), User.active.is_(True))
        .order_by(User.nom, User.prenom, User.id)
    ).all()
    return [{"id": str(u.id), "name": display_name(u)} for u in people]


def dossier_overview(user: User, dossier_id) -> dict:
    """A dossier of the firm with every item, shared or not, newest first:
    {"id", "reference", "label", "title", "clients": [{"name", "email"}],
    "interlocutor", "lawyers": [{"id", "name"}], "items": {category: [rows]},
    "deposits": [rows with "new"], "counts": {category: "n"}}. Rows are display
    strings (id, date, name, detail, url, shared "1"/"", state "Partagé"/"Non partagé")."""
    with session_scope() as s:
        staff = staff_of(s, user)
        d = firm_dossier(s, staff, dossier_id)
        interlocutor = s.get(User, d.interlocutor_id) if d.interlocutor_id else None

        def rows(kind: Kind, *extra) -> list[dict[str, str]]:
            order = getattr(kind.model, kind.order_col)
            q = select(kind.model).where(kind.model.dossier_id == d.id, *extra)
            return [_row(i) for i in s.exec(q.order_by(order.desc(), kind.model.id.desc())).all()]

        items = {
            k.key: rows(k, *((Document.direction == Direction.recu,) if k.model is Document else ()))
            for k in KINDS
        }
        deposit_rows = _deposit_rows(s, staff, d.id)
        return {
            "id": str(d.id),
            "reference": d.reference,
            "label": d.label,
            "title": dossier_title(d),
            "clients": [{"name": display_name(u), "email": c.email} for c, u in dossier_clients(s, d)],
            "interlocutor": display_name(interlocutor) if interlocutor and interlocutor.firm_id == d.firm_id else "",
            "lawyers": _lawyers(s, staff.firm_id),
            "items": items,
            "deposits": deposit_rows,
            "counts": {key: str(len(value)) for key, value in items.items()} | {"deposes": str(len(deposit_rows))},
            "new_deposits": str(sum(1 for r in deposit_rows if r["new"])),
        }


# --------------------------------------------------------------------------- adding
def _build(kind: str, form: dict, staff: User, s: Session, dossier: Dossier):
    """(item or None, errors by field) from the form of one kind."""
    errors: dict[str, str] = {}
    if kind == "rdv":
        day = _need_date(form, "date", errors)
        raw_time = str(form.get("heure") or "").strip()
        at = parse_time(raw_time) if raw_time else None
        if not raw_time:
            errors["heure"] = REQUIRED
        elif at is None:
            errors["heure"] = BAD_TIME
        place = _need_text(form, "lieu", errors, 200, required=False)
        subject = _need_text(form, "objet", errors, 200)
        if errors:
            return None, errors
        starts = datetime.combine(day, at, tzinfo=PARIS).astimezone(timezone.utc)
        return Rdv(dossier_id=dossier.id, starts_at=starts, place=place, subject=subject), errors
    if kind == "factures":
        number = _need_text(form, "numero", errors, 50)
        day = _need_date(form, "date", errors)
        cents = _need_amount(form, "montant", errors)
        due = _need_date(form, "echeance", errors, required=False)
        if day and due and due < day:
            errors["echeance"] = "L'échéance ne peut pas précéder la date de la facture."
        if "numero" not in errors:
            taken = s.exec(
                select(Facture.id).where(Facture.dossier_id == dossier.id, Facture.number == number)
            ).first()
            if taken is not None:
                errors["numero"] = "Une facture de ce dossier porte déjà ce numéro."
        if errors:
            return None, errors
        return Facture(dossier_id=dossier.id, number=number, date=day, amount_cents=cents, due_date=due,
                       payable_online=_truthy(form.get("payable_en_ligne")), status=FactureStatus.a_regler), errors
    if kind == "taches":
        day = _need_date(form, "date", errors)
        label = _need_text(form, "libelle", errors, 300)
        if errors:
            return None, errors
        return Tache(dossier_id=dossier.id, date=day, label=label), errors
    if kind == "temps-passes":
        day = _need_date(form, "date", errors)
        raw = str(form.get("duree") or "").strip()
        minutes = parse_duration(raw) if raw else None
        if not raw:
            errors["duree"] = REQUIRED
        elif minutes is None:
            errors["duree"] = BAD_DURATION
        elif not 0 < minutes <= MAX_MINUTES:
            errors["duree"] = "La durée doit être comprise entre 1 minute et 24 heures."
        description = _need_text(form, "description", errors, 500)
        lawyer_id = staff.id
        chosen = str(form.get("avocat") or "").strip()
        if chosen:
            try:
                person = s.get(User, as_id(chosen))
            except AccessDenied:
                person = None
            if (person is None or person.firm_id != staff.firm_id or person.role not in STAFF_ROLES
                    or not person.active):
                errors["avocat"] = "Choisissez un avocat du cabinet."
            else:
                lawyer_id = person.id
        if errors:
            return None, errors
        return TempsPasse(dossier_id=dossier.id, date=day, minutes=minutes, description=description,
                          lawyer_id=lawyer_id), errors
    if kind == "frais":
        day = _need_date(form, "date", errors)
        cents = _need_amount(form, "montant", errors)
        label = _need_text(form, "libelle", errors, 300)
        if errors:
            return None, errors
        return Frais(dossier_id=dossier.id, date=day, amount_cents=cents, label=label), errors
    raise AccessDenied()


def add_item(user: User, dossier_id, category: str, form: dict, share_now: bool = True
             ) -> tuple[bool, dict[str, str], int | None]:
    """Add an RDV, a facture, a tâche, a temps passé or a frais to a dossier of the
    firm, shared at once unless share_now is false. Returns (ok, errors by field in
    French, id of the new item)."""
    form = dict(form) if isinstance(form, Mapping) else {}
    with session_scope() as s:
        staff = staff_of(s, user)
        d = firm_dossier(s, staff, dossier_id)
        if category not in ADDABLE:
            raise AccessDenied()
        item, errors = _build(category, form, staff, s, d)
        if item is None:
            return False, errors, None
        if share_now:
            item.shared_at = utcnow()
        s.add(item)
        s.flush()
        if share_now:
            share_notices.record(s, staff.firm_id, item)
        audit.record(s, staff, "ajout", f"{category} {item.id} dossier {d.id}")
        if share_now:
            _audit_clients(s, staff, "partage", f"{category} {item.id} dossier {d.id}", d)
        s.commit()
        item_id = item.id
    log.info("item added user=%s dossier=%s category=%s item=%s shared=%s", user.id, d.id, category, item_id, share_now)
    return True, {}, item_id


def _audit_clients(s: Session, staff: User, action: str, detail: str, dossier: Dossier) -> None:
    """One audit event per client of the dossier (their trail shows what the firm
    shared or took back), or one without subject for a dossier without client."""
    clients = dossier_clients(s, dossier)
    for _, u in clients:
        audit.record(s, staff, action, detail, subject_user_id=u.id)
    if not clients:
        audit.record(s, staff, action, detail)


# --------------------------------------------------------------------------- share / unshare
def _firm_item(s: Session, staff: User, category: str, item_id):
    kind = BY_KEY.get(str(category))
    if kind is None:
        raise AccessDenied()
    item = s.get(kind.model, as_id(item_id))
    if item is None:
        raise AccessDenied()
    d = s.get(Dossier, item.dossier_id)
    if d is None or d.firm_id != staff.firm_id:
        raise AccessDenied()
    if isinstance(item, Document) and item.direction != Direction.recu:
        raise AccessDenied()  # a client's deposit is not the firm's to share or take back
    return item, d


def share(user: User, category: str, item_id) -> bool:
    """Show an item to the dossier's clients (and queue their notification).
    Returns False when it was already shared."""
    with session_scope() as s:
        staff = staff_of(s, user)
        item, d = _firm_item(s, staff, category, item_id)
        if item.shared_at is not None:
            return False
        item.shared_at = utcnow()
        s.add(item)
        s.flush()
        share_notices.record(s, staff.firm_id, item)
        _audit_clients(s, staff, "partage", f"{category} {item.id} dossier {d.id}", d)
        s.commit()
    log.info("item shared user=%s category=%s item=%s dossier=%s", user.id, category, item_id, d.id)
    return True


def unshare(user: User, category: str, item_id) -> bool:
    """Hide an item from the dossier's clients at once (a pending notification is
    dropped). Returns False when it was not shared."""
    with session_scope() as s:
        staff = staff_of(s, user)
        item, d = _firm_item(s, staff, category, item_id)
        if item.shared_at is None:
            return False
        item.shared_at = None
        s.add(item)
        share_notices.forget(s, item)
        _audit_clients(s, staff, "retrait", f"{category} {item.id} dossier {d.id}", d)
        s.commit()
    log.info("item unshared user=%s category=%s item=%s dossier=%s", user.id, category, item_id, d.id)
    return True


# --------------------------------------------------------------------------- documents
def _firm_scope(s: Session, user: User, dossier_id) -> Dossier:
    return firm_dossier(s, staff_of(s, user), dossier_id)


async def upload_document(user: User, dossier_id, filename: str, chunks: AsyncIterable[bytes],
                          share_now: bool = True, declared_size: int | None = None) -> dict:
    """Store one document the firm adds to a dossier (direction "reçu"), with the
    clients' checks: size limit while streaming, type from the content. Shared
    at once (notices queued) unless share_now is false. Same answers as
    deposit_service.deposit_stream."""
    def notice(s: Session, d: Dossier, doc: Document) -> None:
        share_notices.record(s, d.firm_id, doc)
        _audit_clients(s, user, "partage", f"documents {doc.id} dossier {d.id}", d)

    return await deposit_service.receive_document(user, dossier_id, filename, chunks, scope=_firm_scope,
                                           direction=Direction.recu, shared=share_now, action="ajout_document",
                                           on_shared=notice, declared_size=declared_size)


def _deposit_rows(s: Session, staff: User, dossier_id: int | None) -> list[dict[str, str]]:
    q = (
        select(Document, Dossier, User)
        .join(Dossier, Dossier.id == Document.dossier_id)
        .join(User, User.id == Document.uploaded_by_id, isouter=True)
        .where(Dossier.firm_id == staff.firm_id, Document.direction == Direction.depose)
    )
    if dossier_id is not None:
        q = q.where(Document.dossier_id == dossier_id)
    q = q.order_by(Document.created_at.desc(), Document.id.desc()).limit(DEPOSITS_MAX)
    return [
        {
            "id": str(doc.id),
            "date": fdate(doc.doc_date),
            "deposited": fdatetime(doc.created_at),
            "name": doc.name,
            "detail": portal._row(doc)["detail"],
            "url": f"/api/documents/{doc.id}",
            "client": display_name(u) if u is not None and u.firm_id == staff.firm_id else "",
            "dossier": dossier_title(d),
            "dossier_id": str(d.id),
            "new": "1" if doc.opened_at is None else "",
        }
        for doc, d, u in s.exec(q).all()
    ]


def deposits(user: User, dossier_id=None) -> list[dict[str, str]]:
    """Documents deposited by clients (one dossier, or the whole firm), newest
    first; "new" is "1" until someone of the firm has downloaded the file."""
    with session_scope() as s:
        staff = staff_of(s, user)
        did = firm_dossier(s, staff, dossier_id).id if dossier_id is not None else None
        return _deposit_rows(s, staff, did)


def new_deposits_count(user: User) -> int:
    """Deposits of the firm nobody of the firm has opened yet."""
    with session_scope() as s:
        staff = staff_of(s, user)
        return s.exec(
            select(func.count())
            .select_from(Document)
            .join(Dossier, Dossier.id == Document.dossier_id)
            .where(Dossier.firm_id == staff.firm_id, Document.direction == Direction.depose,
                   Document.opened_at.is_(None))
        ).one()


def mark_deposit_opened(s: Session, user: User, doc: Document) -> None:
    """Called by the download route (in its transaction): the first download of a
    client's deposit by someone of its firm clears its « Nouveau » marker."""
    if user is None or user.role not in STAFF_ROLES or doc.direction != Direction.depose:
        return
    row = s.get(Document, doc.id)
    if row is None or row.opened_at is not None:
        return
    d = s.get(Dossier, row.dossier_id)
    if d is None or d.firm_id != user.firm_id:
        return
    row.opened_at = utcnow()
    s.add(row)
