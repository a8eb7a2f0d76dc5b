"""The client's home: per-category counts (the tiles), the dossiers a deposit can go
to, and what is new and what is next (news.py), read in one database session."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from espace.db import read_scope
from espace.domain.names import dossier_title, full_name
from espace.models import Dossier, User
from espace.services.client import access, news
from espace.services.client.views import DossierChoice, Home, Tile, categories
from espace.services.shared import counters, keyset


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


def _home(conn: Connection, user: User, key: Any, counted: counters.Counts) -> Home:
    """The tiles: each kind's shared items in the client's dossiers, and the dossiers
    (DOSSIERS), from their maintained counts (services/shared/counters.py)."""
    counts = counted.shared
    return Home(
        name=full_name(user),
        tiles=[Tile(c.key, c.label, counts[c.key]) for c in categories() if counts.get(c.key, 0) > 0],
        dossiers=choices(conn, key),
    )


def home(user: User) -> Home:
    """Name, per-category counts (the client's counts, one indexed read) and the
    dossier choice of the deposit zone (ids and titles only)."""
    with read_scope() as conn:
        key = access.client_key(conn, user)
        return _home(conn, user, key, counters.read(conn, key.id))


def home_page(user: User) -> HomePage:
    """Everything the home page shows, in one database session; the client's counts
    read once, for the tiles, the « N nouveaux » badges and the unread answers."""
    with read_scope() as conn:
        key = access.client_key(conn, user)
        counted = counters.read(conn, key.id)
        return HomePage(_home(conn, user, key, counted), news.news_of(conn, key, counted))
