"""The client's new items by kind (the « N nouveaux » badges of the home's tiles): each
kind's shared items in their dossiers minus what they saw of them and their own deposits,
read from their ItemSeen rows rather than by probing every shared item (news.py)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, literal, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col, func

from espace.domain import items as registry
from espace.models import Direction, Document, ItemSeen
from espace.services.client import access
from espace.services.shared import keyset

_DEPOSITS = "_deposits"


def _shared_counts_stmt(kinds: list[registry.ItemKind]) -> Any:
    """Each kind's shared items in the client's dossiers (the home's tiles count the same)."""
    return union_all(*[
        core_select(literal(k.key).label("k"), func.count().label("n")).select_from(k.model)
        .where(col(k.model.shared_at).is_not(None), col(k.model.dossier_id).in_(access.dossier_ids()))
        for k in kinds
    ])


def _seen_counts_stmt(kinds: list[registry.ItemKind]) -> Any:
    """Per kind, what the client saw of those items (driven by their ItemSeen rows, so as
    many as they opened), and their own deposits (never news): the new items are the
    shared ones minus these, without probing every shared item."""
    parts: list[Any] = []
    for k in kinds:
        model = k.model
        conditions: list[Any] = [col(ItemSeen.user_id) == bindparam("uid"), col(ItemSeen.kind) == k.key,
                                 col(model.shared_at).is_not(None), col(model.dossier_id).in_(access.dossier_ids())]
        if model is Document:
            conditions.append(col(Document.direction) == Direction.recu)
        parts.append(core_select(literal(k.key).label("k"), func.count().label("n")).select_from(ItemSeen)
                     .join(model, col(model.id) == ItemSeen.item_id).where(*conditions))
    parts.append(core_select(literal(_DEPOSITS).label("k"), func.count().label("n")).select_from(Document)
                 .where(col(Document.shared_at).is_not(None), col(Document.dossier_id).in_(access.dossier_ids()),
                        col(Document.direction) == Direction.depose))
    return union_all(*parts)


def new_counts(conn: Connection, key: Any, shared: dict[str, int] | None = None) -> dict[str, int]:
    """The client's new items by kind key (kinds with some only). `shared`: each kind's
    shared items in their dossiers when the caller counted them already (the home's tiles)."""
    kinds = registry.kinds()
    params = {"uid": key.user_id, **access.scope(key)}
    if shared is None:
        stmt = keyset.built(("news-shared",), tuple(kinds), lambda: _shared_counts_stmt(kinds))
        shared = {k: n for k, n in conn.execute(stmt, params).all()}
    stmt = keyset.built(("news-seen-counts",), tuple(kinds), lambda: _seen_counts_stmt(kinds))
    seen: dict[str, int] = {k: n for k, n in conn.execute(stmt, params).all()}
    counts = {k.key: shared.get(k.key, 0) - seen.get(k.key, 0) for k in kinds}
    for k in kinds:
        if k.model is Document:
            counts[k.key] -= seen.get(_DEPOSITS, 0)
    return {k: n for k, n in counts.items() if n > 0}
