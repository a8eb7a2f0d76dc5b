"""The client's read path: home counts, category lists, a dossier and its items.

Every query starts from the acting client and only reaches items that are shared
(shared_at not null) in dossiers of the client's firm that the client is linked to."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, literal, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, func, select

from espace.config import settings
from espace.db import session_scope
from espace.domain.ids import parse_id, parse_page
from espace.domain.online_payment import accepts_online_payments
from espace.domain.formatting import fdate, fdatetime, fduration, fmoney, fsize
from espace.models import (
    Client,
    Direction,
    Document,
    Dossier,
    DossierClient,
    FactureStatus,
    Facture,
    Firm,
    Frais,
    Rdv,
    Role,
    Tache,
    TempsPasse,
    User,
)
from espace.services import AccessDenied
from espace.domain.names import dossier_title, formal_name, full_name


@dataclass(frozen=True)
class Category:
    key: str  # URL segment, e.g. "temps-passes"
    label: str  # visible label, e.g. "Temps passés"
    model: type | None  # None for dossiers
    order_col: str = ""


CATEGORIES: list[Category] = [
    Category("documents", "Documents", Document, "doc_date"),
    Category("dossiers", "Dossiers", None),
    Category("rdv", "RDV", Rdv, "starts_at"),
    Category("factures", "Factures", Facture, "date"),
    Category("taches", "Tâches", Tache, "date"),
    Category("temps-passes", "Temps passés", TempsPasse, "date"),
    Category("frais", "Frais", Frais, "date"),
]
BY_KEY = {c.key: c for c in CATEGORIES}

# Dossier tabs: the documents split by direction, then the other categories.
TABS: list[tuple[str, str]] = [
    ("recus", "Documents reçus"),
    ("deposes", "Documents déposés"),
    ("rdv", "RDV"),
    ("factures", "Factures"),
    ("taches", "Tâches"),
    ("temps-passes", "Temps passés"),
    ("frais", "Frais"),
]


def client_of(s: Session, user: User) -> Client:
    if user is None or user.role != Role.client or not user.active:
        raise AccessDenied()
    client = s.exec(select(Client).where(Client.user_id == user.id, Client.firm_id == user.firm_id)).first()
    if client is None:
        raise AccessDenied()
    return client


def _dossier_ids(client: Client):
    """Subquery: ids of the dossiers of this client, in the client's firm."""
    return (
        select(DossierClient.dossier_id)
        .join(Dossier, Dossier.id == DossierClient.dossier_id)
        .where(DossierClient.client_id == client.id, Dossier.firm_id == client.firm_id)
    )


def _linked_to_client(stmt):
    """`stmt` limited to the dossier `dossier_id` when the active client user `user_id`
    of firm `firm_id` is linked to it (bound parameters: built once, run per upload)."""
    return (
        stmt.join(DossierClient, DossierClient.dossier_id == Dossier.id)
        .join(Client, Client.id == DossierClient.client_id)
        .join(User, User.id == Client.user_id)
        .where(Dossier.id == bindparam("dossier_id"), Dossier.firm_id == Client.firm_id,
               Client.user_id == bindparam("user_id"), Client.firm_id == bindparam("firm_id"),
               User.active.is_(True), User.role == Role.client)
    )


# Built once (building a statement costs more CPU than SQLite takes to answer it).
_CLIENT_DOSSIER = _linked_to_client(select(Dossier))
_CLIENT_DOSSIER_REF = _linked_to_client(core_select(Dossier.id, Dossier.firm_id).select_from(Dossier))


def _client_dossier_params(user, dossier_id) -> dict:
    if user is None or user.role != Role.client:
        raise AccessDenied()
    did = parse_id(dossier_id)
    if did is None:
        raise AccessDenied()
    return {"dossier_id": did, "user_id": user.id, "firm_id": user.firm_id}


def client_dossier(s: Session, user: User, dossier_id) -> Dossier:
    """The dossier if `user` is an active client linked to it in their firm, read in ONE
    query (the user's active flag is read again, so a client deactivated during a long
    upload is refused when it ends); AccessDenied otherwise, also for a malformed id."""
    d = s.exec(_CLIENT_DOSSIER, params=_client_dossier_params(user, dossier_id)).first()
    if d is None:
        raise AccessDenied()
    return d


def client_dossier_ref(s: Session, user, dossier_id):
    """client_dossier's check as a plain row (`.id`, `.firm_id`), without loading the
    dossier: what an upload needs, before its body and again once it is stored."""
    ref = s.connection().execute(_CLIENT_DOSSIER_REF, _client_dossier_params(user, dossier_id)).first()
    if ref is None:
        raise AccessDenied()
    return ref


def _visible(model, client: Client):
    return select(model).where(model.shared_at.is_not(None), model.dossier_id.in_(_dossier_ids(client)))


def dossier_choices_of(s: Session, client: Client) -> list[dict[str, str]]:
    """The client's dossiers by reference, for choosing where to deposit or write."""
    rows = s.exec(
        select(Dossier).where(Dossier.id.in_(_dossier_ids(client))).order_by(Dossier.reference, Dossier.id)
    ).all()
    return [{"id": str(d.id), "title": dossier_title(d)} for d in rows]


def home(user: User) -> dict:
    """Name, per-category counts (one grouped query) and the dossier choice of the
    deposit zone."""
    with session_scope() as s:
        client = client_of(s, user)
        ids = _dossier_ids(client)
        parts = [
            select(literal(c.key).label("k"), func.count().label("n"))
            .select_from(c.model)
            .where(c.model.shared_at.is_not(None), c.model.dossier_id.in_(ids))
            for c in CATEGORIES
            if c.model is not None
        ]
        parts.append(select(literal("dossiers").label("k"), func.count().label("n")).select_from(ids.subquery()))
        counts = dict(s.exec(union_all(*parts)).all())
        return {
            "name": full_name(user),
            "tiles": [
                {"key": c.key, "label": c.label, "count": counts.get(c.key, 0)}
                for c in CATEGORIES
                if counts.get(c.key, 0) > 0
            ],
            "dossiers": dossier_choices_of(s, client),
        }


def _dossier_title(d: Dossier) -> str:
    return dossier_title(d)


def _row(item, dossier: Dossier | None = None, payments: bool = False) -> dict[str, str]:
    """What a list or a tab shows of one item, as display strings with fixed keys.
    `pay`: the payment page of an invoice payable online now (firm `payments` on), else ""."""
    row = {"id": str(item.id), "date": "", "name": "", "detail": "", "url": "", "dossier": "", "dossier_id": "",
           "pay": ""}
    if dossier is not None:
        row.update(dossier=dossier.label, dossier_id=str(dossier.id))
    if isinstance(item, Document):
        row.update(date=fdate(item.doc_date), name=item.name, detail=fsize(item.size), url=f"/api/documents/{item.id}")
    elif isinstance(item, Rdv):
        row.update(date=fdatetime(item.starts_at), name=item.subject, detail=item.place)
    elif isinstance(item, Facture):
        status = "Payée" if item.status == FactureStatus.payee else "À régler"
        due = f" · échéance {fdate(item.due_date)}" if item.due_date and item.status != FactureStatus.payee else ""
        row.update(date=fdate(item.date), name=f"Facture n° {item.number}", detail=f"{fmoney(item.amount_cents)} · {status}{due}")
        if payments and item.payable_online and item.status == FactureStatus.a_regler and item.amount_cents > 0:
            row["pay"] = f"/factures/{item.id}/paiement"
    elif isinstance(item, Tache):
        row.update(date=fdate(item.date), name=item.label, detail="Terminée" if item.done else "À faire")
    elif isinstance(item, TempsPasse):
        row.update(date=fdate(item.date), name=item.description, detail=fduration(item.minutes))
    elif isinstance(item, Frais):
        row.update(date=fdate(item.date), name=item.label, detail=fmoney(item.amount_cents))
    return row


def _firm_takes_payments(s: Session, firm_id: int) -> bool:
    return accepts_online_payments(s.get(Firm, firm_id))


def list_category(user: User, key: str, page: int = 1) -> dict:
    """One category, all the client's dossiers mixed, newest first, paginated."""
    cat = BY_KEY.get(key)
    if cat is None:
        raise AccessDenied()
    page = parse_page(page)
    size = settings.page_size
    with session_scope() as s:
        client = client_of(s, user)
        if cat.model is None:
            total = s.exec(select(func.count()).select_from(_dossier_ids(client).subquery())).one()
            dossiers = s.exec(
                select(Dossier)
                .where(Dossier.id.in_(_dossier_ids(client)))
                .order_by(Dossier.reference.desc())
                .offset((page - 1) * size)
                .limit(size)
            ).all()
            rows = [
                {"id": str(d.id), "date": "", "name": d.label, "detail": d.reference, "url": "", "dossier": "", "dossier_id": str(d.id), "pay": ""}
                for d in dossiers
            ]
        else:
            base = _visible(cat.model, client)
            total = s.exec(select(func.count()).select_from(base.subquery())).one()
            order = getattr(cat.model, cat.order_col)
            q = (
                select(cat.model, Dossier)
                .join(Dossier, Dossier.id == cat.model.dossier_id)
                .where(cat.model.shared_at.is_not(None), cat.model.dossier_id.in_(_dossier_ids(client)))
                .order_by(order.desc(), cat.model.id.desc())
                .offset((page - 1) * size)
                .limit(size)
            )
            pays = cat.model is Facture and _firm_takes_payments(s, client.firm_id)
            rows = [_row(item, d, pays) for item, d in s.exec(q).all()]
        pages = max(1, -(-total // size))
        return {"label": cat.label, "rows": rows, "total": total, "page": min(page, pages), "pages": pages}


def dossier(user: User, dossier_id: int) -> dict:
    """A dossier of the client with its non-empty tabs."""
    with session_scope() as s:
        d = client_dossier(s, user, dossier_id)
        interlocutor = s.get(User, d.interlocutor_id) if d.interlocutor_id else None

        pays = _firm_takes_payments(s, d.firm_id)

        def items(model, order, *extra):
            q = select(model).where(model.dossier_id == d.id, model.shared_at.is_not(None), *extra)
            return [_row(i, payments=pays) for i in s.exec(q.order_by(order.desc(), model.id.desc())).all()]

        tabs = {
            "recus": items(Document, Document.doc_date, Document.direction == Direction.recu),
            "deposes": items(Document, Document.doc_date, Document.direction == Direction.depose),
            "rdv": items(Rdv, Rdv.starts_at),
            "factures": items(Facture, Facture.date),
            "taches": items(Tache, Tache.date),
            "temps-passes": items(TempsPasse, TempsPasse.date),
            "frais": items(Frais, Frais.date),
        }
        return {
            "id": str(d.id),
            "label": d.label,
            "reference": d.reference,
            "title": _dossier_title(d),
            "interlocutor": formal_name(interlocutor),
            "tabs": [{"key": k, "label": label, "count": str(len(tabs[k]))} for k, label in TABS if tabs[k]],
            "items": tabs,
        }


def document_for_download(user: User, document_id: int) -> Document:
    """The document if this user may read it: a client of its dossier (shared only),
    or a lawyer/staff member of the dossier's firm. Raises AccessDenied otherwise."""
    document_id = parse_id(document_id)
    if user is None or not user.active or document_id is None:
        raise AccessDenied()
    with session_scope() as s:
        doc = s.get(Document, document_id)
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
