"""/admin/paiements' list (services/payments/firm_list.py): keyset pages newest first
from the display-order index, a payment arriving between two pages neither lost nor
repeated, the filters (status, dossier, days) combined, the firm's scope; and the
index's migration (upgrade, downgrade)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from espace.db import session_scope
from espace.models import Dossier, Facture, Payment
from espace.services import AccessDenied, payments
from tests.admin_helpers import claire, user
from tests.migrations import alembic_config

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _invoices(demo) -> list[tuple[int, str]]:
    """(facture id, dossier reference) of the demo firm's invoices."""
    with session_scope() as s:
        rows = s.exec(select(Facture.id, Dossier.reference).join(Dossier, col(Dossier.id) == Facture.dossier_id)
                      .where(Dossier.firm_id == demo["firm_id"]).order_by(col(Facture.id))).all()
    return [(fid, ref) for fid, ref in rows]


def _add(demo, n: int, start: datetime = START, status: str = "succeeded", facture: int | None = None,
         firm_id: int | None = None, tag: str = "a") -> list[int]:
    """`n` payments one hour apart from `start`, by Luce, on the firm's first invoice."""
    fid = facture or _invoices(demo)[0][0]
    made = []
    with session_scope() as s:
        for i in range(n):
            p = Payment(firm_id=firm_id or demo["firm_id"], facture_id=fid, user_id=demo["client_user_id"],
                        stripe_payment_intent_id=f"pi_test_{tag}_{i}", amount_cents=1000 + i, status=status,
                        created_at=start + timedelta(hours=i))
            s.add(p)
            s.flush()
            made.append(p.id)
        s.commit()
    return made


def _ids(page) -> list[int]:
    return [int(r.id) for r in page.rows]


def test_pages_newest_first_then_older_newer_and_the_ends(demo):
    lawyer = user(demo["lawyer_id"])
    made = _add(demo, 7)
    newest = list(reversed(made))
    first = payments.payments_page(lawyer, size=3)
    assert _ids(first) == newest[:3] and first.newer == "" and first.older
    second = payments.payments_page(lawyer, avant=first.older, size=3)
    assert _ids(second) == newest[3:6] and second.newer and second.older
    last = payments.payments_page(lawyer, avant=second.older, size=3)
    assert _ids(last) == newest[6:] and last.older == "" and last.newer
    back = payments.payments_page(lawyer, apres=second.newer, size=3)
    assert _ids(back) == newest[:3] and back.newer == ""
    oldest = payments.payments_page(lawyer, fin="1", size=3)
    assert _ids(oldest) == newest[4:] and oldest.older == "" and oldest.newer
    row = first.rows[0]
    assert row.status == "Réussi" and row.amount.startswith("10,06") and row.client == "Luce ALEXANDER"
    assert row.facture.startswith("Facture n° ") and " - " in row.dossier
    # A malformed cursor is the newest page; the old API keeps giving it.
    assert _ids(payments.payments_page(lawyer, avant="nonsense", size=3)) == newest[:3]
    assert [int(r.id) for r in payments.list_payments(lawyer)][:7] == newest


def test_a_payment_arriving_between_two_pages_is_neither_lost_nor_repeated(demo):
    lawyer = user(demo["lawyer_id"])
    made = _add(demo, 6)
    first = payments.payments_page(lawyer, size=3)
    [late] = _add(demo, 1, start=START + timedelta(days=30), tag="late")
    second = payments.payments_page(lawyer, avant=first.older, size=3)
    assert _ids(first) + _ids(second) == list(reversed(made))
    newer = payments.payments_page(lawyer, apres=second.newer, size=3)
    assert _ids(newer) == [made[5], made[4], made[3]] and newer.newer  # the late one is newer still
    assert _ids(payments.payments_page(lawyer, apres=newer.newer, size=3)) == [late]


def test_filters_combine_and_unreadable_filters_are_none(demo):
    lawyer = user(demo["lawyer_id"])
    (f1, ref1), (f2, ref2) = _invoices(demo)[:2]
    assert ref1 != ref2
    ok = _add(demo, 3, facture=f1, tag="ok")
    failed = _add(demo, 2, status="failed", facture=f1, tag="ko")
    other = _add(demo, 2, facture=f2, start=START + timedelta(days=3), tag="other")
    page = payments.payments_page(lawyer, status="failed")
    assert set(_ids(page)) == set(failed) and page.filters.status == "failed"
    assert set(_ids(payments.payments_page(lawyer, dossier=ref2))) >= set(other)
    assert not set(_ids(payments.payments_page(lawyer, dossier=ref2))) & set(ok + failed)
    # Days are Paris days, both ends included.
    day = (START + timedelta(days=3)).date().isoformat()
    assert set(_ids(payments.payments_page(lawyer, du=day, au=day))) == set(other)
    assert _ids(payments.payments_page(lawyer, status="succeeded", dossier=ref2, du=day)) == list(reversed(other))
    assert _ids(payments.payments_page(lawyer, status="failed", dossier=ref2)) == []
    assert set(_ids(payments.payments_page(lawyer, au=START.date().isoformat()))) >= set(ok[:1])
    read = payments.payments_page(lawyer, status="hacked", dossier=["x"], du="31/02/2026", au="2026-13-01").filters
    assert read == payments.PaymentFilters()
    # Filters and paging together: a cursor keeps the filter.
    first = payments.payments_page(lawyer, status="succeeded", dossier=ref1, size=2)
    second = payments.payments_page(lawyer, status="succeeded", dossier=ref1, avant=first.older, size=2)
    assert _ids(first) + _ids(second) == list(reversed(ok))


def test_scoped_to_the_firm(demo):
    mine = _add(demo, 2)
    theirs = claire()
    assert not set(_ids(payments.payments_page(theirs))) & set(mine)
    page = payments.payments_page(user(demo["lawyer_id"]), size=1)
    # Another firm's lawyer with this firm's cursor gets their own firm's payments only.
    assert not set(_ids(payments.payments_page(theirs, avant=page.older))) & set(mine)
    assert set(mine) <= set(_ids(payments.payments_page(user(demo["staff_id"]))))
    with pytest.raises(AccessDenied):
        payments.payments_page(user(demo["client_user_id"]))


def test_the_page_is_read_from_the_display_order_index(demo):
    from sqlalchemy import event

    from espace.db import get_engine

    _add(demo, 5)
    plans: list[str] = []

    def explain(conn, cursor, statement, parameters, context, executemany):
        if ("FROM payment" in statement and statement.lstrip().upper().startswith("SELECT")
                and "EXPLAIN" not in statement and conn.dialect.name == "sqlite"):
            plans.append(" | ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                                   parameters).all()))

    event.listen(get_engine(), "before_cursor_execute", explain)
    try:
        page = payments.payments_page(user(demo["lawyer_id"]), size=2)
        payments.payments_page(user(demo["lawyer_id"]), avant=page.older, size=2)
    finally:
        event.remove(get_engine(), "before_cursor_execute", explain)
    if get_engine().dialect.name != "sqlite":
        pytest.skip("query plans checked on SQLite")
    assert plans
    for plan in plans:
        assert "ix_payment_firm_created" in plan, plan


def test_the_migration_creates_and_drops_the_index(tmp_path, monkeypatch):

    import sqlalchemy as sa
    from alembic import command


    cfg, url = alembic_config(tmp_path, monkeypatch)
    command.upgrade(cfg, "head")
    eng = sa.create_engine(url)

    def index() -> str | None:
        with eng.connect() as conn:
            return conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'ix_payment_firm_created'")).scalar()

    assert "(firm_id, created_at, id)" in (index() or "")
    assert "ix_payment_firm_created" in {ix.name for ix in Payment.__table__.indexes}
    command.downgrade(cfg, "b13e5a7c2d90")
    assert index() is None
    command.upgrade(cfg, "head")
    assert index() is not None
    eng.dispose()
