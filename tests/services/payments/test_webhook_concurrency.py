"""The same Stripe event delivered twice at the same time, on PostgreSQL: applied once (the invoice
paid once, one audit entry, one receipt email), and the second delivery answered « duplicate »
(not an error that would make Stripe retry).

The two deliveries are made to overlap for sure, without touching the code: the test holds a lock
on the invoice's payment row (SELECT … FOR UPDATE from its own connection) while both deliveries
start, waits until PostgreSQL shows both of them waiting on a lock, then lets go."""
from __future__ import annotations

import concurrent.futures
import time

import psycopg
import pytest
from sqlmodel import select

from espace import db
from espace.config import settings
from espace.models import AuditEvent, Facture, FactureStatus, Firm, OutboxEmail, Payment, StripeEvent
from espace.services import payments
from espace.services.backup import schema
from espace.services.crypto import encrypt_secret
from tests.infra import postgres_database
from tests.services.payments.test_payments import _event, _sign

SECRET = "whsec_concurrency"


@pytest.fixture
def pg_shop(data_dir, monkeypatch):
    """The demo on a PostgreSQL database of its own (migrated with Alembic), firm 1 with a webhook
    secret and an open payment of 1 440,00 € for Luce's invoice FA-2024-0042."""
    from espace import demo

    with postgres_database() as url:
        monkeypatch.setattr(settings, "db_url", url)
        db.reset_engine()
        schema.migrate()
        ids = demo.load_demo()
        with db.session_scope() as s:
            firm = s.get(Firm, ids["firm_id"])
            firm.payments_enabled = True
            firm.stripe_webhook_secret_enc = encrypt_secret(SECRET)
            s.add(firm)
            facture = s.exec(select(Facture).where(Facture.number == "FA-2024-0042")).one()
            payment = Payment(firm_id=ids["firm_id"], facture_id=facture.id, user_id=ids["client_user_id"],
                              stripe_payment_intent_id="pi_concurrent", amount_cents=144000)
            s.add(payment)
            s.commit()
            yield {**ids, "url": url, "facture_id": facture.id, "payment_id": payment.id}
        db.reset_engine()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _deliver_at_once(shop, bodies: list[bytes]) -> list[str]:
    """Deliver the events from one thread each while the payment row is locked; let go once
    every delivery waits on a lock; return their outcomes."""
    dbname = shop["url"].rsplit("/", 1)[1]
    with psycopg.connect(_libpq(shop["url"])) as holder, \
            concurrent.futures.ThreadPoolExecutor(len(bodies)) as pool:
        holder.execute("SELECT id FROM payment WHERE id = %s FOR UPDATE", (shop["payment_id"],))
        futures = [pool.submit(payments.handle_webhook, body, _sign(body, SECRET), shop["firm_id"])
                   for body in bodies]
        deadline = time.time() + 20
        waiting = 0
        while time.time() < deadline and waiting < len(bodies):
            with psycopg.connect(_libpq(shop["url"]), autocommit=True) as probe:
                waiting = probe.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                    (dbname,)).fetchone()[0]
            time.sleep(0.05)
        print(f"deliveries waiting on a lock at the same time: {waiting}")
        assert waiting == len(bodies), "the deliveries did not overlap"
        holder.rollback()
        return sorted(f.result(timeout=30) for f in futures)


def _applied(shop) -> tuple:
    with db.session_scope() as s:
        facture = s.get(Facture, shop["facture_id"])
        return (facture.status, s.get(Payment, shop["payment_id"]).status,
                len(s.exec(select(AuditEvent).where(AuditEvent.action == "paiement")).all()),
                len(s.exec(select(OutboxEmail).where(OutboxEmail.template == "payment_receipt")).all()),
                len(s.exec(select(StripeEvent)).all()))


def test_the_same_event_twice_at_once_is_applied_once(pg_shop):
    body = _event("pi_concurrent", 144000, event_id="evt_twice")
    outcomes = _deliver_at_once(pg_shop, [body, body])
    print(f"outcomes of the two deliveries: {outcomes}; applied: {_applied(pg_shop)}")
    assert outcomes == ["duplicate", "paid"]
    assert _applied(pg_shop) == (FactureStatus.payee, "succeeded", 1, 1, 1)


def test_two_events_for_the_same_intent_at_once_pay_once(pg_shop):
    """Two distinct events (e.g. a resent one with a new id) naming the same intent."""
    first = _event("pi_concurrent", 144000, event_id="evt_one")
    second = _event("pi_concurrent", 144000, event_id="evt_two")
    outcomes = _deliver_at_once(pg_shop, [first, second])
    print(f"outcomes of the two events: {outcomes}; applied: {_applied(pg_shop)}")
    assert outcomes == ["ignored", "paid"]
    assert _applied(pg_shop) == (FactureStatus.payee, "succeeded", 1, 1, 2)
