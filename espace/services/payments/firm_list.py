"""The firm's side of online payment: the list of its clients' payments (/admin/paiements),
newest first, one keyset page at a time (services/shared/keyset.py), read from the
index in display order ix_payment_firm_created (firm_id, created_at, id): a page costs
the same on the first page of a firm of 40,000 payments as on a firm of ten, and the
oldest payments are reachable. Filters: status, dossier (words of its reference or
title), days from / to (Paris days)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, String, bindparam, exists, or_
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from espace.config import settings
from espace.db import session_scope
from espace.domain.french import fdatetime, fmoney, parse_date
from espace.domain.names import dossier_title, full_name
from espace.domain.text import clean_line
from espace.models import Dossier, Facture, Payment, User
from espace.services.access import require_staff
from espace.services.shared import keyset

_TABLE: Any = Payment.__table__  # type: ignore[attr-defined]  # SQLModel declares it untyped

STATUS_LABELS = {"open": "En cours", "succeeded": "Réussi", "failed": "Échoué", "canceled": "Annulé"}
PARIS = ZoneInfo("Europe/Paris")
DOSSIER_MAX = 100  # characters of the dossier filter read
DOSSIER_WORDS = 5  # words of the dossier filter that filter


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """One online payment as the firm's list shows it (French display strings)."""

    id: str
    date: str
    amount: str
    status: str
    stripe_id: str
    facture: str
    client: str
    dossier: str


@dataclass(frozen=True, slots=True)
class PaymentFilters:
    """The list's filters as read (anything unreadable is no filter): a status key of
    STATUS_LABELS, the dossier's words, days as yyyy-mm-dd (what a date input shows)."""

    status: str = ""
    dossier: str = ""
    du: str = ""
    au: str = ""


@dataclass(frozen=True, slots=True)
class PaymentPage:
    """One page of the firm's payments, newest first, with the cursors of the pages
    around it ("" at an end) and the filters it was read with."""

    rows: list[PaymentRow]
    newer: str
    older: str
    filters: PaymentFilters


def read_filters(status: object = "", dossier: object = "", du: object = "", au: object = "") -> PaymentFilters:
    def day(raw: object) -> str:
        found = parse_date(raw) if isinstance(raw, str) and len(raw) <= 10 else None
        return found.isoformat() if found else ""

    return PaymentFilters(
        status=status if isinstance(status, str) and status in STATUS_LABELS else "",
        dossier=" ".join(clean_line(dossier if isinstance(dossier, str) else "")[:DOSSIER_MAX].split()[:DOSSIER_WORDS]),
        du=day(du), au=day(au))


def _start_of(day: str, after: int = 0) -> datetime:
    """The first instant of a Paris day, `after` days later, in UTC (as stored)."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=after), time.min, tzinfo=PARIS).astimezone(UTC)


def _conditions(f: PaymentFilters) -> tuple[Any, ...]:
    """The list's WHERE (bound parameters: see _params): the firm, then each filter set."""
    at = _TABLE.c.created_at.type
    conds: list[Any] = [col(Payment.firm_id) == bindparam("firm_id", type_=BigInteger)]
    if f.status:
        conds.append(col(Payment.status) == bindparam("status", type_=String))
    if f.du:
        conds.append(col(Payment.created_at) >= bindparam("du", type_=at))
    if f.au:
        conds.append(col(Payment.created_at) < bindparam("au", type_=at))
    words = f.dossier.split()
    if words:
        matches = [or_(col(Dossier.reference).ilike(bindparam(f"w{i}", type_=String), escape="\\"),
                       col(Dossier.label).ilike(bindparam(f"w{i}", type_=String), escape="\\"))
                   for i in range(len(words))]
        conds.append(exists(
            core_select(col(Facture.id)).join(Dossier, col(Dossier.id) == col(Facture.dossier_id))
            .where(col(Facture.id) == col(Payment.facture_id), col(Dossier.firm_id) == col(Payment.firm_id),
                   *matches)))
    return tuple(conds)


def _params(firm_id: int | None, f: PaymentFilters) -> dict[str, Any]:
    params: dict[str, Any] = {"firm_id": firm_id}
    if f.status:
        params["status"] = f.status
    if f.du:
        params["du"] = _start_of(f.du)
    if f.au:
        params["au"] = _start_of(f.au, after=1)
    for i, word in enumerate(f.dossier.split()):
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params[f"w{i}"] = f"%{escaped}%"
    return params


def _shape(f: PaymentFilters) -> tuple[Any, ...]:
    """What the statement's text depends on (its cache key)."""
    return bool(f.status), bool(f.du), bool(f.au), len(f.dossier.split())


def _read(s: Connection, f: PaymentFilters, params: dict[str, Any], want: keyset.Want,
          size: int) -> tuple[list[Any], str, str]:
    """The page's rows (Payment, Facture number, client, dossier columns), newest first,
    and its cursors. The page's ids come from the index alone (a bounded top-N);
    then only those rows are joined to their invoice, dossier and client."""
    order, ident = col(Payment.created_at), col(Payment.id)
    bound = keyset.ranged(want, order)

    def build_page() -> Any:
        ids = keyset.bounded(core_select(ident).where(*_conditions(f)), order, ident, bound.mode, size).subquery()
        return (core_select(*_TABLE.c, col(Facture.number).label("f_number"),
                            col(Dossier.reference), col(Dossier.label), col(User.nom), col(User.prenom))
                .join(ids, ident == ids.c.id)
                .join(Facture, col(Facture.id) == col(Payment.facture_id))
                .join(Dossier, col(Dossier.id) == col(Facture.dossier_id))
                .join(User, col(User.id) == col(Payment.user_id))
                .where(col(Dossier.firm_id) == col(Payment.firm_id)))

    stmt = keyset.built(("firm-payments", _shape(f), bound.mode, size), (), build_page)
    found = list(s.execute(stmt, {**params, "cursor_value": bound.value, "cursor_id": bound.id}).all())
    # The outer joins keep no order: the page's few rows are sorted here.
    found.sort(key=lambda r: (r.created_at, r.id), reverse=bound.mode != "apres")

    def more_beyond(newer: bool, at: tuple[Any, int]) -> bool:
        check = keyset.built(("firm-payments-beyond", _shape(f), newer), (), lambda: core_select(ident).where(
            *_conditions(f), keyset.beyond(order, ident, newer)).limit(1))
        return s.execute(check, {**params, "bound_value": at[0], "bound_id": at[1]}).first() is not None

    return keyset.paged(found, want, size, lambda r: (r.created_at, r.id), more_beyond)


def _row(r: Any) -> PaymentRow:
    return PaymentRow(
        id=str(r.id),
        date=fdatetime(r.succeeded_at or r.created_at),
        amount=fmoney(r.amount_cents),
        status=STATUS_LABELS.get(r.status, r.status),
        stripe_id=r.stripe_payment_intent_id,
        facture=f"Facture n° {r.f_number}",
        client=full_name(r),  # the row's nom, prenom
        dossier=dossier_title(r),  # the row's reference, label
    )


def payments_page(user: User, avant: object = None, apres: object = None, fin: object = None,
                  status: object = "", dossier: object = "", du: object = "", au: object = "",
                  size: int | None = None) -> PaymentPage:
    """One page of the firm's online payments (date, amount, status, Stripe id, invoice,
    client, dossier), newest first: the newest page, the page older than `avant` or newer
    than `apres` (cursors of an earlier page), or the oldest page (`fin`); a malformed
    cursor gives the newest page. A cursor is a position: the acting user's firm and the
    filters apply whatever it says."""
    filters = read_filters(status, dossier, du, au)
    want = keyset.want(datetime, avant, apres, fin)
    with session_scope() as s:
        staff = require_staff(s, user)
        found, newer, older = _read(s.connection(), filters, _params(staff.firm_id, filters), want,
                                    size or settings.page_size)
        return PaymentPage(rows=[_row(r) for r in found], newer=newer, older=older, filters=filters)


def list_payments(user: User) -> list[PaymentRow]:
    """The newest page of the firm's online payments."""
    return payments_page(user).rows
