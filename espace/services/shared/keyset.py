"""Keyset pages: a page is bounded by the (order value, id) of an item, never by an
offset, so the database reads it from an index in display order however far it is.

A cursor is that pair written as an opaque, URL-safe string, read strictly (anything
malformed is no cursor: the first page). It names a position, not an item: whoever
reads a page, their own scope applies whatever the cursor says."""
from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, bindparam, tuple_

from espace.domain.ids import MAX_ID, parse_id

_DAY = re.compile(r"([0-9]{8})\.([0-9]{1,19})")  # 20240108.1234
_MOMENT = re.compile(r"([0-9]{8})T([0-9]{6})([0-9]{6})?\.([0-9]{1,19})")  # 20240108T093000.1234 (UTC)
_TEXT = re.compile(r"([A-Za-z0-9_-]{0,700})\.([0-9]{1,19})")  # base64url(reference).1234
_CURSOR_MAX = 800
# Positions before the oldest and after the newest item of a date / datetime column.
ENDS: dict[type, tuple[Any, Any]] = {
    date: (date(1, 1, 1), date(9999, 12, 31)),
    datetime: (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC)),
}


def make_cursor(value: object, item_id: int) -> str:
    """The cursor of an item placed at (value, item_id) in its list's order."""
    if isinstance(value, datetime):
        at = value.astimezone(UTC) if value.tzinfo else value
        text = at.strftime("%Y%m%dT%H%M%S") + (f"{at.microsecond:06d}" if at.microsecond else "")
    elif isinstance(value, date):
        text = value.strftime("%Y%m%d")
    else:
        text = base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")
    return f"{text}.{item_id}"


def read_cursor(raw: object, kind: type) -> tuple[Any, int] | None:
    """(value, id) from a cursor whose value is of Python type `kind` (date, datetime,
    str); None for anything else (not a string, too long, wrong shape, 31/02...)."""
    if not isinstance(raw, str) or len(raw) > _CURSOR_MAX:
        return None
    try:
        value: Any
        if kind is datetime:
            m = _MOMENT.fullmatch(raw)
            if m is None:
                return None
            value = datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S").replace(
                microsecond=int(m.group(3) or 0), tzinfo=UTC)
            number = parse_id(m.group(4))
        elif kind is date:
            m = _DAY.fullmatch(raw)
            if m is None:
                return None
            value = datetime.strptime(m.group(1), "%Y%m%d").date()
            number = parse_id(m.group(2))
        else:
            m = _TEXT.fullmatch(raw)
            if m is None:
                return None
            value = base64.urlsafe_b64decode(m.group(1) + "=" * (-len(m.group(1)) % 4)).decode()
            number = parse_id(m.group(2))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return None if number is None else (value, number)


@dataclass(frozen=True, slots=True)
class Want:
    """Which page: the newest (no cursor), older / newer than a cursor, or the oldest."""

    mode: str  # "first", "avant", "apres", "fin"
    value: Any = None
    id: int = 0


def want(kind: type, avant: object, apres: object, fin: object) -> Want:
    if fin is True or fin == "1":
        return Want("fin")
    for mode, raw in (("avant", avant), ("apres", apres)):
        if raw is not None:
            cursor = read_cursor(raw, kind)
            return Want("first") if cursor is None else Want(mode, *cursor)
    return Want("first")


def python_type(column: Any) -> type:
    """date, datetime or str: what a cursor of this order column holds."""
    sql_type = column.type
    sql_type = getattr(sql_type, "impl", sql_type)  # a TypeDecorator (UTCDateTime): its implementation
    try:
        kind = sql_type.python_type
    except NotImplementedError:  # pragma: no cover - every order column has one
        return str
    return kind if kind in (date, datetime) else str


def ranged(want: Want, order: Any) -> Want:
    """The page to read in SQL: the newest (oldest) page of a date column is read as the
    page older (newer) than a position past every item. One statement shape per
    direction, and a range on the index's date column, which is what makes SQLite's
    planner (no statistics) take the display-order index."""
    ends = ENDS.get(python_type(order))
    if ends is not None and want.mode == "first":
        return Want("avant", ends[1], MAX_ID)
    if ends is not None and want.mode == "fin":
        return Want("apres", ends[0], 0)
    return want


# Statements are built once per shape (building one costs more CPU than SQLite takes
# to answer it) and kept with the registry objects they were built from.
_STATEMENTS: dict[tuple[Any, ...], tuple[tuple[object, ...], Any]] = {}


def built(key: tuple[Any, ...], owners: tuple[object, ...], build: Callable[[], Any]) -> Any:
    hit = _STATEMENTS.get(key)
    if hit is not None and len(hit[0]) == len(owners) and all(a is b for a, b in zip(hit[0], owners, strict=True)):
        return hit[1]
    stmt = build()
    _STATEMENTS[key] = (owners, stmt)
    return stmt


def bounded(stmt: Any, order: Any, ident: Any, mode: str, size: int) -> Any:
    """`stmt` limited to one page (size + 1 rows: the extra one says there are more).
    The cursor's id is bound as a BIGINT: any id parse_id accepts, even past an
    INTEGER column's range on PostgreSQL, is a position (no "integer out of range")."""
    key = tuple_(order, ident)
    cursor = tuple_(bindparam("cursor_value", type_=order.type), bindparam("cursor_id", type_=BigInteger))
    if mode == "avant":
        stmt = stmt.where(key < cursor)
    elif mode == "apres":
        stmt = stmt.where(key > cursor)
    ascending = mode in ("apres", "fin")
    return stmt.order_by(order.asc() if ascending else order.desc(),
                         ident.asc() if ascending else ident.desc()).limit(size + 1)


def beyond(order: Any, ident: Any, newer: bool) -> Any:
    """The condition "an item newer (older) than the bound (bound_value, bound_id)"."""
    bound = tuple_(bindparam("bound_value", type_=order.type), bindparam("bound_id", type_=BigInteger))
    return tuple_(order, ident) > bound if newer else tuple_(order, ident) < bound


def edge(order: Any, ident: Any, above: bool) -> Any:
    """The condition "an item after (before) the edge (edge_value, edge_id)": the split
    of a list read in two runs (an agenda: upcoming items, then past ones)."""
    bound = tuple_(bindparam("edge_value", type_=order.type), bindparam("edge_id", type_=BigInteger))
    return tuple_(order, ident) > bound if above else tuple_(order, ident) < bound


def paged(rows: list[Any], want: Want, size: int, key: Callable[[Any], tuple[Any, int]],
          more_beyond: Callable[[bool, tuple[Any, int]], bool]) -> tuple[list[Any], str, str]:
    """(rows newest first, newer cursor, older cursor) of what `bounded` read.
    `more_beyond(newer, key)`: whether items exist newer (older) than `key`, asked only
    when the page read cannot tell."""
    extra = len(rows) > size
    rows = rows[:size]
    if want.mode in ("apres", "fin"):
        rows.reverse()
    if not rows:
        return rows, "", ""
    first, last = key(rows[0]), key(rows[-1])
    if want.mode == "first":
        newer, older = False, extra
    elif want.mode == "fin":
        newer, older = extra, False
    elif want.mode == "avant":
        newer, older = more_beyond(True, first), extra
    else:
        newer, older = extra, more_beyond(False, last)
    return rows, make_cursor(*first) if newer else "", make_cursor(*last) if older else ""
