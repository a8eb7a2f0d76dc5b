"""The firm's dossier page (/admin/dossiers/<id>): its header, the count of every tab
and one keyset page of one tab — an item kind (shared or not, newest first) or the
clients' deposits (newest deposit first) — so that a dossier of thousands of items
sends one page, as the client's dossier page does (services/client/dossier_view.py).

The firm sees shared and hidden items alike, while the display-order indexes
(`shown_in_order`, models/dossiers.py) hold the shared ones only. So a page is read
as two runs merged in one statement: the shared items from that index, in order, and
the hidden ones from (dossier_id, shared_at) — few, as a firm shares most of what it
adds. The counts are split the same way, each half read from an index.

Every function takes the acting staff User first and reaches only the dossiers of
that user's firm: a client, or an id of another firm, is AccessDenied."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import bindparam, literal, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, func, select

from espace.config import settings
from espace.domain import items as registry
from espace.domain.french import fdate, fdatetime, fsize
from espace.domain.names import dossier_title, full_name
from espace.domain.roles import STAFF_ROLES
from espace.models import Direction, Document, Dossier, User
from espace.services import AccessDenied
from espace.services.access import dossier_clients, dossier_in_firm, firm_scope
from espace.services.firm.sharing import DepositRow
from espace.services.shared import keyset, news

DEPOSITS = "deposes"  # the tab of the clients' deposits
_NEW_DEPOSITS = "deposes-nouveaux"  # counted with the tabs: the deposits nobody of the firm opened yet


# --------------------------------------------------------------------------- display
@dataclass(frozen=True, slots=True)
class FirmItemRow:
    """One item of the dossier page, shared or not."""

    id: str
    date: str
    name: str
    detail: str
    url: str
    shared: bool
    state: str  # « Partagé » / « Non partagé »
    shared_on: str
    opened: str = ""  # a document: « Ouvert par le client le … » (its first download by a client)


class Person(TypedDict):
    id: str
    name: str


class ClientContact(TypedDict):
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class FirmPage:
    """One page of one tab: `rows` for an item kind, `deposits` for the clients'
    deposits; `newer` / `older`: the cursors of the neighbouring pages, "" at an end."""

    key: str  # the tab; "" when no page was read
    rows: list[FirmItemRow] = field(default_factory=list)
    deposits: list[DepositRow] = field(default_factory=list)
    newer: str = ""
    older: str = ""


@dataclass(frozen=True, slots=True)
class FirmDossier:
    id: str
    reference: str
    label: str
    title: str
    clients: list[ClientContact]
    interlocutor: str
    lawyers: list[Person]
    counts: dict[str, int]  # by kind key, and DEPOSITS
    new_deposits: int
    page: FirmPage


# --------------------------------------------------------------------------- the tabs' sources
@dataclass(frozen=True, slots=True)
class _Source:
    """What a tab lists: `kind`'s table (a deposit: a document), in `order_col` order."""

    key: str
    kind: registry.ItemKind
    order_col: str
    where: tuple[Any, ...]
    # False: no index holds the order (the deposits, by upload time), so a run's ids are
    # picked from the index of its conditions first, then only those rows are read.
    order_indexed: bool = True

    @property
    def model(self) -> Any:
        return self.kind.model

    @property
    def order(self) -> Any:
        return getattr(self.model, self.order_col)


_DEPOSITED = (Document.direction == Direction.depose,)


def _sources() -> list[_Source]:
    """Every tab but the messages, in the page's order: the deposits after the uploaded kind."""
    found: list[_Source] = []
    for kind in registry.kinds():
        found.append(_Source(kind.key, kind, kind.order_col, kind.firm_where))
        if kind.model is Document:
            found.append(_Source(DEPOSITS, kind, "created_at", _DEPOSITED, order_indexed=False))
    return found


def page_keys() -> list[str]:
    """The tabs that show a page of rows (every tab but the messages)."""
    return [src.key for src in _sources()]


def _source(key: object) -> _Source | None:
    return next((src for src in _sources() if src.key == key), None) if isinstance(key, str) else None


def _in_dossier(model: Any, where: tuple[Any, ...], shared: bool, by_ids: bool = False) -> tuple[Any, ...]:
    """One run of a tab: its shared items (read from the partial display-order index)
    or its hidden ones (from (dossier_id, shared_at)). `by_ids`: as the ids the index of
    these conditions holds (SQLite's planner, without statistics, would otherwise read
    every shared item of the dossier through (dossier_id, shared_at) to find them)."""
    run = col(model.shared_at).is_not(None) if shared else col(model.shared_at).is_(None)
    conditions = (col(model.dossier_id) == bindparam("dossier_id"), *where, run)
    return (col(model.id).in_(core_select(col(model.id)).where(*conditions)),) if by_ids else conditions


def _run(src: _Source, shared: bool) -> tuple[Any, ...]:
    return _in_dossier(src.model, src.where, shared, by_ids=not src.order_indexed)


# --------------------------------------------------------------------------- statements
def _page_stmt(src: _Source, mode: str, size: int) -> Any:
    """Up to size + 1 items of the tab from the cursor, in the page's direction: the
    nearest of each run, then the nearest of both."""
    model, ident = src.model, col(src.model.id)
    runs = [keyset.bounded(core_select(*model.__table__.c).where(*_run(src, shared)),
                           src.order, ident, mode, size).subquery()
            for shared in (True, False)]
    both = union_all(*(core_select(run) for run in runs)).subquery()
    order, last = both.c[src.order_col], both.c.id
    ascending = mode in ("apres", "fin")
    return (core_select(both).order_by(order.asc() if ascending else order.desc(),
                                       last.asc() if ascending else last.desc()).limit(size + 1))


def _beyond_stmt(src: _Source, newer: bool) -> Any:
    """An item of the tab newer (older) than the bound, in either run."""
    ident = col(src.model.id)
    runs = [core_select(ident).where(*_run(src, shared), keyset.beyond(src.order, ident, newer))
            .limit(1).subquery() for shared in (True, False)]
    return union_all(*(core_select(run) for run in runs))


def _counts_stmt(sources: list[_Source]) -> Any:
    wanted = [(src.key, src.model, _in_dossier(src.model, src.where, shared))
              for src in sources for shared in (True, False)]
    # (opened_at is in no index: the deposits' ids first, then those rows only)
    wanted += [(_NEW_DEPOSITS, Document, (*_in_dossier(Document, _DEPOSITED, shared, by_ids=True),
                                          col(Document.opened_at).is_(None)))
               for shared in (True, False)]
    return union_all(*[core_select(literal(key).label("k"), func.count().label("n")).select_from(model).where(*where)
                       for key, model, where in wanted])


def _counts(conn: Connection, dossier_id: int) -> dict[str, int]:
    """Every tab's count and the unopened deposits', in one statement."""
    sources = _sources()
    stmt = keyset.built(("firm-counts",), tuple(src.kind for src in sources), lambda: _counts_stmt(sources))
    counts = {src.key: 0 for src in sources} | {_NEW_DEPOSITS: 0}
    for key, n in conn.execute(stmt, {"dossier_id": dossier_id}).all():
        counts[key] += n
    return counts


def _read(conn: Connection, src: _Source, dossier_id: int, want: keyset.Want) -> tuple[list[Any], str, str]:
    """(the page's rows in display order, newer cursor, older cursor)."""
    size = settings.page_size
    bound = keyset.ranged(want, src.order)
    owners = (src.kind,)
    stmt = keyset.built(("firm-page", src.key, bound.mode, size), owners, lambda: _page_stmt(src, bound.mode, size))
    params: dict[str, Any] = {"dossier_id": dossier_id}
    found = list(conn.execute(stmt, {**params, "cursor_value": bound.value, "cursor_id": bound.id}).all())

    def more_beyond(newer: bool, at: tuple[Any, int]) -> bool:
        check = keyset.built(("firm-beyond", src.key, newer), owners, lambda: _beyond_stmt(src, newer))
        return conn.execute(check, {**params, "bound_value": at[0], "bound_id": at[1]}).first() is not None

    return keyset.paged(found, want, size, lambda r: (getattr(r, src.order_col), r.id), more_beyond)


# --------------------------------------------------------------------------- rows
def _item_rows(s: Session, firm_id: int, kind: registry.ItemKind, found: list[Any]) -> list[FirmItemRow]:
    opened: dict[int, datetime] = (news.first_opened_by_clients(s, firm_id, kind.key, [r.id for r in found])
                                   if kind.key == news.DOCUMENTS else {})
    rows = []
    for r in found:
        view = kind.view(r)
        shared = r.shared_at is not None
        rows.append(FirmItemRow(
            id=str(r.id), date=view.date, name=view.name, detail=view.detail + view.firm_note, url=view.url,
            shared=shared, state="Partagé" if shared else "Non partagé", shared_on=fdate(r.shared_at) if shared else "",
            opened=f"Ouvert par le client le {fdatetime(opened[r.id])}" if r.id in opened else ""))
    return rows


def _deposit_rows(s: Session, firm_id: int, d: Dossier, found: list[Any]) -> list[DepositRow]:
    uploaders = {r.uploaded_by_id for r in found if r.uploaded_by_id is not None}
    people = {u.id: u for u in s.exec(select(User).where(col(User.id).in_(uploaders)))} if uploaders else {}
    rows = []
    for r in found:
        u = people.get(r.uploaded_by_id)
        rows.append(DepositRow(
            id=str(r.id), date=fdate(r.doc_date), deposited=fdatetime(r.created_at), name=r.name,
            detail=fsize(r.size), url=f"/api/documents/{r.id}",
            client=full_name(u) if u is not None and u.firm_id == firm_id else "",
            dossier=dossier_title(d), dossier_id=str(d.id), new=r.opened_at is None))
    return rows


def _page(s: Session, firm_id: int, d: Dossier, key: object, avant: object = None, apres: object = None) -> FirmPage:
    """One page of the tab `key` (the first, or older than `avant`, or newer than
    `apres`); a cursor past either end gives the first page; no page for another key."""
    src = _source(key)
    if src is None or d.id is None:
        return FirmPage(key="")
    want = keyset.want(keyset.python_type(src.order), avant, apres, None)
    found, newer, older = _read(s.connection(), src, d.id, want)
    if not found and want.mode != "first":
        return _page(s, firm_id, d, key)
    if src.key == DEPOSITS:
        return FirmPage(src.key, deposits=_deposit_rows(s, firm_id, d, found), newer=newer, older=older)
    return FirmPage(src.key, rows=_item_rows(s, firm_id, src.kind, found), newer=newer, older=older)


# --------------------------------------------------------------------------- the services
def _lawyers(s: Session, firm_id: int) -> list[Person]:
    people = s.exec(
        select(User)
        .where(User.firm_id == firm_id, col(User.role).in_(STAFF_ROLES), col(User.active).is_(True))
        .order_by(col(User.nom), col(User.prenom), col(User.id))
    ).all()
    return [{"id": str(u.id), "name": full_name(u)} for u in people]


def dossier_overview(user: User, dossier_id: object, tab: object = None, avant: object = None,
                     apres: object = None) -> FirmDossier:
    """A dossier of the firm: its header, the count of every tab (shared or not) and
    of the unopened deposits, and one page of `tab` (page_keys(); None: the first
    kind's; any other key: no page)."""
    with firm_scope(user) as (s, staff):
        d = dossier_in_firm(s, staff, dossier_id)
        assert d.id is not None
        interlocutor = s.get(User, d.interlocutor_id) if d.interlocutor_id else None
        counts = _counts(s.connection(), d.id)
        new_deposits = counts.pop(_NEW_DEPOSITS)
        return FirmDossier(
            id=str(d.id),
            reference=d.reference,
            label=d.label,
            title=dossier_title(d),
            clients=[{"name": full_name(u), "email": c.email} for c, u in dossier_clients(s, d)],
            interlocutor=full_name(interlocutor) if interlocutor and interlocutor.firm_id == d.firm_id else "",
            lawyers=_lawyers(s, staff.firm_id),
            counts=counts,
            new_deposits=new_deposits,
            page=_page(s, staff.firm_id, d, registry.kinds()[0].key if tab is None else tab, avant, apres),
        )


def tab_page(user: User, dossier_id: object, key: object, avant: object = None, apres: object = None) -> FirmPage:
    """One page of one tab of a dossier of the firm (the first, or older than `avant`,
    or newer than `apres`), the dossier authorised again; a key that is not a tab
    (page_keys()) is refused."""
    with firm_scope(user) as (s, staff):
        d = dossier_in_firm(s, staff, dossier_id)
        if _source(key) is None:
            raise AccessDenied()
        return _page(s, staff.firm_id, d, key, avant, apres)
