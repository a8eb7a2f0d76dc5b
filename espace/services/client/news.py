"""What is new and what is next for a client (issue 13): per-kind counts of new items,
the « Nouveautés » list, « À venir » (next RDV, invoices to pay), the firm's unread
answers; `mark_seen` / `annotate` (the « Nouveau » badge of a row, cleared once the
item was opened), and the client's read receipts of their own deposits.

An item is « nouveau » for a client until an ItemSeen row says they opened it: a
document when downloaded (the download route), any other kind when shown to them in
a list or a dossier tab. The client's own deposits are never new to them. Every
query starts from the acting client: their active membership, the dossiers of their
firm they are linked to, shared items only."""
from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, literal, true
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from espace.db import read_scope, session_scope
from espace.domain import items as registry
from espace.domain.french import fdate, fdatetime, fmoney, fweekday_time
from espace.domain.ids import parse_id
from espace.domain.names import full_name
from espace.models import (
    Direction,
    Document,
    Dossier,
    Facture,
    FactureStatus,
    ItemSeen,
    Message,
    MessageDirection,
    Rdv,
    Role,
    User,
    utcnow,
)
from espace.services import AccessDenied, audit
from espace.services.client import access, news_pick
from espace.services.client.views import ItemRow
from espace.services.shared import counters, keyset

NEWS_MAX = news_pick.NEWS_MAX
UPCOMING_MAX = 3
TO_PAY_MAX = 5
ANSWERS_MAX = 5


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One line of « Nouveautés »: what, in which dossier, where to open it."""

    kind: str
    kind_label: str  # « Documents », « RDV »…
    name: str
    date: str
    shared_on: str  # « 28/11/2026 »
    dossier: str
    href: str  # the dossier's tab, or the document itself


@dataclass(frozen=True, slots=True)
class NewsGroup:
    """Past NEWS_MAX items, a kind's new items not all listed: « 12 nouveaux documents »."""

    kind: str
    label: str
    href: str  # the kind's list (« Tout voir »)


@dataclass(frozen=True, slots=True)
class Upcoming:
    when: str  # « mardi 08/12/2026 à 17 h 00 »
    subject: str
    place: str
    dossier: str
    href: str


@dataclass(frozen=True, slots=True)
class ToPay:
    name: str  # « Facture n° FA-2024-0042 »
    amount: str
    due: str  # « échéance 31/12/2026 » or ""
    dossier: str
    href: str  # the payment page when payable online now, else the invoices list


@dataclass(frozen=True, slots=True)
class Answer:
    date: str
    author: str
    subject: str
    dossier: str
    href: str


@dataclass(frozen=True, slots=True)
class News:
    since: str  # « 20/11/2026 à 09:00 », "" on a first visit
    new_counts: dict[str, int]  # by kind key, only kinds with new items (the tiles' badges)
    items: list[NewsItem]  # the NEWS_MAX newest new items, all kinds
    groups: list[NewsGroup]  # the kinds with more new items than listed
    upcoming: list[Upcoming]
    to_pay: list[ToPay]
    answers: list[Answer]
    unread: int  # the firm's answers the client has not read


# --------------------------------------------------------------------------- scope
def _params(key: Any) -> dict[str, Any]:
    """The bound parameters of this module's statements for an acting client (its
    access.client_key row): `uid` (their ItemSeen rows), `client_id` / `firm_id`
    (their dossiers, access.dossier_ids)."""
    return {"uid": key.user_id, **access.scope(key)}


def _tab_of(kind: registry.ItemKind) -> str:
    return kind.tabs[0].key


def _with_dossier(*columns: Any) -> Any:
    return core_select(*columns, col(Dossier.id).label("d_id"), col(Dossier.reference).label("d_reference"),
                       col(Dossier.label).label("d_label"))


def _first(model: Any, conditions: tuple[Any, ...], order: tuple[Any, ...], limit: int) -> Any:
    """The first `limit` shared items of the client's dossiers matching `conditions` in
    `order`: their ids picked from an index alone (LIMIT inside), then only those rows
    read with their dossier."""
    first = (core_select(col(model.id).label("id"))
             .where(col(model.shared_at).is_not(None), col(model.dossier_id).in_(access.dossier_ids()), *conditions)
             .order_by(*order).limit(limit).subquery())
    return (_with_dossier(*model.__table__.c).select_from(first).join(model, col(model.id) == first.c.id)
            .join(Dossier, col(Dossier.id) == model.dossier_id).order_by(*order))


def _upcoming_stmt() -> Any:
    return _first(Rdv, (col(Rdv.starts_at) >= bindparam("now", type_=Rdv.starts_at.type),),  # type: ignore[attr-defined]
                  (col(Rdv.starts_at), col(Rdv.id)), UPCOMING_MAX)


def _to_pay_stmt() -> Any:
    return _first(Facture, (col(Facture.status) == FactureStatus.a_regler,),
                  (col(Facture.due_date), col(Facture.date), col(Facture.id)), TO_PAY_MAX)


def _unread_ids() -> Any:
    """The firm's unread answers in the client's dossiers, read from those dossiers' messages
    (ix_message_dossier_created): `firm_id + 0` keeps SQLite's planner from walking every
    message of the firm instead."""
    return core_select(col(Message.id)).where(
        (col(Message.firm_id) + 0) == bindparam("firm_id"), col(Message.dossier_id).in_(access.dossier_ids()),
        col(Message.direction) == MessageDirection.cabinet, col(Message.read_at).is_(None))


def _answers_stmt() -> Any:
    return (_with_dossier(col(Message.created_at), col(Message.subject), col(User.nom), col(User.prenom))
            .select_from(Message).join(User, col(User.id) == Message.sender_id)
            .join(Dossier, col(Dossier.id) == Message.dossier_id)
            .where(col(Message.id).in_(_unread_ids()))
            .order_by(col(Message.created_at).desc(), col(Message.id).desc()).limit(ANSWERS_MAX))


def _title(r: Any) -> str:
    return f"{r.d_reference} - {r.d_label}"


# --------------------------------------------------------------------------- the home
def news(user: User) -> News:
    """What the client's home shows of what is new and what is next."""
    with read_scope() as conn:
        return news_of(conn, access.client_key(conn, user))


def news_of(conn: Connection, key: Any, counted: counters.Counts | None = None) -> News:
    """news() for an acting client already read (access.client_key), on the caller's
    connection; `counted`: their counts when the caller read them already."""
    since = key.previous_login_at
    params = {**_params(key), "now": utcnow()}
    counted = counters.read(conn, key.id) if counted is None else counted
    counts = counted.new()
    shown = sorted(news_pick.picked(conn, params, counted), key=lambda p: (p[2], p[1]), reverse=True)[:NEWS_MAX]
    found: list[tuple[datetime, int, NewsItem]] = []
    for kind in registry.kinds():
        ids = [i for k, i, _ in shown if k == kind.key]
        if not ids:
            continue
        for r in conn.execute(news_pick.shown(kind), {**params, "ids": ids}).all():
            view = kind.view(r)
            href = view.url or f"/dossiers/{r.dossier_id}?onglet={_tab_of(kind)}"
            found.append((r.shared_at, r.id, NewsItem(kind.key, kind.label, view.name, view.date,
                                                      fdate(r.shared_at), _title(r), href)))
    found.sort(key=lambda p: (p[0], p[1]), reverse=True)
    listed = Counter(item.kind for _, _, item in found)
    groups = [NewsGroup(k.key, k.new_count(counts[k.key]), f"/{k.key}") for k in registry.kinds()
              if counts.get(k.key, 0) > listed[k.key]]
    upcoming = [
        Upcoming(fweekday_time(r.starts_at), r.subject, r.place, _title(r), f"/dossiers/{r.d_id}?onglet=rdv")
        for r in conn.execute(keyset.built(("news-upcoming",), (), _upcoming_stmt), params).all()
    ]
    invoices = registry.kind("factures")
    to_pay = [
        ToPay(f"Facture n° {r.number}", fmoney(r.amount_cents), f"échéance {fdate(r.due_date)}" if r.due_date else "",
              _title(r), (invoices.view(r).pay if invoices else "") or "/factures")
        for r in conn.execute(keyset.built(("news-to-pay",), (), _to_pay_stmt), params).all()
    ]
    unread = counted.unread
    answers = [
        Answer(fdatetime(r.created_at), full_name(r), r.subject, _title(r),
               f"/contacter?dossier={r.d_id}#messages")
        for r in (conn.execute(keyset.built(("news-answers",), (), _answers_stmt), params).all() if unread else [])
    ]
    return News(since=fdatetime(since) if since else "", new_counts=counts, items=[item for _, _, item in found],
                groups=groups, upcoming=upcoming, to_pay=to_pay, answers=answers, unread=unread)


def unread_answers(user: User | None) -> int:
    """The count beside `Messages` in the client's header (0 for anyone else)."""
    if user is None or user.role != Role.client:
        return 0
    with read_scope() as conn:
        try:
            return unread_of(conn, access.client_key(conn, user))
        except AccessDenied:
            return 0


def unread_of(conn: Connection, key: Any) -> int:
    """unread_answers for an acting client already read (access.client_key): their count."""
    return counters.read(conn, key.id).unread


# --------------------------------------------------------------------------- seen
def _insert_ignore(s: Session, rows: list[dict[str, Any]]) -> set[int]:
    """Insert the ItemSeen rows not there yet; the item ids actually inserted (another
    request may have recorded some in between: the unique index decides)."""
    table: Any = ItemSeen.__table__  # type: ignore[attr-defined]  # set by SQLModel on table classes
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing().returning(table.c.item_id)
    return {i for (i,) in s.connection().execute(stmt, rows).all()}


def mark_seen(s: Session, user: User | None, kind_key: str, ids: Iterable[object],
              client: Any = None) -> list[int]:
    """Record that `user` (a client) opened these items of `kind_key`, in the caller's
    transaction. Idempotent: returns the ids seen for the first time. Only the user's
    shared items count (others are ignored); a document's first opening is audited.
    `client`: the acting client when the caller read it already (access.client_key)."""
    kind = registry.kind(kind_key)
    if kind is None or user is None or user.role != Role.client or user.id is None:
        return []
    wanted = {i for i in (_as_id(x) for x in ids) if i is not None}
    if not wanted:
        return []
    if client is None:
        try:
            client = access.acting_client(s, user)
        except AccessDenied:
            return []
    model = kind.model
    news_only = counters.new_conditions(kind)
    found = s.connection().execute(core_select(col(model.id), and_(true(), *news_only).label("news")).where(
        col(model.id).in_([literal(i, BigInteger) for i in wanted]), col(model.shared_at).is_not(None),
        col(model.dossier_id).in_(access.dossier_ids_of(client)))).all()
    allowed = {i for i, _ in found}
    already = set(s.exec(select(ItemSeen.item_id).where(
        col(ItemSeen.user_id) == user.id, col(ItemSeen.kind) == kind.key,
        col(ItemSeen.item_id).in_(list(allowed)))).all()) if allowed else set()
    fresh = sorted(allowed - already)
    if not fresh:
        return []
    now = utcnow()
    inserted = _insert_ignore(s, [{"user_id": user.id, "kind": kind.key, "item_id": i, "seen_at": now} for i in fresh])
    counters.seen(s, client.id, kind.key, sum(1 for i, news in found if news and i in inserted))
    if model is Document:
        for i in fresh:
            audit.record(s, user, "document_ouvert", f"document {i}")
    return fresh


def _as_id(value: object) -> int | None:
    return parse_id(value)


def kind_of_tab(key: str) -> registry.ItemKind | None:
    """The kind of a client tab key (« recus » and « deposes » are documents) or of a list key."""
    return next((k for k in registry.kinds() if k.key == key or any(t.key == key for t in k.tabs)), None)


def _seen_stmt() -> Any:
    return core_select(col(ItemSeen.item_id)).where(
        col(ItemSeen.user_id) == bindparam("uid"), col(ItemSeen.kind) == bindparam("kind"),
        col(ItemSeen.item_id).in_(bindparam("ids", expanding=True)))


def _deposits_stmt() -> Any:
    return core_select(col(Document.id), col(Document.opened_at)).where(
        col(Document.id).in_(bindparam("ids", expanding=True)), col(Document.direction) == Direction.depose,
        col(Document.dossier_id).in_(access.dossier_ids()))


def annotate(user: User, key: str, rows: Sequence[ItemRow]) -> list[ItemRow]:
    """The rows of a list or a dossier tab (`key`: a category or a tab key) as shown to
    the client: `new` on the unseen ones, and on their own deposits `receipt`
    (« Consulté par le cabinet le … »). Shown rows of a kind other than documents are
    recorded as seen now (they keep their badge on this page)."""
    with session_scope() as s:
        try:
            key_row = access.client_key(s.connection(), user)
        except AccessDenied:
            return list(rows)
        shown = annotate_in(s, user, key_row, key, rows)
        s.commit()
        return shown


def annotate_in(s: Session, user: User, key_row: Any, key: str, rows: Sequence[ItemRow]) -> list[ItemRow]:
    """annotate() in the caller's session (which commits) for an acting client already
    read (access.client_key)."""
    kind = kind_of_tab(key)
    if kind is None or not rows:
        return list(rows)
    ids = [i for i in (_as_id(r.id) for r in rows) if i is not None]
    conn = s.connection()
    params = {**_params(key_row), "kind": kind.key, "ids": ids}
    seen = {i for (i,) in conn.execute(keyset.built(("news-seen",), (), _seen_stmt), params).all()}
    deposits: dict[int, datetime | None] = {}
    if kind.model is Document:
        deposits = {i: opened for i, opened in conn.execute(keyset.built(("news-deposits",), (), _deposits_stmt),
                                                            params).all()}
    else:
        mark_seen(s, user, kind.key, [i for i in ids if i not in seen], key_row)
    result = []
    for r in rows:
        i = _as_id(r.id)
        if i in deposits:
            opened = deposits[i]
            receipt = f"Consulté par le cabinet le {fdatetime(opened)}" if opened else "Pas encore consulté par le cabinet"
            result.append(dataclasses.replace(r, receipt=receipt))
        else:
            fresh = i not in seen
            result.append(r if r.new == fresh else dataclasses.replace(r, new=fresh))  # most rows: as read
    return result

