"""The client's read path: home counts, category lists, a dossier and its items.

Every query starts from the acting client and only reaches items that are shared
(shared_at not null) in dossiers of the client's firm that the client is linked to.
The categories, tabs and rows come from the item-kind registry (domain/items.py)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict, TypeVar

from sqlalchemy import BigInteger, bindparam, literal, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from espace.config import settings
from espace.db import read_scope, session_scope
from espace.domain import items as registry
from espace.domain.ids import MAX_ID, parse_id
from espace.domain.names import dossier_title, full_name
from espace.domain.online_payment import accepts_online_payments
from espace.models import Client, Document, Dossier, DossierClient, Firm, Role, User
from espace.services import AccessDenied
from espace.services.client import keyset

_Stmt = TypeVar("_Stmt", SelectOfScalar[Dossier], Select[int | None, int])
DOSSIERS = "dossiers"  # the category of the client's dossiers themselves, second on the home page


@dataclass(frozen=True, slots=True)
class Category:
    key: str  # URL segment, e.g. "temps-passes"
    label: str  # visible label, e.g. "Temps passés"
    kind: registry.ItemKind | None  # None for the dossiers


def categories() -> list[Category]:
    """The home tiles and list pages: the first kind (documents), the dossiers, then the other kinds."""
    kinds = [Category(k.key, k.label, k) for k in registry.kinds()]
    return [*kinds[:1], Category(DOSSIERS, "Dossiers", None), *kinds[1:]]


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One line of a list or a tab, as display strings. `pay`: the payment page of an
    invoice payable online now (firm payments on), else "". `new` and `receipt` (a
    deposit's « Consulté par le cabinet le … »): set by services/client/news.annotate."""

    id: str
    date: str = ""
    name: str = ""
    detail: str = ""
    url: str = ""
    dossier: str = ""
    dossier_id: str = ""
    pay: str = ""
    agenda: str = ""  # an appointment's .ics route (« Ajouter à mon agenda »)
    new: bool = False
    receipt: str = ""


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    label: str
    count: int


class DossierChoice(TypedDict):
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Home:
    name: str
    tiles: list[Tile]
    dossiers: list[DossierChoice]


@dataclass(frozen=True, slots=True)
class CategoryPage:
    """One page of a category list. `newer` / `older`: the cursors of the pages of
    newer (`?apres=`) and older (`?avant=`) items, "" when there are none."""

    label: str
    rows: list[ItemRow]
    total: int
    newer: str = ""
    older: str = ""
    dossier: str = ""  # the dossier filter applied (`?dossier=<id>`), "" for all the client's dossiers
    choices: list[DossierChoice] = field(default_factory=list)  # the filter's dossiers (none for /dossiers)


@dataclass(frozen=True, slots=True)
class TabCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class TabPage:
    """One page of one dossier tab (`key`), newest first; cursors as CategoryPage's."""

    key: str
    rows: list[ItemRow]
    newer: str = ""
    older: str = ""


@dataclass(frozen=True, slots=True)
class ClientDossier:
    id: str
    label: str
    reference: str
    title: str
    interlocutor: str
    tabs: list[TabCount]  # the non-empty ones
    page: TabPage  # the active tab's first page (key "" when every tab is empty)


def client_of(s: Session, user: User | None) -> Client:
    if user is None or user.role != Role.client or not user.active:
        raise AccessDenied()
    client = s.exec(select(Client).where(Client.user_id == user.id, Client.firm_id == user.firm_id)).first()
    if client is None:
        raise AccessDenied()
    return client


def _linked_to_client(stmt: _Stmt) -> _Stmt:
    """`stmt` limited to the dossier `dossier_id` when the active client user `user_id`
    of firm `firm_id` is linked to it (bound parameters: built once, run per upload)."""
    return (
        stmt.join(DossierClient, col(DossierClient.dossier_id) == Dossier.id)
        .join(Client, col(Client.id) == DossierClient.client_id)
        .join(User, col(User.id) == Client.user_id)
        .where(col(Dossier.id) == bindparam("dossier_id", type_=BigInteger), col(Dossier.firm_id) == Client.firm_id,
               col(Client.user_id) == bindparam("user_id"), col(Client.firm_id) == bindparam("firm_id"),
               col(User.active).is_(True), col(User.role) == Role.client)
    )


# Built once (building a statement costs more CPU than SQLite takes to answer it).
_CLIENT_DOSSIER = _linked_to_client(select(Dossier))
_CLIENT_DOSSIER_REF = _linked_to_client(core_select(col(Dossier.id), col(Dossier.firm_id)).select_from(Dossier))


def _client_dossier_params(user: User | None, dossier_id: object) -> dict[str, int | None]:
    if user is None or user.role != Role.client:
        raise AccessDenied()
    did = parse_id(dossier_id)
    if did is None:
        raise AccessDenied()
    return {"dossier_id": did, "user_id": user.id, "firm_id": user.firm_id}


def client_dossier(s: Session, user: User | None, dossier_id: object) -> Dossier:
    """The dossier if `user` is an active client linked to it in their firm, read in ONE
    query (the user's active flag is read again, so a client deactivated during a long
    upload is refused when it ends); AccessDenied otherwise, also for a malformed id."""
    d: Dossier | None = s.exec(_CLIENT_DOSSIER, params=_client_dossier_params(user, dossier_id)).first()
    if d is None:
        raise AccessDenied()
    return d


def client_dossier_ref(s: Session, user: User | None, dossier_id: object) -> Row[int | None, int]:
    """client_dossier's check as a plain row (`.id`, `.firm_id`), without loading the
    dossier: what an upload needs, before its body and again once it is stored."""
    ref = s.connection().execute(_CLIENT_DOSSIER_REF, _client_dossier_params(user, dossier_id)).first()
    if ref is None:
        raise AccessDenied()
    return ref


# --------------------------------------------------------------------------- the client's scope
_CLIENT_KEY = (
    core_select(col(Client.id), col(Client.firm_id), col(Firm.payments_enabled), col(Firm.stripe_publishable_key),
                col(Firm.stripe_secret_key_enc), col(Firm.stripe_webhook_secret_enc))
    .join(Firm, col(Firm.id) == Client.firm_id)
    .where(col(Client.user_id) == bindparam("user_id"), col(Client.firm_id) == bindparam("firm_id"))
)


def _client_key(s: Connection, user: User | None) -> Any:
    """client_of as one plain row: the client's `id`, `firm_id` and the firm's payment
    settings (what accepts_online_payments reads); AccessDenied as client_of."""
    if user is None or user.role != Role.client or not user.active:
        raise AccessDenied()
    row = s.execute(_CLIENT_KEY, {"user_id": user.id, "firm_id": user.firm_id}).first()
    if row is None:
        raise AccessDenied()
    return row


def _scope_ids() -> Select[int]:
    """Subquery: ids of the dossiers of the client `client_id` in its firm `firm_id`
    (bound parameters). Read from the client's links (its index on client_id), each
    dossier's firm checked by its primary key: `firm_id + 0` keeps SQLite's planner
    (no statistics) from walking every dossier of the firm instead."""
    return (
        core_select(col(DossierClient.dossier_id))
        .join(Dossier, col(Dossier.id) == DossierClient.dossier_id)
        .where(col(DossierClient.client_id) == bindparam("client_id"),
               (col(Dossier.firm_id) + 0) == bindparam("firm_id"))
    )


def _scope(client: Any) -> dict[str, Any]:
    return {"client_id": client.id, "firm_id": client.firm_id}


def _choices_stmt() -> Any:
    return (core_select(col(Dossier.id), col(Dossier.reference), col(Dossier.label))
            .where(col(Dossier.id).in_(_scope_ids())).order_by(col(Dossier.reference), col(Dossier.id)))


def _choices(s: Connection, client: Any) -> list[DossierChoice]:
    rows = s.execute(keyset.built(("choices",), (), _choices_stmt), _scope(client)).all()
    return [{"id": str(r.id), "title": dossier_title(r)} for r in rows]


def dossier_choices_of(s: Session, client: Client) -> list[DossierChoice]:
    """The client's dossiers by reference, for choosing where to deposit or write."""
    return _choices(s.connection(), client)


def _counts_stmt(kinds: list[registry.ItemKind]) -> Any:
    ids = _scope_ids()
    parts: list[Any] = [
        core_select(literal(k.key).label("k"), func.count().label("n"))
        .select_from(k.model)
        .where(col(k.model.shared_at).is_not(None), col(k.model.dossier_id).in_(ids))
        for k in kinds
    ]
    parts.append(core_select(literal(DOSSIERS).label("k"), func.count().label("n")).select_from(ids.subquery()))
    return union_all(*parts)


def home(user: User) -> Home:
    """Name, per-category counts (one grouped query) and the dossier choice of the
    deposit zone (ids and titles only)."""
    with read_scope() as s:
        client = _client_key(s, user)
        kinds = registry.kinds()
        stmt = keyset.built(("home",), tuple(kinds), lambda: _counts_stmt(kinds))
        counts: dict[str, int] = {k: n for k, n in s.execute(stmt, _scope(client)).all()}
        return Home(
            name=full_name(user),
            tiles=[Tile(c.key, c.label, counts[c.key]) for c in categories() if counts.get(c.key, 0) > 0],
            dossiers=_choices(s, client),
        )


# --------------------------------------------------------------------------- rows
def _columns(model: Any) -> list[Any]:
    return list(model.__table__.c)


def _row(kind: registry.ItemKind, r: Any, payments: bool, with_dossier: bool) -> ItemRow:
    """What a list or a tab shows of one item (a plain row with the table's columns,
    and `dossier_label` in a list)."""
    view = kind.view(r)
    return ItemRow(id=str(r.id), date=view.date, name=view.name, detail=view.detail, url=view.url,
                   dossier=r.dossier_label if with_dossier else "",
                   dossier_id=str(r.dossier_id) if with_dossier else "",
                   pay=view.pay if payments else "", agenda=view.agenda)


def _exists(s: Connection, stmt: Any, params: dict[str, Any]) -> bool:
    return s.execute(stmt, params).first() is not None


def _kind_page(s: Connection, kind: registry.ItemKind, size: int, want: keyset.Want, params: dict[str, Any],
               where: Callable[[], tuple[Any, ...]], owners: tuple[object, ...], tag: tuple[Any, ...],
               payments: bool, with_dossier: bool) -> tuple[list[ItemRow], str, str]:
    """One page of a kind's shared items matching `where()` (bound parameters in
    `params`). In a list (several dossiers) the page's ids are read from the index
    first (a bounded top-N), then only those rows are read and joined to their dossier."""
    if kind.upcoming_first:
        return _agenda_page(s, kind, size, want, params, where, owners, tag, payments, with_dossier)
    model = kind.model
    order, ident = kind.order, col(model.id)

    def build_page() -> Any:
        if not with_dossier:
            return keyset.bounded(core_select(*_columns(model)).where(*where()), order, ident, bound.mode, size)
        ids = keyset.bounded(core_select(ident).where(*where()), order, ident, bound.mode, size).subquery()
        return (core_select(*_columns(model), col(Dossier.label).label("dossier_label"))
                .join(ids, ident == ids.c.id).join(Dossier, col(Dossier.id) == model.dossier_id))

    def build_beyond(newer: bool) -> Any:
        return core_select(ident).where(*where(), keyset.beyond(order, ident, newer)).limit(1)

    bound = keyset.ranged(want, order)
    stmt = keyset.built(("page", *tag, bound.mode, size), owners, build_page)
    found = list(s.execute(stmt, {**params, "cursor_value": bound.value, "cursor_id": bound.id}).all())
    if with_dossier:  # the outer join keeps no order: the page's few rows are sorted here
        found.sort(key=lambda r: (getattr(r, kind.order_col), r.id), reverse=bound.mode != "apres")

    def more_beyond(newer: bool, bound: tuple[Any, int]) -> bool:
        check = keyset.built(("beyond", *tag, newer), owners, lambda: build_beyond(newer))
        return _exists(s, check, {**params, "bound_value": bound[0], "bound_id": bound[1]})

    rows, newer, older = keyset.paged(found, want, size, lambda r: (getattr(r, kind.order_col), r.id), more_beyond)
    return [_row(kind, r, payments, with_dossier) for r in rows], newer, older


def now() -> datetime:
    """What splits an agenda into upcoming and past items (a function: tests move it)."""
    return datetime.now(UTC)


def _agenda_page(s: Connection, kind: registry.ItemKind, size: int, want: keyset.Want, params: dict[str, Any],
                 where: Callable[[], tuple[Any, ...]], owners: tuple[object, ...], tag: tuple[Any, ...],
                 payments: bool, with_dossier: bool) -> tuple[list[ItemRow], str, str]:
    """One page of a kind read as an agenda (`upcoming_first`): the upcoming items, soonest
    first, then the past ones, most recent first. The display order is two keyset runs
    split at the edge (now, 0): above it, (date, id) ascending; below it, descending.
    Each run is read from the display-order index (a bounded range, either direction);
    a page that reaches the end of one run goes on with the other. A cursor is a
    position as elsewhere (its side of the edge is read again at each page)."""
    model = kind.model
    order, ident = kind.order, col(model.id)
    split = now()
    edge = (split, 0)
    start, end = (keyset.ENDS[datetime][0], 0), (keyset.ENDS[datetime][1], MAX_ID)

    def key(r: Any) -> tuple[Any, int]:
        return getattr(r, kind.order_col), r.id

    def build(mode: str, upcoming: bool) -> Any:
        cond = keyset.edge(order, ident, above=upcoming)
        if not with_dossier:
            return keyset.bounded(core_select(*_columns(model)).where(*where(), cond), order, ident, mode, size)
        ids = keyset.bounded(core_select(ident).where(*where(), cond), order, ident, mode, size).subquery()
        return (core_select(*_columns(model), col(Dossier.label).label("dossier_label"))
                .join(ids, ident == ids.c.id).join(Dossier, col(Dossier.id) == model.dossier_id))

    def read(mode: str, upcoming: bool, at: tuple[Any, int]) -> list[Any]:
        """Up to size + 1 items of one run from `at` (excluded): `apres` ascending, `avant` descending."""
        stmt = keyset.built(("agenda", *tag, mode, upcoming, size), owners, lambda: build(mode, upcoming))
        found = list(s.execute(stmt, {**params, "cursor_value": at[0], "cursor_id": at[1],
                                      "edge_value": split, "edge_id": 0}).all())
        found.sort(key=key, reverse=mode == "avant")
        return found

    def is_upcoming(at: tuple[Any, int]) -> bool:
        return at > edge

    def forward(at: tuple[Any, int] | None) -> list[Any]:
        """The items after `at` in display order (None: from the top), nearest first."""
        if at is None or is_upcoming(at):
            found = read("apres", True, at or edge)
            return found if len(found) > size else found + read("avant", False, edge)[: size + 1 - len(found)]
        return read("avant", False, at)

    def backward(at: tuple[Any, int] | None) -> list[Any]:
        """The items before `at` in display order (None: from the bottom), nearest first."""
        if at is None or not is_upcoming(at):
            found = read("apres", False, at or start)
            return found if len(found) > size else found + read("avant", True, end)[: size + 1 - len(found)]
        return read("avant", True, at)

    at = None if want.mode in ("first", "fin") else (want.value, want.id)
    found = forward(at) if want.mode in ("first", "avant") else backward(at)
    extra = len(found) > size
    rows = found[:size]
    if want.mode in ("apres", "fin"):
        rows.reverse()
    if not rows:
        return [], "", ""
    if want.mode == "first":
        newer, older = False, extra
    elif want.mode == "fin":
        newer, older = extra, False
    elif want.mode == "avant":
        newer, older = bool(backward(key(rows[0]))), extra
    else:
        newer, older = extra, bool(forward(key(rows[-1])))
    return ([_row(kind, r, payments, with_dossier) for r in rows],
            keyset.make_cursor(*key(rows[0])) if newer else "", keyset.make_cursor(*key(rows[-1])) if older else "")


# --------------------------------------------------------------------------- category lists
def _dossiers_page(s: Connection, size: int, want: keyset.Want, params: dict[str, Any]) -> tuple[list[ItemRow], str, str]:
    ref, ident = col(Dossier.reference), col(Dossier.id)

    def where() -> Any:
        return ident.in_(_scope_ids())

    def build_page() -> Any:
        ids = keyset.bounded(core_select(ident, ref).where(where()), ref, ident, want.mode, size).subquery()
        return (core_select(ident, ref, col(Dossier.label), col(_Interlocutor.nom).label("i_nom"),
                            col(_Interlocutor.prenom).label("i_prenom"))
                .join(ids, ident == ids.c.id)
                .outerjoin(_Interlocutor, col(_Interlocutor.id) == Dossier.interlocutor_id))

    stmt = keyset.built(("dossiers", want.mode, size), (), build_page)
    found = list(s.execute(stmt, {**params, "cursor_value": want.value, "cursor_id": want.id}).all())
    found.sort(key=lambda r: (r.reference, r.id), reverse=want.mode not in ("apres", "fin"))

    def more_beyond(newer: bool, bound: tuple[Any, int]) -> bool:
        check = keyset.built(("dossiers-beyond", newer), (),
                       lambda: core_select(ident).where(where(), keyset.beyond(ref, ident, newer)).limit(1))
        return _exists(s, check, {**params, "bound_value": bound[0], "bound_id": bound[1]})

    rows, newer, older = keyset.paged(found, want, size, lambda r: (r.reference, r.id), more_beyond)
    return [ItemRow(id=str(d.id), name=d.label, detail=_dossier_detail(d), dossier_id=str(d.id)) for d in rows], newer, older


def _dossier_detail(d: Any) -> str:
    """« 2024/0001 · Interlocuteur : DURAND Paul » (the reference alone without one)."""
    who = f"{d.i_nom} {d.i_prenom or ''}".strip() if d.i_nom is not None else ""
    return f"{d.reference} · Interlocuteur : {who}" if who else d.reference


def _list_where(kind: registry.ItemKind, filtered: bool = False) -> tuple[Any, ...]:
    """A list's rows: shared, in the client's dossiers; `filtered`: in the one dossier
    `filter_dossier` too (bound parameter; checked against the client's dossiers first)."""
    model = kind.model
    scoped = (col(model.shared_at).is_not(None), col(model.dossier_id).in_(_scope_ids()))
    return (*scoped, col(model.dossier_id) == bindparam("filter_dossier", type_=BigInteger)) if filtered else scoped


def list_category(user: User, key: str, avant: object = None, apres: object = None, fin: object = None,
                  dossier: object = None) -> CategoryPage:
    """One category, all the client's dossiers mixed (or the one dossier `dossier` of the
    client: any other id, malformed or not theirs, is no filter), newest first, one page:
    the newest page, the page older than `avant` or newer than `apres` (cursors of an
    earlier page), or the oldest page (`fin`). A malformed cursor gives the newest page."""
    cat = next((c for c in categories() if c.key == key), None)
    if cat is None:
        raise AccessDenied()
    size = settings.page_size
    with read_scope() as s:
        client = _client_key(s, user)
        params = _scope(client)
        kind = cat.kind
        if kind is None:
            total_stmt = keyset.built(("dossiers-total",), (),
                                lambda: core_select(func.count()).select_from(_scope_ids().subquery()))
            want = keyset.want(str, avant, apres, fin)
            rows, newer, older = _dossiers_page(s, size, want, params)
            choices: list[DossierChoice] = []
            chosen = ""
        else:
            choices = _choices(s, client)
            wanted = parse_id(dossier)
            chosen = str(wanted) if wanted is not None and any(c["id"] == str(wanted) for c in choices) else ""
            if chosen:
                params = {**params, "filter_dossier": wanted}
            tag = ("list-dossier" if chosen else "list", kind.key)
            total_stmt = keyset.built(("total", *tag), (kind,), lambda: core_select(func.count())
                                      .select_from(kind.model).where(*_list_where(kind, bool(chosen))))
            want = keyset.want(keyset.python_type(kind.order), avant, apres, fin)
            pays = kind.payable and accepts_online_payments(client)
            rows, newer, older = _kind_page(s, kind, size, want, params, lambda: _list_where(kind, bool(chosen)),
                                            (kind,), tag, pays, True)
        total = int(s.execute(total_stmt, params).scalar_one())
    if not rows and want.mode != "first":  # a cursor past either end: the newest page
        return list_category(user, key, dossier=chosen or None)
    return CategoryPage(label=cat.label, rows=rows, total=total, newer=newer, older=older, dossier=chosen,
                        choices=choices)


# --------------------------------------------------------------------------- a dossier and its tabs
_Interlocutor = aliased(User)
_DOSSIER_VIEW_COLUMNS: Any = (
    core_select(col(Dossier.id), col(Dossier.label), col(Dossier.reference), col(Dossier.firm_id),
                col(_Interlocutor.nom).label("i_nom"), col(_Interlocutor.prenom).label("i_prenom"),
                col(Firm.payments_enabled), col(Firm.stripe_publishable_key), col(Firm.stripe_secret_key_enc),
                col(Firm.stripe_webhook_secret_enc))
    .select_from(Dossier)
    .outerjoin(_Interlocutor, col(_Interlocutor.id) == Dossier.interlocutor_id)
    .join(Firm, col(Firm.id) == Dossier.firm_id)
)
# The dossier page's header, authorised as client_dossier (one query, with the
# interlocutor's name and the firm's payment settings).
_DOSSIER_VIEW: Any = _linked_to_client(_DOSSIER_VIEW_COLUMNS)


def _tabs() -> list[tuple[registry.ItemKind, registry.Tab]]:
    return [(kind, tab) for kind in registry.kinds() for tab in kind.tabs]


def _tab_where(kind: registry.ItemKind, tab: registry.Tab) -> tuple[Any, ...]:
    model = kind.model
    return (col(model.dossier_id) == bindparam("dossier_id"), col(model.shared_at).is_not(None), *tab.where)


def _tab_counts_stmt(tabs: list[tuple[registry.ItemKind, registry.Tab]]) -> Any:
    return union_all(*[
        core_select(literal(tab.key).label("k"), func.count().label("n")).select_from(kind.model)
        .where(*_tab_where(kind, tab))
        for kind, tab in tabs
    ])


def _tab_page(s: Connection, kind: registry.ItemKind, tab: registry.Tab, dossier_id: int, payments: bool,
              avant: object = None, apres: object = None) -> TabPage:
    want = keyset.want(keyset.python_type(kind.order), avant, apres, None)
    params = {"dossier_id": dossier_id}
    rows, newer, older = _kind_page(s, kind, settings.page_size, want, params, lambda: _tab_where(kind, tab),
                                    (kind, tab), ("tab", tab.key), payments and kind.payable, False)
    if not rows and want.mode != "first":  # a cursor past either end: the tab's first page
        return _tab_page(s, kind, tab, dossier_id, payments)
    return TabPage(key=tab.key, rows=rows, newer=newer, older=older)


def _registered_tab(key: object) -> tuple[registry.ItemKind, registry.Tab] | None:
    return next(((k, t) for k, t in _tabs() if t.key == key), None) if isinstance(key, str) else None


def dossier(user: User, dossier_id: object, tab: object = None) -> ClientDossier:
    """A dossier of the client: its non-empty tabs with their counts (one grouped
    query) and the first page of one tab: `tab` when it is one of them, else the first."""
    with read_scope() as s:
        d = s.execute(_DOSSIER_VIEW, _client_dossier_params(user, dossier_id)).first()
        if d is None:
            raise AccessDenied()
        tabs = _tabs()
        stmt = keyset.built(("tab-counts",), tuple(t for _, t in tabs), lambda: _tab_counts_stmt(tabs))
        counts: dict[str, int] = {k: n for k, n in s.execute(stmt, {"dossier_id": d.id}).all()}
        shown = [(kind, t) for kind, t in tabs if counts.get(t.key, 0) > 0]
        active = next(((k, t) for k, t in shown if t.key == tab), shown[0] if shown else None)
        page = (_tab_page(s, active[0], active[1], d.id, accepts_online_payments(d)) if active
                else TabPage(key="", rows=[]))
        return ClientDossier(
            id=str(d.id),
            label=d.label,
            reference=d.reference,
            title=dossier_title(d),
            interlocutor=f"{d.i_nom} {d.i_prenom}".strip() if d.i_nom is not None else "",
            tabs=[TabCount(t.key, t.label, counts[t.key]) for _, t in shown],
            page=page,
        )


def dossier_tab(user: User | None, dossier_id: object, key: object, avant: object = None,
                apres: object = None) -> TabPage:
    """One page of one tab of a dossier of the client (the first, or older than `avant`,
    or newer than `apres`). The dossier is authorised again (the client may have lost
    it since the page was loaded); a tab key that is not registered is refused."""
    found = _registered_tab(key)
    if found is None:
        raise AccessDenied()
    with read_scope() as s:
        d = s.execute(_DOSSIER_VIEW, _client_dossier_params(user, dossier_id)).first()
        if d is None:
            raise AccessDenied()
        return _tab_page(s, found[0], found[1], d.id, accepts_online_payments(d), avant, apres)


def document_for_download(user: User | None, document_id: object) -> Document:
    """The document if this user may read it: a client of its dossier (shared only),
    or a lawyer/staff member of the dossier's firm. Raises AccessDenied otherwise."""
    number = parse_id(document_id)
    if user is None or not user.active or number is None:
        raise AccessDenied()
    with session_scope() as s:
        # (compared as a BIGINT: any id parse_id accepts is "not found", also on PostgreSQL)
        doc = s.exec(select(Document).where(col(Document.id) == literal(number, BigInteger))).first()
        if doc is None:
            raise AccessDenied()
        d = s.get(Dossier, doc.dossier_id)
        if d is None or d.firm_id != user.firm_id:
            raise AccessDenied()
        if user.role == Role.client:
            client = client_of(s, user)
            linked = s.exec(
                select(DossierClient).where(DossierClient.dossier_id == d.id, DossierClient.client_id == client.id)
            ).first()
            if linked is None or doc.shared_at is None:
                raise AccessDenied()
        return doc
