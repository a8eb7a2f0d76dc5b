"""A dossier of the client: its header, its non-empty tabs with their counts, one
keyset page of one tab (paging.py); and a document of theirs for download."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, bindparam, literal, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from espace.config import settings
from espace.db import read_scope, session_scope
from espace.domain import items as registry
from espace.domain.ids import parse_id
from espace.domain.names import dossier_title
from espace.domain.online_payment import accepts_online_payments
from espace.models import Document, Dossier, Firm, Role, User
from espace.services import AccessDenied
from espace.services.client import access, news, paging
from espace.services.client.views import ClientDossier, TabCount, TabPage
from espace.services.shared import keyset

_Interlocutor = aliased(User)


@dataclass(frozen=True, slots=True)
class DossierPage:
    """A dossier page as shown: the dossier (its tab's rows annotated for the client,
    news.annotate), and the header's unread count."""

    dossier: ClientDossier
    unread: int


_DOSSIER_VIEW_COLUMNS: Any = (
    core_select(col(Dossier.id), col(Dossier.label), col(Dossier.reference), col(Dossier.firm_id),
                col(_Interlocutor.nom).label("i_nom"), col(_Interlocutor.prenom).label("i_prenom"),
                col(Firm.payments_enabled), col(Firm.stripe_publishable_key), col(Firm.stripe_secret_key_enc),
                col(Firm.stripe_webhook_secret_enc))
    .select_from(Dossier)
    .outerjoin(_Interlocutor, col(_Interlocutor.id) == Dossier.interlocutor_id)
    .join(Firm, col(Firm.id) == Dossier.firm_id)
)
# The dossier page's header, authorised as access.client_dossier (one query, with the
# interlocutor's name and the firm's payment settings).
_DOSSIER_VIEW: Any = access.one_dossier(_DOSSIER_VIEW_COLUMNS)


def _tabs() -> list[tuple[registry.ItemKind, registry.Tab]]:
    return [(kind, tab) for kind in registry.kinds() for tab in kind.tabs]


def _tab_where(kind: registry.ItemKind, tab: registry.Tab) -> tuple[Any, ...]:
    model = kind.model
    return (col(model.dossier_id) == bindparam("dossier_id"), col(model.shared_at).is_not(None), *tab.where)


def _tab_counts_stmt(tabs: list[tuple[registry.ItemKind, registry.Tab]]) -> Any:
    return union_all(*[
        core_select(literal(tab.key).label("k"), func.count().label("n")).select_from(kind.model)
        .where(*_tab_where(kind, tab))
        for kind, tab in tabs
    ])


def _tab_page(s: Connection, kind: registry.ItemKind, tab: registry.Tab, dossier_id: int, payments: bool,
              avant: object = None, apres: object = None) -> TabPage:
    want = keyset.want(keyset.python_type(kind.order), avant, apres, None)
    params = {"dossier_id": dossier_id}
    rows, newer, older = paging.kind_page(s, kind, settings.page_size, want, params, lambda: _tab_where(kind, tab),
                                    (kind, tab), ("tab", tab.key), payments and kind.payable, False)
    if not rows and want.mode != "first":  # a cursor past either end: the tab's first page
        return _tab_page(s, kind, tab, dossier_id, payments)
    return TabPage(key=tab.key, rows=rows, newer=newer, older=older)


def _registered_tab(key: object) -> tuple[registry.ItemKind, registry.Tab] | None:
    return next(((k, t) for k, t in _tabs() if t.key == key), None) if isinstance(key, str) else None


def _header(conn: Connection, user: User | None, dossier_id: object) -> Any:
    d = conn.execute(_DOSSIER_VIEW, access.dossier_params(user, dossier_id)).first()
    if d is None:
        raise AccessDenied()
    return d


def _dossier(conn: Connection, d: Any, tab: object) -> ClientDossier:
    tabs = _tabs()
    stmt = keyset.built(("tab-counts",), tuple(t for _, t in tabs), lambda: _tab_counts_stmt(tabs))
    counts: dict[str, int] = {k: n for k, n in conn.execute(stmt, {"dossier_id": d.id}).all()}
    shown = [(kind, t) for kind, t in tabs if counts.get(t.key, 0) > 0]
    active = next(((k, t) for k, t in shown if t.key == tab), shown[0] if shown else None)
    page = (_tab_page(conn, active[0], active[1], d.id, accepts_online_payments(d)) if active
            else TabPage(key="", rows=[]))
    return ClientDossier(
        id=str(d.id),
        label=d.label,
        reference=d.reference,
        title=dossier_title(d),
        interlocutor=f"{d.i_prenom or ''} {(d.i_nom or '').upper()}".strip() if d.i_nom is not None else "",
        tabs=[TabCount(t.key, t.label, counts[t.key]) for _, t in shown],
        page=page,
    )


def dossier(user: User, dossier_id: object, tab: object = None) -> ClientDossier:
    """A dossier of the client: its non-empty tabs with their counts (one grouped
    query) and the first page of one tab: `tab` when it is one of them, else the first."""
    with read_scope() as conn:
        return _dossier(conn, _header(conn, user, dossier_id), tab)


def _annotated(s: Session, user: User, client: Any, page: TabPage) -> TabPage:
    """A tab's page as the client sees it: unseen rows « Nouveau » (and seen from now on)."""
    return TabPage(key=page.key, rows=news.annotate_in(s, user, client, page.key, page.rows),
                   newer=page.newer, older=page.older)


def dossier_page(user: User, dossier_id: object, tab: object = None) -> DossierPage:
    """What the dossier page shows (dossier()'s, its tab's rows annotated), in one
    database session."""
    with session_scope() as s:
        conn = s.connection()
        client = access.client_key(conn, user)
        d = _dossier(conn, _header(conn, user, dossier_id), tab)
        shown = ClientDossier(id=d.id, label=d.label, reference=d.reference, title=d.title,
                              interlocutor=d.interlocutor, tabs=d.tabs, page=_annotated(s, user, client, d.page))
        unread = news.unread_of(conn, client)
        s.commit()
        return DossierPage(shown, unread)


def _tab(conn: Connection, user: User | None, dossier_id: object, key: object, avant: object,
         apres: object) -> TabPage:
    found = _registered_tab(key)
    if found is None:
        raise AccessDenied()
    d = _header(conn, user, dossier_id)
    return _tab_page(conn, found[0], found[1], d.id, accepts_online_payments(d), avant, apres)


def dossier_tab(user: User | None, dossier_id: object, key: object, avant: object = None,
                apres: object = None) -> TabPage:
    """One page of one tab of a dossier of the client (the first, or older than `avant`,
    or newer than `apres`). The dossier is authorised again (the client may have lost
    it since the page was loaded); a tab key that is not registered is refused."""
    with read_scope() as conn:
        return _tab(conn, user, dossier_id, key, avant, apres)


def tab_page(user: User, dossier_id: object, key: object, avant: object = None, apres: object = None) -> TabPage:
    """dossier_tab's page as the client sees it (annotated), in one database session."""
    with session_scope() as s:
        conn = s.connection()
        client = access.client_key(conn, user)
        page = _annotated(s, user, client, _tab(conn, user, dossier_id, key, avant, apres))
        s.commit()
        return page


def document_for_download(user: User | None, document_id: object) -> Document:
    """The document if this user may read it: a client of its dossier (shared only),
    or a lawyer/staff member of the dossier's firm. Raises AccessDenied otherwise."""
    number = parse_id(document_id)
    if user is None or not user.active or number is None:
        raise AccessDenied()
    with session_scope() as s:
        # (compared as a BIGINT: any id parse_id accepts is "not found", also on PostgreSQL)
        doc = s.exec(select(Document).where(col(Document.id) == literal(number, BigInteger))).first()
        if doc is None:
            raise AccessDenied()
        d = s.get(Dossier, doc.dossier_id)
        if d is None or d.firm_id != user.firm_id:
            raise AccessDenied()
        if user.role == Role.client:
            if doc.shared_at is None:
                raise AccessDenied()
            access.client_dossier(s, user, d.id)
        return doc
