"""The firm shares items into a dossier — every kind of the registry
(domain/items.py): documents, RDV, factures, tâches, temps passés, frais; and takes
them back. A client sees an item only while its shared_at is set
(services/client/dossier_view.py), so un-sharing hides it at once.

Every function takes the acting staff User first and reaches only the dossiers of
that user's firm: a client, or an id of another firm, is AccessDenied."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlmodel import Session, col, func, select

from espace.domain import items as registry
from espace.domain.french import fdate, fdatetime, fsize
from espace.domain.names import dossier_title, full_name
from espace.domain.roles import STAFF_ROLES
from espace.models import Direction, Document, Dossier, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.access import dossier_clients, dossier_in_firm, firm_scope, require_id, require_staff
from espace.services.deposits import receive as deposit_service
from espace.services.mail import share_notices
from espace.services.shared import counters

log = logging.getLogger(__name__)

DEPOSITS_MAX = 200


# --------------------------------------------------------------------------- display
@dataclass(frozen=True, slots=True)
class DepositRow:
    """A document a client deposited; `new` until someone of the firm opened it."""

    id: str
    date: str
    deposited: str
    name: str
    detail: str
    url: str
    client: str
    dossier: str
    dossier_id: str
    new: bool


# --------------------------------------------------------------------------- adding
class Added(NamedTuple):
    ok: bool
    errors: dict[str, str]  # by field, in French
    item_id: int | None


def addable() -> list[str]:
    """The kinds the dossier page adds by a form (documents come by upload)."""
    return [k.key for k in registry.kinds() if k.form is not None]


class _Context:
    """What the registry's forms ask beyond their fields (registry.BuildContext)."""

    def __init__(self, s: Session, staff: User, dossier: Dossier) -> None:
        assert staff.id is not None and dossier.id is not None
        self.s, self.firm_id = s, staff.firm_id
        self.staff_id: int = staff.id
        self.dossier_id: int = dossier.id

    def taken(self, column: Any, value: object) -> bool:
        model = column.class_
        found = self.s.exec(select(model.id).where(model.dossier_id == self.dossier_id, column == value)).first()
        return found is not None

    def firm_lawyer(self, raw: str) -> int | None:
        try:
            person = self.s.get(User, require_id(raw))
        except AccessDenied:
            return None
        if person is None or person.firm_id != self.firm_id or person.role not in STAFF_ROLES or not person.active:
            return None
        return person.id


def add_item(user: User, dossier_id: object, category: str, form: Mapping[str, object], share_now: bool = True
             ) -> Added:
    """Add an item of a kind that has a form (all but documents) to a dossier of the
    firm, shared at once unless share_now is false."""
    values = dict(form) if isinstance(form, Mapping) else {}
    with firm_scope(user) as (s, staff):
        d = dossier_in_firm(s, staff, dossier_id)
        kind = registry.kind(category)
        if kind is None or kind.form is None:
            raise AccessDenied()
        item, errors = registry.build(kind.form, values, _Context(s, staff, d))
        if item is None:
            return Added(False, errors, None)
        if share_now:
            item.shared_at = utcnow()
        s.add(item)
        s.flush()
        if share_now:
            counters.item_shared(s, item, 1)
            share_notices.record(s, staff.firm_id, item)
        audit.record(s, staff, "ajout", f"{category} {item.id} dossier {d.id}")
        if share_now:
            _audit_clients(s, staff, "partage", f"{category} {item.id} dossier {d.id}", d)
        s.commit()
        item_id: int = item.id
    log.info("item added user=%s dossier=%s category=%s item=%s shared=%s", user.id, d.id, category, item_id, share_now)
    return Added(True, {}, item_id)


def _audit_clients(s: Session, staff: User, action: str, detail: str, dossier: Dossier) -> None:
    """One audit event per client of the dossier (their trail shows what the firm
    shared or took back), or one without subject for a dossier without client."""
    clients = dossier_clients(s, dossier)
    for _, u in clients:
        audit.record(s, staff, action, detail, subject_user_id=u.id)
    if not clients:
        audit.record(s, staff, action, detail)


# --------------------------------------------------------------------------- share / unshare
def _firm_item(s: Session, staff: User, category: str, item_id: object) -> tuple[Any, Dossier]:
    kind = registry.kind(category)
    if kind is None:
        raise AccessDenied()
    model = kind.model
    # firm_where: a client's deposit is not the firm's to share or take back
    item = s.exec(select(model).where(model.id == require_id(item_id), *kind.firm_where)).first()
    if item is None:
        raise AccessDenied()
    d = s.get(Dossier, item.dossier_id)
    if d is None or d.firm_id != staff.firm_id:
        raise AccessDenied()
    return item, d


def share(user: User, category: str, item_id: object) -> bool:
    """Show an item to the dossier's clients (and queue their notification).
    Returns False when it was already shared."""
    with firm_scope(user) as (s, staff):
        item, d = _firm_item(s, staff, category, item_id)
        if item.shared_at is not None:
            return False
        item.shared_at = utcnow()
        s.add(item)
        s.flush()
        counters.item_shared(s, item, 1)
        share_notices.record(s, staff.firm_id, item)
        _audit_clients(s, staff, "partage", f"{category} {item.id} dossier {d.id}", d)
        s.commit()
    log.info("item shared user=%s category=%s item=%s dossier=%s", user.id, category, item_id, d.id)
    return True


def unshare(user: User, category: str, item_id: object) -> bool:
    """Hide an item from the dossier's clients at once (a pending notification is
    dropped). Returns False when it was not shared."""
    with firm_scope(user) as (s, staff):
        item, d = _firm_item(s, staff, category, item_id)
        if item.shared_at is None:
            return False
        item.shared_at = None
        s.add(item)
        counters.item_shared(s, item, -1)
        share_notices.forget(s, item)
        _audit_clients(s, staff, "retrait", f"{category} {item.id} dossier {d.id}", d)
        s.commit()
    log.info("item unshared user=%s category=%s item=%s dossier=%s", user.id, category, item_id, d.id)
    return True


# --------------------------------------------------------------------------- documents
def _firm_scope(s: Session, user: User, dossier_id: object) -> Dossier:
    return dossier_in_firm(s, require_staff(s, user), dossier_id)


async def upload_document(user: User, dossier_id: object, filename: str, chunks: AsyncIterable[bytes],
                          share_now: bool = True, declared_size: int | None = None,
                          key: str | None = None) -> deposit_service.DepositResult:
    """Store one document the firm adds to a dossier (direction "reçu"), with the
    clients' checks: size limit while streaming, type from the content. Shared
    at once (notices queued) unless share_now is false. Same answers as
    deposit_service.deposit_stream."""
    def notice(s: Session, d: Dossier, doc: Document) -> None:
        share_notices.record(s, d.firm_id, doc)
        _audit_clients(s, user, "partage", f"documents {doc.id} dossier {d.id}", d)

    result = await deposit_service.receive_document(
        user, dossier_id, filename, chunks, scope=_firm_scope, direction=Direction.recu, shared=share_now,
        action="ajout_document", on_shared=notice, declared_size=declared_size, key=key)
    return result


def _deposit_rows(s: Session, staff: User, dossier_id: int | None) -> list[DepositRow]:
    q = (
        select(Document, Dossier, User)
        .join(Dossier, col(Dossier.id) == Document.dossier_id)
        .join(User, col(User.id) == Document.uploaded_by_id, isouter=True)
        .where(Dossier.firm_id == staff.firm_id, Document.direction == Direction.depose)
    )
    if dossier_id is not None:
        q = q.where(Document.dossier_id == dossier_id)
    q = q.order_by(col(Document.created_at).desc(), col(Document.id).desc()).limit(DEPOSITS_MAX)
    return [
        DepositRow(
            id=str(doc.id),
            date=fdate(doc.doc_date),
            deposited=fdatetime(doc.created_at),
            name=doc.name,
            detail=fsize(doc.size),
            url=f"/api/documents/{doc.id}",
            client=full_name(u) if u is not None and u.firm_id == staff.firm_id else "",
            dossier=dossier_title(d),
            dossier_id=str(d.id),
            new=doc.opened_at is None,
        )
        for doc, d, u in s.exec(q).all()
    ]


def deposits(user: User, dossier_id: object = None) -> list[DepositRow]:
    """Documents deposited by clients (one dossier, or the whole firm), newest
    first; `new` until someone of the firm has downloaded the file."""
    with firm_scope(user) as (s, staff):
        did = dossier_in_firm(s, staff, dossier_id).id if dossier_id is not None else None
        return _deposit_rows(s, staff, did)


def new_deposits_count(user: User) -> int:
    """Deposits of the firm nobody of the firm has opened yet."""
    with firm_scope(user) as (s, staff):
        return s.exec(
            select(func.count())
            .select_from(Document)
            .join(Dossier, col(Dossier.id) == Document.dossier_id)
            .where(Dossier.firm_id == staff.firm_id, Document.direction == Direction.depose,
                   col(Document.opened_at).is_(None))
        ).one()


def mark_deposit_opened(s: Session, user: User | None, doc: Document) -> None:
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
    # The client's read receipt (« Consulté par le cabinet le … »), in the trail too.
    audit.record(s, user, "document_consulte", f"document {row.id} dossier {d.id}",
                 subject_user_id=row.uploaded_by_id)
