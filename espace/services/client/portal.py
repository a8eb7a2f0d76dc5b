"""The client's read path: home counts, category lists, a dossier and its items.

Every query starts from the acting client and only reaches items that are shared
(shared_at not null) in dossiers of the client's firm that the client is linked to.
The categories, tabs and rows come from the item-kind registry (domain/items.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar

from sqlalchemy import bindparam, literal, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Row
from sqlalchemy.sql import Select
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from espace.config import settings
from espace.db import session_scope
from espace.domain import items as registry
from espace.domain.ids import parse_id, parse_page
from espace.domain.names import dossier_title, formal_name, full_name
from espace.domain.online_payment import accepts_online_payments
from espace.models import Client, Document, Dossier, DossierClient, Firm, Role, User
from espace.services import AccessDenied

_Stmt = TypeVar("_Stmt", SelectOfScalar[Dossier], Select[int | None, int])
DOSSIERS = "dossiers"  # the category of the client's dossiers themselves, second on the home page


@dataclass(frozen=True, slots=True)
class Category:
    key: str  # URL segment, e.g. "temps-passes"
    label: str  # visible label, e.g. "Temps passés"
    kind: registry.ItemKind | None  # None for the dossiers


def categories() -> list[Category]:
    """The home tiles and list pages: the first kind (documents), the dossiers, then the other kinds."""
    kinds = [Category(k.key, k.label, k) for k in registry.kinds()]
    return [*kinds[:1], Category(DOSSIERS, "Dossiers", None), *kinds[1:]]


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One line of a list or a tab, as display strings. `pay`: the payment page of an
    invoice payable online now (firm payments on), else ""."""

    id: str
    date: str = ""
    name: str = ""
    detail: str = ""
    url: str = ""
    dossier: str = ""
    dossier_id: str = ""
    pay: str = ""


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    label: str
    count: int


class DossierChoice(TypedDict):
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Home:
    name: str
    tiles: list[Tile]
    dossiers: list[DossierChoice]


@dataclass(frozen=True, slots=True)
class CategoryPage:
    label: str
    rows: list[ItemRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class TabCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class ClientDossier:
    id: str
    label: str
    reference: str
    title: str
    interlocutor: str
    tabs: list[TabCount]  # the non-empty ones
    items: dict[str, list[ItemRow]]  # every tab's rows, by tab key


def client_of(s: Session, user: User | None) -> Client:
    if user is None or user.role != Role.client or not user.active:
        raise AccessDenied()
    client = s.exec(select(Client).where(Client.user_id == user.id, Client.firm_id == user.firm_id)).first()
    if client is None:
        raise AccessDenied()
    return client


def _dossier_ids(client: Client) -> SelectOfScalar[int]:
    """Subquery: ids of the dossiers of this client, in the client's firm."""
    return (
        select(DossierClient.dossier_id)
        .join(Dossier, col(Dossier.id) == DossierClient.dossier_id)
        .where(DossierClient.client_id == client.id, Dossier.firm_id == client.firm_id)
    )


def _linked_to_client(stmt: _Stmt) -> _Stmt:
    """`stmt` limited to the dossier `dossier_id` when the active client user `user_id`
    of firm `firm_id` is linked to it (bound parameters: built once, run per upload)."""
    return (
        stmt.join(DossierClient, col(DossierClient.dossier_id) == Dossier.id)
        .join(Client, col(Client.id) == DossierClient.client_id)
        .join(User, col(User.id) == Client.user_id)
        .where(col(Dossier.id) == bindparam("dossier_id"), col(Dossier.firm_id) == Client.firm_id,
               col(Client.user_id) == bindparam("user_id"), col(Client.firm_id) == bindparam("firm_id"),
               col(User.active).is_(True), col(User.role) == Role.client)
    )


# Built once (building a statement costs more CPU than SQLite takes to answer it).
_CLIENT_DOSSIER = _linked_to_client(select(Dossier))
_CLIENT_DOSSIER_REF = _linked_to_client(core_select(col(Dossier.id), col(Dossier.firm_id)).select_from(Dossier))


def _client_dossier_params(user: User | None, dossier_id: object) -> dict[str, int | None]:
    if user is None or user.role != Role.client:
        raise AccessDenied()
    did = parse_id(dossier_id)
    if did is None:
        raise AccessDenied()
    return {"dossier_id": did, "user_id": user.id, "firm_id": user.firm_id}


def client_dossier(s: Session, user: User | None, dossier_id: object) -> Dossier:
    """The dossier if `user` is an active client linked to it in their firm, read in ONE
    query (the user's active flag is read again, so a client deactivated during a long
    upload is refused when it ends); AccessDenied otherwise, also for a malformed id."""
    d: Dossier | None = s.exec(_CLIENT_DOSSIER, params=_client_dossier_params(user, dossier_id)).first()
    if d is None:
        raise AccessDenied()
    return d


def client_dossier_ref(s: Session, user: User | None, dossier_id: object) -> Row[int | None, int]:
    """client_dossier's check as a plain row (`.id`, `.firm_id`), without loading the
    dossier: what an upload needs, before its body and again once it is stored."""
    ref = s.connection().execute(_CLIENT_DOSSIER_REF, _client_dossier_params(user, dossier_id)).first()
    if ref is None:
        raise AccessDenied()
    return ref


def _visible(kind: registry.ItemKind, client: Client) -> SelectOfScalar[Any]:
    model = kind.model
    return select(model).where(col(model.shared_at).is_not(None), col(model.dossier_id).in_(_dossier_ids(client)))


def dossier_choices_of(s: Session, client: Client) -> list[DossierChoice]:
    """The client's dossiers by reference, for choosing where to deposit or write."""
    rows = s.exec(
        select(Dossier).where(col(Dossier.id).in_(_dossier_ids(client))).order_by(col(Dossier.reference), col(Dossier.id))
    ).all()
    return [{"id": str(d.id), "title": dossier_title(d)} for d in rows]


def home(user: User) -> Home:
    """Name, per-category counts (one grouped query) and the dossier choice of the
    deposit zone."""
    with session_scope() as s:
        client = client_of(s, user)
        ids = _dossier_ids(client)
        parts: list[Select[str, int]] = [
            core_select(literal(c.key).label("k"), func.count().label("n"))
            .select_from(c.kind.model)
            .where(col(c.kind.model.shared_at).is_not(None), col(c.kind.model.dossier_id).in_(ids))
            for c in categories()
            if c.kind is not None
        ]
        parts.append(core_select(literal(DOSSIERS).label("k"), func.count().label("n")).select_from(ids.subquery()))
        counts: dict[str, int] = {k: n for k, n in s.connection().execute(union_all(*parts)).all()}
        return Home(
            name=full_name(user),
            tiles=[Tile(c.key, c.label, counts[c.key]) for c in categories() if counts.get(c.key, 0) > 0],
            dossiers=dossier_choices_of(s, client),
        )


def item_row(item: Any, dossier: Dossier | None = None, payments: bool = False) -> ItemRow:
    """What a list or a tab shows of one item of a registered kind. `payments`: the
    firm takes online payments (an invoice payable now gets its `pay` link)."""
    view = registry.kind_of(item).view(item)
    return ItemRow(id=str(item.id), date=view.date, name=view.name, detail=view.detail, url=view.url,
                   dossier=dossier.label if dossier else "", dossier_id=str(dossier.id) if dossier else "",
                   pay=view.pay if payments else "")


def _firm_takes_payments(s: Session, firm_id: int) -> bool:
    return accepts_online_payments(s.get(Firm, firm_id))


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


def list_category(user: User, key: str, page: object = 1) -> CategoryPage:
    """One category, all the client's dossiers mixed, newest first, paginated."""
    cat = next((c for c in categories() if c.key == key), None)
    if cat is None:
        raise AccessDenied()
    number = parse_page(page)
    size = settings.page_size
    with session_scope() as s:
        client = client_of(s, user)
        if cat.kind is None:
            total = s.exec(select(func.count()).select_from(_dossier_ids(client).subquery())).one()
            dossiers = s.exec(
                select(Dossier)
                .where(col(Dossier.id).in_(_dossier_ids(client)))
                .order_by(col(Dossier.reference).desc())
                .offset((number - 1) * size)
                .limit(size)
            ).all()
            rows = [ItemRow(id=str(d.id), name=d.label, detail=d.reference, dossier_id=str(d.id)) for d in dossiers]
        else:
            model = cat.kind.model
            total = s.exec(select(func.count()).select_from(_visible(cat.kind, client).subquery())).one()
            q = (
                select(model, Dossier)
                .join(Dossier, col(Dossier.id) == model.dossier_id)
                .where(col(model.shared_at).is_not(None), col(model.dossier_id).in_(_dossier_ids(client)))
                .order_by(cat.kind.order.desc(), col(model.id).desc())
                .offset((number - 1) * size)
                .limit(size)
            )
            pays = cat.kind.payable and _firm_takes_payments(s, client.firm_id)
            rows = [item_row(item, d, pays) for item, d in s.exec(q).all()]
        pages = _pages(total, size)
        return CategoryPage(label=cat.label, rows=rows, total=total, page=min(number, pages), pages=pages)


def dossier(user: User, dossier_id: object) -> ClientDossier:
    """A dossier of the client with its non-empty tabs."""
    with session_scope() as s:
        d = client_dossier(s, user, dossier_id)
        interlocutor = s.get(User, d.interlocutor_id) if d.interlocutor_id else None
        pays = _firm_takes_payments(s, d.firm_id)

        def rows(kind: registry.ItemKind, where: tuple[Any, ...]) -> list[ItemRow]:
            model = kind.model
            q = select(model).where(model.dossier_id == d.id, col(model.shared_at).is_not(None), *where)
            return [item_row(i, payments=pays) for i in s.exec(q.order_by(kind.order.desc(), col(model.id).desc())).all()]

        tabs = [(tab, rows(kind, tab.where)) for kind in registry.kinds() for tab in kind.tabs]
        return ClientDossier(
            id=str(d.id),
            label=d.label,
            reference=d.reference,
            title=dossier_title(d),
            interlocutor=formal_name(interlocutor),
            tabs=[TabCount(tab.key, tab.label, len(found)) for tab, found in tabs if found],
            items={tab.key: found for tab, found in tabs},
        )


def document_for_download(user: User | None, document_id: object) -> Document:
    """The document if this user may read it: a client of its dossier (shared only),
    or a lawyer/staff member of the dossier's firm. Raises AccessDenied otherwise."""
    number = parse_id(document_id)
    if user is None or not user.active or number is None:
        raise AccessDenied()
    with session_scope() as s:
        doc = s.get(Document, number)
        if doc is None:
            raise AccessDenied()
        d = s.get(Dossier, doc.dossier_id)
        if d is None or d.firm_id != user.firm_id:
            raise AccessDenied()
        if user.role == Role.client:
            client = client_of(s, user)
            linked = s.exec(
                select(DossierClient).where(DossierClient.dossier_id == d.id, DossierClient.client_id == client.id)
            ).first()
            if linked is None or doc.shared_at is None:
                raise AccessDenied()
        return doc
