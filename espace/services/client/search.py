"""The client's search (/recherche?q=): their dossiers and shared items whose words
contain what they typed, server-side.

Scoped as the lists are (access.py: the client's dossiers in their firm, shared items
only). The text is matched with LIKE, case-insensitive, its `%`, `_` and `\\` escaped
(a search for « 100% » finds « 100% », not everything); at most `LIMIT` results per
kind, newest first. What each kind is searched on is its registry entry's `search`
columns (names, labels, invoice numbers, RDV subjects and places...); an item whose
dossier's label or reference matches is found too."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, or_
from sqlalchemy import select as core_select
from sqlmodel import col

from espace.db import read_scope
from espace.domain import items as registry
from espace.domain.online_payment import accepts_online_payments
from espace.models import Dossier, User
from espace.services.client import access, paging
from espace.services.client.views import DOSSIERS, ItemRow
from espace.services.shared import keyset

MIN_LENGTH = 2
MAX_LENGTH = 100
LIMIT = 20  # results per kind


@dataclass(frozen=True, slots=True)
class Group:
    """The results of one category: at most LIMIT rows; `more`: there were more."""

    key: str
    label: str
    rows: list[ItemRow]
    more: bool = False


@dataclass(frozen=True, slots=True)
class Results:
    query: str  # what was searched, cleaned ("" when too short: nothing searched)
    groups: list[Group]
    total: int = 0  # rows shown
    too_short: bool = False


def clean(raw: object) -> str:
    """The query: one line of printable text, spaces collapsed, at most MAX_LENGTH characters."""
    text = raw if isinstance(raw, str) else ""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())[:MAX_LENGTH]


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards and the escape character itself escaped (ESCAPE '\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matches(column: Any) -> Any:
    return col(column).ilike(bindparam("pattern"), escape="\\")


def _dossier_matches() -> Any:
    return or_(_matches(Dossier.label), _matches(Dossier.reference))


def _dossiers_stmt() -> Any:
    return (core_select(col(Dossier.id), col(Dossier.reference), col(Dossier.label))
            .where(col(Dossier.id).in_(access.dossier_ids()), _dossier_matches())
            .order_by(col(Dossier.reference), col(Dossier.id)).limit(LIMIT + 1))


def _kind_stmt(kind: registry.ItemKind) -> Any:
    """A kind's matching shared items (their columns and their dossier's label), newest
    first: its own words, or its dossier's label or reference."""
    model = kind.model
    own = [_matches(getattr(model, name)) for name in kind.search]
    return (core_select(*paging.columns(model), col(Dossier.label).label("dossier_label"))
            .join(Dossier, col(Dossier.id) == model.dossier_id)
            .where(col(model.shared_at).is_not(None), col(model.dossier_id).in_(access.dossier_ids()),
                   or_(*own, _dossier_matches()))
            .order_by(kind.order.desc(), col(model.id).desc()).limit(LIMIT + 1))


def search(user: User, raw: object) -> Results:
    """The client's dossiers and shared items matching `raw` (see the module's doc);
    AccessDenied for anyone but an active client. Fewer than MIN_LENGTH characters:
    nothing is searched."""
    query = clean(raw)
    with read_scope() as s:
        client = access.client_key(s, user)
        if len(query) < MIN_LENGTH:
            return Results(query=query, groups=[], too_short=bool(query))
        params = {**access.scope(client), "pattern": like_pattern(query)}
        groups: list[Group] = []
        found = list(s.execute(keyset.built(("search-dossiers",), (), _dossiers_stmt), params).all())
        if found:
            rows = [ItemRow(id=str(d.id), name=d.label, detail=d.reference, dossier_id=str(d.id))
                    for d in found[:LIMIT]]
            groups.append(Group(DOSSIERS, "Dossiers", rows, len(found) > LIMIT))
        payments = accepts_online_payments(client)
        for kind in registry.kinds():
            if not kind.search:
                continue
            stmt = keyset.built(("search", kind.key), (kind,), functools.partial(_kind_stmt, kind))
            found = list(s.execute(stmt, params).all())
            if found:
                rows = [paging.row(kind, r, kind.payable and payments, True) for r in found[:LIMIT]]
                groups.append(Group(kind.key, kind.label, rows, len(found) > LIMIT))
        return Results(query=query, groups=groups, total=sum(len(g.rows) for g in groups))
