"""A category list of the client (documents, RDV, factures... or their dossiers), all
their dossiers mixed or one of them, one keyset page at a time (paging.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlmodel import col, func

from espace.config import settings
from espace.db import read_scope, session_scope
from espace.domain import items as registry
from espace.domain.ids import parse_id
from espace.domain.online_payment import accepts_online_payments
from espace.models import Dossier, User
from espace.services import AccessDenied
from espace.services.client import access, home, news, paging
from espace.services.client.views import CategoryPage, DossierChoice, ItemRow, categories
from espace.services.shared import counters, keyset

_Interlocutor = aliased(User)


@dataclass(frozen=True, slots=True)
class ListPage:
    """A list page as shown: its rows annotated for the client (news.annotate), and
    the header's unread count."""

    page: CategoryPage
    unread: int


def _dossiers_page(s: Connection, size: int, want: keyset.Want, params: dict[str, Any]) -> tuple[list[ItemRow], str, str]:
    ref, ident = col(Dossier.reference), col(Dossier.id)

    def where() -> Any:
        return ident.in_(access.dossier_ids())

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
        return paging.exists(s, check, {**params, "bound_value": bound[0], "bound_id": bound[1]})

    rows, newer, older = keyset.paged(found, want, size, lambda r: (r.reference, r.id), more_beyond)
    return [ItemRow(id=str(d.id), name=d.label, detail=_dossier_detail(d), dossier_id=str(d.id)) for d in rows], newer, older


def _dossier_detail(d: Any) -> str:
    """« 2024/0001 · Interlocuteur : DURAND Paul » (the reference alone without one)."""
    who = f"{d.i_prenom or ''} {(d.i_nom or '').upper()}".strip() if d.i_nom is not None else ""
    return f"{d.reference} · Interlocuteur : {who}" if who else d.reference


def _list_where(kind: registry.ItemKind, filtered: bool = False) -> tuple[Any, ...]:
    """A list's rows: shared, in the client's dossiers; `filtered`: in the one dossier
    `filter_dossier` too (bound parameter; checked against the client's dossiers first)."""
    model = kind.model
    scoped = (col(model.shared_at).is_not(None), col(model.dossier_id).in_(access.dossier_ids()))
    return (*scoped, col(model.dossier_id) == bindparam("filter_dossier", type_=BigInteger)) if filtered else scoped


def list_category(user: User, key: str, avant: object = None, apres: object = None, fin: object = None,
                  dossier: object = None) -> CategoryPage:
    """One category, all the client's dossiers mixed (or the one dossier `dossier` of the
    client: any other id, malformed or not theirs, is no filter), newest first, one page:
    the newest page, the page older than `avant` or newer than `apres` (cursors of an
    earlier page), or the oldest page (`fin`). A malformed cursor gives the newest page."""
    with read_scope() as conn:
        return _category(conn, access.client_key(conn, user), key, avant, apres, fin, dossier)


def list_page(user: User, key: str, avant: object = None, apres: object = None, fin: object = None,
              dossier: object = None) -> ListPage:
    """What a list page shows (list_category's page, its rows annotated for the client),
    in one database session."""
    with session_scope() as s:
        conn = s.connection()
        client = access.client_key(conn, user)
        counted = counters.read(conn, client.id)  # the list's total, the header's unread answers
        page = _category(conn, client, key, avant, apres, fin, dossier, counted)
        shown = CategoryPage(label=page.label, rows=news.annotate_in(s, user, client, key, page.rows),
                             total=page.total, newer=page.newer, older=page.older, dossier=page.dossier,
                             choices=page.choices)
        s.commit()
        return ListPage(shown, counted.unread)


def _category(s: Connection, client: Any, key: str, avant: object, apres: object, fin: object,
              dossier: object, counted: counters.Counts | None = None) -> CategoryPage:
    """A list's page; its total from the client's counts (`counted`, read here when not
    given), or counted in the one dossier chosen."""
    cat = next((c for c in categories() if c.key == key), None)
    if cat is None:
        raise AccessDenied()
    size = settings.page_size
    params = access.scope(client)
    kind = cat.kind
    total_stmt = None
    if kind is None:
        want = keyset.want(str, avant, apres, fin)
        rows, newer, older = _dossiers_page(s, size, want, params)
        choices: list[DossierChoice] = []
        chosen = ""
    else:
        choices = home.choices(s, client)
        wanted = parse_id(dossier)
        chosen = str(wanted) if wanted is not None and any(c["id"] == str(wanted) for c in choices) else ""
        if chosen:
            params = {**params, "filter_dossier": wanted}
        tag = ("list-dossier" if chosen else "list", kind.key)
        if chosen:
            total_stmt = keyset.built(("total", *tag), (kind,), lambda: core_select(func.count())
                                      .select_from(kind.model).where(*_list_where(kind, True)))
        want = keyset.want(keyset.python_type(kind.order), avant, apres, fin)
        pays = kind.payable and accepts_online_payments(client)
        rows, newer, older = paging.kind_page(s, kind, size, want, params, lambda: _list_where(kind, bool(chosen)),
                                              (kind,), tag, pays, True)
    if not rows and want.mode != "first":  # a cursor past either end: the newest page
        return _category(s, client, key, None, None, None, chosen or None, counted)
    if total_stmt is not None:
        total = int(s.execute(total_stmt, params).scalar_one())
    else:
        total = (counted or counters.read(s, client.id)).shared.get(cat.key, 0)
    return CategoryPage(label=cat.label, rows=rows, total=total, newer=newer, older=older, dossier=chosen,
                        choices=choices)
