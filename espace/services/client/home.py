"""The client's home: per-category counts (the tiles), the dossiers a deposit can go
to, and what is new and what is next (news.py), read in one database session."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col, func

from espace.db import read_scope
from espace.domain import items as registry
from espace.domain.names import dossier_title, full_name
from espace.models import Dossier, User
from espace.services.client import access, news
from espace.services.client.views import DOSSIERS, DossierChoice, Home, Tile, categories
from espace.services.shared import keyset


@dataclass(frozen=True, slots=True)
class HomePage:
    home: Home
    news: news.News


def _choices_stmt() -> Any:
    return (core_select(col(Dossier.id), col(Dossier.reference), col(Dossier.label))
            .where(col(Dossier.id).in_(access.dossier_ids())).order_by(col(Dossier.reference), col(Dossier.id)))


def choices(conn: Connection, key: Any) -> list[DossierChoice]:
    """The client's dossiers by reference (ids and titles), for choosing where to
    deposit or write; `key`: the acting client (access.client_key)."""
    rows = conn.execute(keyset.built(("choices",), (), _choices_stmt), access.scope(key)).all()
    return [{"id": str(r.id), "title": dossier_title(r)} for r in rows]


def _counts_stmt(kinds: list[registry.ItemKind]) -> Any:
    ids = access.dossier_ids()
    parts: list[Any] = [
        core_select(literal(k.key).label("k"), func.count().label("n"))
        .select_from(k.model)
        .where(col(k.model.shared_at).is_not(None), col(k.model.dossier_id).in_(ids))
        for k in kinds
    ]
    parts.append(core_select(literal(DOSSIERS).label("k"), func.count().label("n")).select_from(ids.subquery()))
    return union_all(*parts)


def _home(conn: Connection, user: User, key: Any) -> Home:
    kinds = registry.kinds()
    stmt = keyset.built(("home",), tuple(kinds), lambda: _counts_stmt(kinds))
    counts: dict[str, int] = {k: n for k, n in conn.execute(stmt, access.scope(key)).all()}
    return Home(
        name=full_name(user),
        tiles=[Tile(c.key, c.label, counts[c.key]) for c in categories() if counts.get(c.key, 0) > 0],
        dossiers=choices(conn, key),
    )


def home(user: User) -> Home:
    """Name, per-category counts (one grouped query) and the dossier choice of the
    deposit zone (ids and titles only)."""
    with read_scope() as conn:
        return _home(conn, user, access.client_key(conn, user))


def home_page(user: User) -> HomePage:
    """Everything the home page shows, in one database session."""
    with read_scope() as conn:
        key = access.client_key(conn, user)
        return HomePage(_home(conn, user, key), news.news_of(conn, key))
