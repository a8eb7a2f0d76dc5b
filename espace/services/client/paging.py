"""One keyset page of a kind's shared items, for a list (several dossiers, each row
with its dossier's label) or a dossier tab: the newest first, or, for an agenda kind
(`upcoming_first`), the upcoming items soonest first then the past ones. What a row
shows comes from the item-kind registry (domain/items.py)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from espace.domain import items as registry
from espace.domain.ids import MAX_ID
from espace.models import Dossier
from espace.services.client.views import ItemRow
from espace.services.shared import keyset


def columns(model: Any) -> list[Any]:
    return list(model.__table__.c)


def row(kind: registry.ItemKind, r: Any, payments: bool, with_dossier: bool) -> ItemRow:
    """What a list or a tab shows of one item (a plain row with the table's columns,
    and `dossier_label` in a list)."""
    view = kind.view(r)
    return ItemRow(id=str(r.id), date=view.date, name=view.name, detail=view.detail, url=view.url,
                   dossier=r.dossier_label if with_dossier else "",
                   dossier_id=str(r.dossier_id) if with_dossier else "",
                   pay=view.pay if payments else "", agenda=view.agenda)


def exists(s: Connection, stmt: Any, params: dict[str, Any]) -> bool:
    return s.execute(stmt, params).first() is not None


def kind_page(s: Connection, kind: registry.ItemKind, size: int, want: keyset.Want, params: dict[str, Any],
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
            return keyset.bounded(core_select(*columns(model)).where(*where()), order, ident, bound.mode, size)
        ids = keyset.bounded(core_select(ident).where(*where()), order, ident, bound.mode, size).subquery()
        return (core_select(*columns(model), col(Dossier.label).label("dossier_label"))
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
        return exists(s, check, {**params, "bound_value": bound[0], "bound_id": bound[1]})

    rows, newer, older = keyset.paged(found, want, size, lambda r: (getattr(r, kind.order_col), r.id), more_beyond)
    return [row(kind, r, payments, with_dossier) for r in rows], newer, older


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
    position as elsewhere (its side of the edge is read again at each page).
    (Over 60 lines: its nested readers share the statement cache key, the edge and the
    page size; split apart, each would take all of them as arguments.)"""
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
            return keyset.bounded(core_select(*columns(model)).where(*where(), cond), order, ident, mode, size)
        ids = keyset.bounded(core_select(ident).where(*where(), cond), order, ident, mode, size).subquery()
        return (core_select(*columns(model), col(Dossier.label).label("dossier_label"))
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
    return ([row(kind, r, payments, with_dossier) for r in rows],
            keyset.make_cursor(*key(rows[0])) if newer else "", keyset.make_cursor(*key(rows[-1])) if older else "")
