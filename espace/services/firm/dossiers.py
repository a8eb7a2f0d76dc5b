"""The firm's dossiers (/admin/dossiers): list with filters, create and edit
(reference unique in the firm, label, clients, interlocutor). Every function takes
the acting lawyer/staff User first and stays inside that user's firm; an id of
another firm (dossier, client or interlocutor) → AccessDenied."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, exists, func, or_, select

from espace.domain.forms import DossierForm, read_form
from espace.domain.ids import parse_id, saved_id
from espace.domain.names import full_name
from espace.domain.outcome import Outcome
from espace.domain.roles import STAFF_ROLES
from espace.domain.text import clean_line
from espace.models import Client, Dossier, DossierClient, ShareNotice, User
from espace.services import AccessDenied, audit
from espace.services.access import client_in_firm, dossier_in_firm, firm_scope, staff_in_firm
from espace.services.firm.common import SEARCH_MAX, SEARCH_WORDS, Page, like_pattern, page_of
from espace.services.shared import counters

log = logging.getLogger(__name__)

REFERENCE_TAKEN = "Cette référence est déjà utilisée par un autre dossier du cabinet."


@dataclass(frozen=True, slots=True)
class Choice:
    """A person the dossier form or a filter offers: a client (with its e-mail) or an interlocutor."""
    id: int
    name: str
    email: str = ""


@dataclass(frozen=True, slots=True)
class Options:
    clients: list[Choice]
    interlocutors: list[Choice]


@dataclass(frozen=True, slots=True)
class DossierRow:
    """A line of /admin/dossiers."""
    id: int
    reference: str
    label: str
    clients: str  # « NOM Prénom, NOM Prénom »
    interlocutor: str


@dataclass(frozen=True, slots=True)
class DossierValues:
    """A dossier as its edit form shows it."""
    id: int
    reference: str
    label: str
    client_ids: list[int]
    interlocutor_id: int | None


def options(user: User) -> Options:
    """The choices of the dossier form and filters: the firm's clients and its
    lawyers/staff (the possible interlocutors)."""
    with firm_scope(user) as (s, _):
        clients = s.exec(
            select(Client, User).join(User, col(User.id) == Client.user_id)
            .where(Client.firm_id == user.firm_id, User.firm_id == user.firm_id)
            .order_by(func.lower(User.nom), func.lower(User.prenom), col(Client.id))
        ).all()
        staff = s.exec(
            select(User).where(User.firm_id == user.firm_id, col(User.role).in_(STAFF_ROLES))
            .order_by(func.lower(User.nom), func.lower(User.prenom), col(User.id))
        ).all()
        return Options(
            clients=[Choice(id=saved_id(c.id), name=full_name(u) + ("" if u.active else " (désactivé)"),
                            email=u.email) for c, u in clients],
            interlocutors=[Choice(id=saved_id(u.id), name=full_name(u)) for u in staff if u.active],
        )


SUGGESTIONS = 20  # the choices a filter of /admin/dossiers offers at a time


def _client_choices(s: Session, user: User, words: list[str], chosen: int | None) -> list[Choice]:
    """Up to SUGGESTIONS of the firm's clients whose name, first name or e-mail contain
    every word, by name; the client `chosen` (when of the firm) first if not among them."""
    base = (select(Client.id, User).join(User, col(User.id) == Client.user_id)
            .where(Client.firm_id == user.firm_id, User.firm_id == user.firm_id))
    found = base
    for word in words:
        pattern = like_pattern(word)
        found = found.where(or_(col(User.nom).ilike(pattern, escape="\\"),
                                col(User.prenom).ilike(pattern, escape="\\"),
                                col(User.email).ilike(pattern, escape="\\")))
    rows = list(s.exec(found.order_by(func.lower(User.nom), func.lower(User.prenom), col(Client.id))
                       .limit(SUGGESTIONS)).all())
    if chosen is not None and all(cid != chosen for cid, _ in rows):
        rows = [*s.exec(base.where(Client.id == chosen)).all(), *rows]
    # (No e-mail: a filter shows the name only.)
    return [Choice(id=saved_id(cid), name=full_name(u) + ("" if u.active else " (désactivé)")) for cid, u in rows]


def _interlocutor_choices(s: Session, user: User, words: list[str], chosen: int | None) -> list[Choice]:
    """Up to SUGGESTIONS of the firm's active lawyers and staff whose name or first name
    contain every word, by name; the one `chosen` (when of the firm) first if not among them."""
    base = select(User).where(User.firm_id == user.firm_id, col(User.role).in_(STAFF_ROLES), col(User.active).is_(True))
    found = base
    for word in words:
        pattern = like_pattern(word)
        found = found.where(or_(col(User.nom).ilike(pattern, escape="\\"),
                                col(User.prenom).ilike(pattern, escape="\\")))
    staff = list(s.exec(found.order_by(func.lower(User.nom), func.lower(User.prenom), col(User.id))
                        .limit(SUGGESTIONS)).all())
    if chosen is not None and all(u.id != chosen for u in staff):
        staff = [*s.exec(base.where(User.id == chosen)).all(), *staff]
    return [Choice(id=saved_id(u.id), name=full_name(u)) for u in staff]


def _words(text: object) -> list[str]:
    return clean_line(text if isinstance(text, str) else "")[:SEARCH_MAX].split()[:SEARCH_WORDS]


def filter_options(user: User, client_id: object = "", interlocutor_id: object = "") -> Options:
    """The first choices of /admin/dossiers' filters (SUGGESTIONS of each, by name), the
    chosen client and interlocutor among them: the rest is found by typing (suggest)."""
    with firm_scope(user) as (s, _):
        return Options(clients=_client_choices(s, user, [], parse_id(client_id)),
                       interlocutors=_interlocutor_choices(s, user, [], parse_id(interlocutor_id)))


def suggest(user: User, kind: str, text: object = "", chosen: object = "") -> list[Choice]:
    """What a filter of /admin/dossiers offers for `text` as typed: `kind` "client" or
    "interlocuteur"; at most SUGGESTIONS (+ the `chosen` one), scoped to the user's firm."""
    with firm_scope(user) as (s, _):
        read = _client_choices if kind == "client" else _interlocutor_choices
        return read(s, user, _words(text), parse_id(chosen))


def _names(s: Session, firm_id: int | None, ids: list[int]) -> dict[int, list[str]]:
    """The clients' names of each dossier, by name. The firm's own clients only, checked
    here rather than in SQL: a condition on client.firm_id there makes SQLite walk every
    client of the firm and all their dossiers (5 ms on a firm of 5,000 dossiers) instead
    of the page's few dossiers by dossier_client's key."""
    names: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for did, client_firm, nom, prenom in s.exec(
            select(DossierClient.dossier_id, Client.firm_id, User.nom, User.prenom)
            .join(Client, col(Client.id) == DossierClient.client_id)
            .join(User, col(User.id) == Client.user_id)
            .where(col(DossierClient.dossier_id).in_(ids))
            .order_by(func.lower(User.nom), func.lower(User.prenom), col(User.id))
        ).all():
            if client_firm == firm_id:
                names[did].append(f"{prenom or ''} {(nom or '').upper()}".strip())  # full_name's order
    return names


def list_dossiers(user: User, search: str = "", interlocutor_id: object = "", client_id: object = "",
                  page: object = 1) -> Page[DossierRow]:
    """The firm's dossiers, filtered: `search` on the reference, the label or a
    client's name; `interlocutor_id` (a User id) and `client_id` (a Client id), both
    of the firm (else AccessDenied); empty = no filter."""
    words = clean_line(search)[:SEARCH_MAX].split()
    with firm_scope(user) as (s, _):
        conditions: list[ColumnElement[bool]] = [col(Dossier.firm_id) == user.firm_id]
        for word in words[:SEARCH_WORDS]:
            pattern = like_pattern(word)
            by_client = exists(
                select(DossierClient.dossier_id)
                .join(Client, col(Client.id) == DossierClient.client_id)
                .join(User, col(User.id) == Client.user_id)
                .where(col(DossierClient.dossier_id) == Dossier.id, Client.firm_id == user.firm_id,
                       or_(col(User.nom).ilike(pattern, escape="\\"), col(User.prenom).ilike(pattern, escape="\\")))
            )
            conditions.append(or_(col(Dossier.reference).ilike(pattern, escape="\\"),
                                  col(Dossier.label).ilike(pattern, escape="\\"), by_client))
        if str(interlocutor_id or "").strip():
            conditions.append(col(Dossier.interlocutor_id) == staff_in_firm(s, user, interlocutor_id).id)
        if str(client_id or "").strip():
            client, _ = client_in_firm(s, user, client_id)
            conditions.append(exists(select(DossierClient.dossier_id).where(
                col(DossierClient.dossier_id) == Dossier.id, DossierClient.client_id == client.id)))
        total = s.exec(select(func.count()).select_from(Dossier).where(*conditions)).one()
        shown, pages, size = page_of(total, page)
        dossiers = s.exec(
            select(Dossier).where(*conditions).order_by(col(Dossier.reference).desc(), col(Dossier.id).desc())
            .offset((shown - 1) * size).limit(size)
        ).all()
        names = _names(s, user.firm_id, [saved_id(d.id) for d in dossiers])
        staff_ids = {d.interlocutor_id for d in dossiers if d.interlocutor_id}
        staff = {u.id: u for u in s.exec(select(User).where(col(User.id).in_(staff_ids),
                                                            User.firm_id == user.firm_id)).all()} \
            if staff_ids else {}
        rows = [
            DossierRow(id=saved_id(d.id), reference=d.reference, label=d.label,
                       clients=", ".join(names[saved_id(d.id)]),
                       interlocutor=full_name(staff[d.interlocutor_id]) if d.interlocutor_id in staff else "")
            for d in dossiers
        ]
    return Page(rows=rows, total=total, page=shown, pages=pages)


def get_dossier(user: User, dossier_id: object) -> DossierValues:
    """The dossier's values for the edit form."""
    with firm_scope(user) as (s, _):
        d = dossier_in_firm(s, user, dossier_id)
        client_ids = s.exec(
            select(DossierClient.client_id).join(Client, col(Client.id) == DossierClient.client_id)
            .where(DossierClient.dossier_id == d.id, Client.firm_id == user.firm_id)
        ).all()
        return DossierValues(id=saved_id(d.id), reference=d.reference, label=d.label,
                             client_ids=list(client_ids), interlocutor_id=d.interlocutor_id)


def _client_ids(raw: object) -> list[object]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [p for p in raw.split(",") if p.strip()]
    if isinstance(raw, (list, tuple, set)):
        return list(raw)
    return [raw]


def _read_form(s: Session, user: User, form: object
               ) -> tuple[dict[str, str], dict[str, str], list[tuple[Client, User]], User | None]:
    """Validated values, errors, the chosen clients and interlocutor. Ids that are
    not of the firm raise AccessDenied (never silently dropped)."""
    fields = form if isinstance(form, dict) else {}
    dossier, errors = read_form(DossierForm, fields)
    values = dossier.model_dump() if dossier is not None else {"reference": "", "label": ""}
    raw_ids = _client_ids(fields.get("client_ids"))
    if len(raw_ids) > 500:
        raise AccessDenied()
    seen: set[int] = set()
    clients = []
    for raw in raw_ids:
        client, target = client_in_firm(s, user, raw)
        if saved_id(client.id) not in seen:
            seen.add(saved_id(client.id))
            clients.append((client, target))
    if not clients:
        errors["clients"] = "Choisissez au moins un client."
    interlocutor = None
    if str(fields.get("interlocutor_id") or "").strip():
        interlocutor = staff_in_firm(s, user, fields.get("interlocutor_id"))
    else:
        errors["interlocutor"] = "Choisissez l'interlocuteur."
    return values, errors, clients, interlocutor


def _reference_taken(s: Session, user: User, reference: str, except_id: int | None = None) -> bool:
    stmt = select(Dossier.id).where(Dossier.firm_id == user.firm_id, func.lower(Dossier.reference) == reference.lower())
    if except_id is not None:
        stmt = stmt.where(Dossier.id != except_id)
    return s.exec(stmt).first() is not None


def create_dossier(user: User, form: object) -> Outcome[int]:
    with firm_scope(user) as (s, _):
        values, errors, clients, interlocutor = _read_form(s, user, form)
        if not errors and _reference_taken(s, user, values["reference"]):
            errors["reference"] = REFERENCE_TAKEN
        if errors or interlocutor is None:  # no interlocutor: said in errors
            return Outcome.refused(errors)
        d = Dossier(firm_id=user.firm_id, reference=values["reference"], label=values["label"],
                    interlocutor_id=interlocutor.id)
        s.add(d)
        try:
            s.flush()
        except IntegrityError:
            s.rollback()
            return Outcome.refused({"reference": REFERENCE_TAKEN})
        for client, target in clients:
            s.add(DossierClient(dossier_id=saved_id(d.id), client_id=saved_id(client.id)))
            audit.record(s, user, "dossier_cree", f"dossier {d.id} {d.reference} {d.label}", subject_user_id=target.id)
        counters.links_changed(s, [saved_id(client.id) for client, _ in clients])
        s.commit()
        log.info("dossier created by=%s firm=%s dossier=%s", user.id, user.firm_id, d.id)
        return Outcome.done(saved_id(d.id), f"Le dossier {d.reference} a été créé.")


def update_dossier(user: User, dossier_id: object, form: object) -> Outcome[int]:
    with firm_scope(user) as (s, _):
        d = dossier_in_firm(s, user, dossier_id)  # authorise first
        values, errors, clients, interlocutor = _read_form(s, user, form)
        if not errors and _reference_taken(s, user, values["reference"], except_id=d.id):
            errors["reference"] = REFERENCE_TAKEN
        if errors or interlocutor is None:  # no interlocutor: said in errors
            return Outcome.refused(errors, saved_id(d.id))
        before = {cid for cid in s.exec(select(DossierClient.client_id).where(DossierClient.dossier_id == d.id)).all()}
        wanted = {saved_id(client.id): target for client, target in clients}
        changes: list[str] = []
        if (d.reference, d.label, d.interlocutor_id) != (values["reference"], values["label"], interlocutor.id):
            changes.append("dossier")
        d.reference, d.label, d.interlocutor_id = values["reference"], values["label"], interlocutor.id
        s.add(d)
        for cid in before - set(wanted):
            s.exec(delete(DossierClient).where(col(DossierClient.dossier_id) == d.id,
                                               col(DossierClient.client_id) == cid))
            # What was shared but not yet announced is no longer for this client.
            s.exec(delete(ShareNotice).where(col(ShareNotice.dossier_id) == d.id, col(ShareNotice.client_id) == cid,
                                             col(ShareNotice.notified_at).is_(None)))
            removed = s.exec(select(Client.user_id).where(Client.id == cid)).first()
            audit.record(s, user, "dossier_client_retire", f"dossier {d.id} {values['reference']}", subject_user_id=removed)
        for cid, target in wanted.items():
            if cid not in before:
                s.add(DossierClient(dossier_id=saved_id(d.id), client_id=cid))
                audit.record(s, user, "dossier_client_ajoute", f"dossier {d.id} {values['reference']}",
                             subject_user_id=target.id)
            elif changes:
                audit.record(s, user, "dossier_modifie", f"dossier {d.id} {values['reference']} {values['label']}",
                             subject_user_id=target.id)
        counters.links_changed(s, before ^ set(wanted))
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            return Outcome.refused({"reference": REFERENCE_TAKEN}, saved_id(d.id))
        return Outcome.done(saved_id(d.id), "Le dossier a été enregistré.")
