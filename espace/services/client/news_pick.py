"""Which new items the client's home lists in « Nouveautés » (services/client/news.py):
each kind's newest new items (no ItemSeen row of the client's; their own deposits are
not news, counters.new_conditions), all kinds probed in one statement, bounded by what
is shown (NEWS_MAX) rather than by everything shared; then the shown rows read."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, literal, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from espace.domain import items as registry
from espace.models import Dossier, ItemSeen
from espace.services.client import access
from espace.services.shared import counters, keyset

NEWS_MAX = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _seen(kind: registry.ItemKind, item_id: Any) -> Any:
    """The client's (`uid`) ItemSeen row of an item, probed on its unique index."""
    return exists(core_select(literal(1)).where(col(ItemSeen.user_id) == bindparam("uid"),
                                                col(ItemSeen.kind) == kind.key, col(ItemSeen.item_id) == item_id))



# The statements are built once (building one costs more CPU than SQLite takes to
# answer it), with bound parameters: uid, client_id, firm_id, now, and per kind i
# since_i / depth_i.
def _probe_part(kind: registry.ItemKind, i: int) -> Any:
    """(kind, id, at) of the NEWS_MAX newest new items of a kind, among the `depth_i`
    newest shared since `since_i` in the client's dossiers (news: their own deposits are
    not): those picked from an index alone (LIMIT inside, no probe), then only they
    probed for an ItemSeen row. `depth_i` 0: nothing asked of this kind."""
    model = kind.model
    newest = (core_select(col(model.id).label("id"), col(model.shared_at).label("at"))
              .where(col(model.shared_at).is_not(None), col(model.dossier_id).in_(access.dossier_ids()),
                     *counters.new_conditions(kind),
                     col(model.shared_at) >= bindparam(f"since_{i}", type_=model.shared_at.type))
              .order_by(col(model.shared_at).desc(), col(model.id).desc()).limit(bindparam(f"depth_{i}"))
              .subquery())
    unseen = (core_select(literal(kind.key).label("kind"), newest.c.id, newest.c.at)
              .where(~_seen(kind, newest.c.id))
              .order_by(newest.c.at.desc(), newest.c.id.desc()).limit(NEWS_MAX).subquery())
    return core_select(unseen.c.kind, unseen.c.id, unseen.c.at)


def _probe_stmt(kinds: Sequence[registry.ItemKind]) -> Any:
    """Every kind's first probe in one statement (one round trip for the home's news)."""
    return union_all(*(_probe_part(kind, i) for i, kind in enumerate(kinds)))


def shown_stmt(kind: registry.ItemKind) -> Any:
    """The shown items of a kind (`ids`, at most NEWS_MAX) with their dossier, read by
    their primary key (`dossier_id + 0`: the scope is checked on those rows, not walked
    through the dossiers' index as SQLite's planner would)."""
    model = kind.model
    return (core_select(*model.__table__.c, col(Dossier.reference).label("d_reference"),
                        col(Dossier.label).label("d_label"))
            .select_from(model).join(Dossier, col(Dossier.id) == model.dossier_id)
            .where(col(model.id).in_(bindparam("ids", expanding=True)),
                   (col(model.dossier_id) + 0).in_(access.dossier_ids())))


def shown(kind: registry.ItemKind) -> Any:
    """shown_stmt(kind), built once."""
    return keyset.built(("news-shown", kind.key), (kind,), lambda: shown_stmt(kind))


RECENT_DAYS = 366  # « Nouveautés » looks at the last year's shares first
_UNBOUNDED = 100 * 366


def picked(conn: Connection, params: dict[str, Any], counted: counters.Counts) -> list[tuple[str, int, datetime]]:
    """(kind key, id, shared_at) of the newest new items of each kind with news (its
    NEWS_MAX newest, or all of them when it has fewer), bounded by what is shown rather
    than by everything shared: for every such kind at once, the newest NEWS_MAX × 4 items
    shared in the last RECENT_DAYS (a range of the index per dossier) probed in one
    statement; then, only for a kind where fewer than its count were found, eight times
    deeper and eight times further back, until all it shared (`counted.shared`) is covered."""
    kinds = registry.kinds()
    stmt = keyset.built(("news-probe",), tuple(kinds), lambda: _probe_stmt(kinds))
    counts = counted.new()
    wanted = {k.key: min(NEWS_MAX, counts[k.key]) for k in kinds if k.key in counts}
    reach = {key: (NEWS_MAX * 4, RECENT_DAYS) for key in wanted}
    found: dict[str, list[Any]] = {}
    now = params["now"]
    while reach:
        asked = dict(params)
        for i, kind in enumerate(kinds):
            depth, days = reach.get(kind.key, (0, _UNBOUNDED))
            asked[f"depth_{i}"] = depth
            asked[f"since_{i}"] = now - timedelta(days=days) if days < _UNBOUNDED else _EPOCH
        rows = conn.execute(stmt, asked).all()
        for key in reach:
            found[key] = [r for r in rows if r.kind == key]
        for key, (depth, days) in list(reach.items()):
            if len(found[key]) >= wanted[key] or (days >= _UNBOUNDED and depth >= counted.shared.get(key, 0)):
                del reach[key]
            else:
                reach[key] = (depth * 8, days * 8)
    return [(r.kind, r.id, r.at) for rows in found.values() for r in rows]
