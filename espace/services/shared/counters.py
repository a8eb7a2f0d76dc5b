"""The clients' maintained counts (issue 21, table client_count): what the client's home
tiles, « N nouveaux » badges, list totals and header's unread count show, read as one
row per kind instead of counting everything shared on every navigation.

Per client (a person in one firm) and key: for each item kind of the registry, the items
`shared` in their dossiers and the `unseen` ones (no ItemSeen row of theirs; their own
deposits are never new); DOSSIERS: their dossiers (`shared`); MESSAGES: the firm's answers
they have not read (`unseen`). « Their dossiers » is access.dossier_ids' rule: a link to a
dossier of the client's own firm.

Every write that changes a count calls one function here in its own transaction:
`item_shared` (share, unshare, an item added shared, a deposit), `seen` (an item opened
for the first time), `messages` (an answer sent, answers read), `links_changed` (a client
given or refused a dossier: their counts recomputed). `truth` counts from scratch;
`recount` writes it (the migration's backfill, `python -m espace recount`, after the demo
or a restore); `differences` is the check."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, exists, insert, literal, text, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, func

from espace.domain import items as registry
from espace.models import (
    Client,
    ClientCount,
    Direction,
    Document,
    Dossier,
    DossierClient,
    ItemSeen,
    Message,
    MessageDirection,
)

DOSSIERS = "dossiers"
MESSAGES = "messages"

_TABLE: Any = ClientCount.__table__  # type: ignore[attr-defined]  # set by SQLModel on table classes


@dataclass(frozen=True, slots=True)
class Counts:
    """One client's counts as stored: `shared` and `unseen` by key (absent: 0)."""

    shared: dict[str, int]
    unseen: dict[str, int]

    def new(self) -> dict[str, int]:
        """The new items by kind key, kinds with some only (the « N nouveaux » badges)."""
        return {k.key: self.unseen[k.key] for k in registry.kinds() if self.unseen.get(k.key, 0) > 0}

    @property
    def unread(self) -> int:
        return self.unseen.get(MESSAGES, 0)


_READ = core_select(col(ClientCount.kind), col(ClientCount.shared), col(ClientCount.unseen)).where(
    col(ClientCount.client_id) == bindparam("counted_client"))


def read(conn: Connection, client_id: int) -> Counts:
    """The client's counts: one indexed read (the table's primary key)."""
    shared: dict[str, int] = {}
    unseen: dict[str, int] = {}
    for kind, n, u in conn.execute(_READ, {"counted_client": client_id}).all():
        shared[kind], unseen[kind] = n, u
    return Counts(shared, unseen)


def new_conditions(kind: registry.ItemKind) -> tuple[Any, ...]:
    """What makes a shared item of `kind` news to a client beyond « not seen »: a
    document is news only when the firm gave it (their own deposits are not)."""
    return (col(Document.direction) == Direction.recu,) if kind.model is Document else ()


# --------------------------------------------------------------------------- the truth
def _links(client_ids: Iterable[int] | None) -> Any:
    """Each client's dossiers (the access rule: a dossier of the client's firm), with the
    client's user (their ItemSeen rows) and firm (their messages)."""
    links: Any = (core_select(col(Client.id).label("client_id"), col(Client.user_id).label("user_id"),
                         col(Client.firm_id).label("firm_id"), col(DossierClient.dossier_id).label("dossier_id"))
             .join(DossierClient, col(DossierClient.client_id) == Client.id)
             .join(Dossier, (col(Dossier.id) == DossierClient.dossier_id) & (col(Dossier.firm_id) == Client.firm_id)))
    if client_ids is not None:
        links = links.where(col(Client.id).in_(list(client_ids)))
    return links.subquery()


def _truth_stmt(client_ids: Iterable[int] | None) -> Any:
    links = _links(client_ids)
    parts: list[Any] = [core_select(links.c.client_id, literal(DOSSIERS).label("k"), func.count().label("n"),
                                    literal(0).label("u")).group_by(links.c.client_id)]
    for kind in registry.kinds():
        model = kind.model
        seen = exists().where(col(ItemSeen.user_id) == links.c.user_id, col(ItemSeen.kind) == kind.key,
                              col(ItemSeen.item_id) == model.id)
        fresh = case((and_(~seen, *new_conditions(kind)), 1), else_=0)
        parts.append(core_select(links.c.client_id, literal(kind.key).label("k"), func.count().label("n"),
                                 func.coalesce(func.sum(fresh), 0).label("u"))
                     .select_from(links).join(model, col(model.dossier_id) == links.c.dossier_id)
                     .where(col(model.shared_at).is_not(None)).group_by(links.c.client_id))
    parts.append(core_select(links.c.client_id, literal(MESSAGES).label("k"), literal(0).label("n"),
                             func.count().label("u"))
                 .select_from(links).join(Message, col(Message.dossier_id) == links.c.dossier_id)
                 .where(col(Message.firm_id) == links.c.firm_id, col(Message.direction) == MessageDirection.cabinet,
                        col(Message.read_at).is_(None))
                 .group_by(links.c.client_id))
    return union_all(*parts)


def keys() -> list[str]:
    return [DOSSIERS, *(k.key for k in registry.kinds()), MESSAGES]


def truth(conn: Connection, client_ids: Iterable[int] | None = None) -> dict[tuple[int, str], tuple[int, int]]:
    """(shared, unseen) by (client id, key), counted from scratch for these clients (all
    by default), every key of every client given (zeros included)."""
    wanted = None if client_ids is None else sorted(set(client_ids))
    everyone: Any = core_select(col(Client.id))
    ids: list[int] = wanted if wanted is not None else [int(i) for (i,) in conn.execute(everyone).all()]
    found = {(c, k): (0, 0) for c in ids for k in keys()}
    for c, k, n, u in conn.execute(_truth_stmt(wanted)).all():
        found[(c, k)] = (int(n), int(u))
    return found


def stored(conn: Connection, client_ids: Iterable[int] | None = None) -> dict[tuple[int, str], tuple[int, int]]:
    stmt = core_select(col(ClientCount.client_id), col(ClientCount.kind), col(ClientCount.shared),
                       col(ClientCount.unseen))
    if client_ids is not None:
        stmt = stmt.where(col(ClientCount.client_id).in_(list(client_ids)))
    return {(c, k): (n, u) for c, k, n, u in conn.execute(stmt).all()}


def differences(conn: Connection) -> list[str]:
    """Every stored count that is not the truth, as « client 12 documents: stored (3, 1), counted (3, 2) »."""
    real, kept = truth(conn), stored(conn)
    return [f"client {c} {k}: stored {kept.get((c, k), (0, 0))}, counted {real.get((c, k), (0, 0))}"
            for c, k in sorted(set(real) | set(kept)) if real.get((c, k), (0, 0)) != kept.get((c, k), (0, 0))]


def recount(conn: Connection, client_ids: Iterable[int] | None = None) -> int:
    """Write the truth for these clients (all by default) in the caller's transaction;
    returns the number of rows written."""
    wanted = None if client_ids is None else sorted(set(client_ids))
    if wanted == []:
        return 0
    rows = [{"client_id": c, "kind": k, "shared": n, "unseen": u} for (c, k), (n, u) in truth(conn, wanted).items()]
    clear = delete(_TABLE)
    if wanted is not None:
        clear = clear.where(_TABLE.c.client_id.in_(wanted))
    conn.execute(clear)
    if rows:
        conn.execute(insert(_TABLE), rows)
    return len(rows)


# --------------------------------------------------------------------------- the writes
# The clients a dossier is shown to (access rule), and their counts of one key made present.
_CLIENTS_OF = ("SELECT dc.client_id FROM dossier_client dc JOIN dossier d ON d.id = dc.dossier_id "
               "JOIN client c ON c.id = dc.client_id WHERE dc.dossier_id = :dossier_id AND c.firm_id = d.firm_id")
_ENSURE = text(f"INSERT INTO client_count (client_id, kind, shared, unseen) SELECT client_id, :kind, 0, 0 "
               f"FROM ({_CLIENTS_OF}) AS clients WHERE 1 = 1 ON CONFLICT DO NOTHING")
_SHARED = text(f"UPDATE client_count SET shared = shared + :delta WHERE kind = :kind AND client_id IN ({_CLIENTS_OF})")
_SHARED_NEW = text(
    "UPDATE client_count SET shared = shared + :delta, unseen = unseen + CASE WHEN EXISTS ("
    "SELECT 1 FROM item_seen s JOIN client c ON c.user_id = s.user_id WHERE c.id = client_count.client_id "
    "AND s.kind = :kind AND s.item_id = :item_id) THEN 0 ELSE :delta END "
    f"WHERE kind = :kind AND client_id IN ({_CLIENTS_OF})")
_UNSEEN = text(f"UPDATE client_count SET unseen = unseen + :delta WHERE kind = :kind AND client_id IN ({_CLIENTS_OF})")
_SEEN = text("UPDATE client_count SET unseen = unseen - :n WHERE client_id = :client_id AND kind = :kind")


def item_shared(s: Session, item: Any, delta: int) -> None:
    """An item of a registered kind shown to its dossier's clients (`delta` 1: shared,
    added shared, deposited) or hidden from them (-1: unshared), in the caller's
    transaction; the item's row as it is (its direction says whether it is news)."""
    kind = registry.kind_of(item)
    params = {"kind": kind.key, "dossier_id": item.dossier_id, "delta": delta, "item_id": item.id}
    conn = s.connection()
    conn.execute(_ENSURE, params)
    news = not (kind.model is Document and item.direction != Direction.recu)
    conn.execute(_SHARED_NEW if news else _SHARED, params)


def seen(s: Session, client_id: int, kind_key: str, n: int) -> None:
    """`n` items of a kind, news to the client, opened for the first time."""
    if n:
        s.connection().execute(_SEEN, {"client_id": client_id, "kind": kind_key, "n": n})


def messages(s: Session, dossier_id: int, delta: int) -> None:
    """The firm's answers in a dossier: `delta` 1 for one sent, -n for n read."""
    if delta:
        params = {"kind": MESSAGES, "dossier_id": dossier_id, "delta": delta}
        conn = s.connection()
        conn.execute(_ENSURE, params)
        conn.execute(_UNSEEN, params)


def links_changed(s: Session, client_ids: Iterable[int]) -> None:
    """Clients given or refused dossiers: their counts recomputed, in the caller's transaction."""
    s.flush()
    recount(s.connection(), client_ids)
