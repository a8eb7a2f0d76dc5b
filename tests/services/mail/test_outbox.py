"""The durable outbox against a real SMTP server that refuses for a while: every
email is delivered exactly once, across retries, restarts and concurrent workers."""
from __future__ import annotations

import email
import email.policy
import logging
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from espace import db
from espace.config import settings
from espace.db import session_scope
from espace.models import OutboxEmail, utcnow
from espace.services.mail import outbox
from tests import infra

LINK = "https://portail.example.org/reinitialiser?jeton=abc"


class FlakyServer:
    """Answers "451 try later" to the first `refuse` messages, then accepts."""

    def __init__(self, refuse: int = 0, delay: float = 0.0):
        self.refuse = refuse
        self.delay = delay
        self.calls = 0
        self.received: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.calls += 1
            refuse = self.calls <= self.refuse
            if not refuse:
                self.received.append(
                    email.message_from_bytes(envelope.original_content, policy=email.policy.default)
                )
        if self.delay:
            time.sleep(self.delay)
        return "451 try later" if refuse else "250 OK"

    def recipients(self) -> Counter:
        return Counter(str(m["To"]) for m in self.received)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    controllers = []

    def start(refuse: int = 0, delay: float = 0.0) -> FlakyServer:
        handler = FlakyServer(refuse, delay)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        for name, value in [("smtp_host", "127.0.0.1"), ("smtp_port", controller.port), ("smtp_tls", False),
                            ("smtp_ssl", False), ("smtp_user", None), ("smtp_password", None)]:
            monkeypatch.setattr(settings, name, value)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def no_backoff(monkeypatch):
    monkeypatch.setattr(settings, "outbox_backoff_seconds", 0)


def queue(*addresses: str) -> list[int]:
    with session_scope() as s:
        rows = [outbox.enqueue(s, to, f"Sujet {to}", "password_reset", {"link": LINK, "name": to}) for to in addresses]
        s.commit()
        return [r.id for r in rows]


def rows() -> list[OutboxEmail]:
    with session_scope() as s:
        return list(s.exec(select(OutboxEmail).order_by(OutboxEmail.id)).all())


def drain(worker_id: str | None = None, passes: int = 50) -> int:
    sent = 0
    for _ in range(passes):
        sent += outbox.run_once(worker_id)
        if all(r.status in ("sent", "failed") for r in rows()):
            break
    return sent


def assert_each_delivered_once(server: FlakyServer, addresses) -> None:
    assert server.recipients() == Counter(addresses), "each email exactly once"
    ids = [m["Message-ID"] for m in server.received]
    assert len(set(ids)) == len(ids)
    assert all(r.status == "sent" and r.sent_at is not None for r in rows())


def test_refusing_server_then_each_email_exactly_once(engine, smtp, no_backoff, caplog):
    server = smtp(refuse=4)
    addresses = ["a@example.org", "b@example.org", "c@example.org"]
    queue(*addresses)
    caplog.set_level(logging.INFO)

    assert outbox.run_once() == 0  # refused: 451 for all three
    assert [r.status for r in rows()] == ["pending"] * 3
    assert all(r.attempts == 1 and "451" in r.last_error for r in rows())

    assert drain() == 3  # one more refusal, then all three accepted
    assert_each_delivered_once(server, addresses)
    assert server.calls == 4 + 3
    assert sum(r.attempts for r in rows()) == 4  # every refusal recorded on its email
    assert outbox.run_once() == 0 and len(server.received) == 3  # nothing sent twice
    assert outbox.status_counts() == {"pending": 0, "sending": 0, "sent": 3, "failed": 0}
    assert any("451" in r.getMessage() and r.name == "espace.outbox" for r in caplog.records)


def test_backoff_waits_and_doubles(engine, smtp, monkeypatch):
    monkeypatch.setattr(settings, "outbox_backoff_seconds", 30)
    server = smtp(refuse=2)
    [row_id] = queue("a@example.org")

    before = utcnow()
    assert outbox.run_once() == 0
    [row] = rows()
    assert timedelta(seconds=29) < row.next_attempt_at - before < timedelta(seconds=32)
    assert outbox.run_once() == 0 and server.calls == 1  # not due yet: the server is left alone

    def time_passes():
        with session_scope() as s:
            r = s.get(OutboxEmail, row_id)
            r.next_attempt_at = utcnow() - timedelta(seconds=1)
            s.add(r)
            s.commit()

    time_passes()
    before = utcnow()
    assert outbox.run_once() == 0
    [row] = rows()
    assert row.attempts == 2
    assert timedelta(seconds=59) < row.next_attempt_at - before < timedelta(seconds=62)
    assert outbox.backoff(20) == timedelta(hours=1)  # capped

    time_passes()
    assert outbox.run_once() == 1
    assert_each_delivered_once(server, ["a@example.org"])


def test_gives_up_after_max_attempts_and_keeps_the_row(engine, smtp, no_backoff, monkeypatch, caplog):
    monkeypatch.setattr(settings, "outbox_max_attempts", 3)
    server = smtp(refuse=1000)
    queue("a@example.org")
    caplog.set_level(logging.INFO)
    for _ in range(6):
        outbox.run_once()
    [row] = rows()
    assert (row.status, row.attempts) == ("failed", 3)
    assert server.calls == 3 and server.received == []
    assert outbox.status_counts()["failed"] == 1
    assert any(r.levelno == logging.ERROR and "failed for good" in r.getMessage() for r in caplog.records)


def test_restart_takes_over_expired_claims_once(engine, smtp, no_backoff):
    """A worker stopped while its rows were 'sending': after the lease, a new
    worker (new id) delivers them once; a fresh claim is left to its owner."""
    server = smtp()
    addresses = ["a@example.org", "b@example.org", "c@example.org"]
    ids = queue(*addresses)
    dead = outbox.claim_due(10, "dead-worker")
    assert [r.id for r in dead] == ids
    assert outbox.claim_due(10, "other") == []  # claimed: nobody else takes them
    with session_scope() as s:
        for row_id in ids[:2]:  # the lease of two of them expired
            r = s.get(OutboxEmail, row_id)
            r.claimed_at = utcnow() - outbox.LEASE - timedelta(seconds=1)
            s.add(r)
        s.commit()

    assert outbox.run_once("restarted") == 2
    assert server.recipients() == Counter(addresses[:2])
    assert [r.status for r in rows()] == ["sent", "sent", "sending"]

    # The first worker was only slow: its two taken-over rows are not sent again...
    for stale in dead[:2]:
        assert outbox.deliver(stale) is False
    assert len(server.received) == 2
    # ...and the row it still holds is its own to send, once.
    assert outbox.deliver(dead[2]) is True
    assert drain("restarted-again") == 0
    assert_each_delivered_once(server, addresses)


def test_stopping_worker_gives_back_its_batch(engine, smtp):
    server = smtp()
    queue("a@example.org", "b@example.org")
    stop = threading.Event()
    stop.set()
    assert outbox.run_once("stopping", stop=stop) == 0
    assert [(r.status, r.claimed_by) for r in rows()] == [("pending", None)] * 2
    assert outbox.run_once() == 2 and len(server.received) == 2


def test_worker_loop_delivers_and_stops(engine, smtp, no_backoff, monkeypatch):
    import asyncio

    monkeypatch.setattr(settings, "outbox_poll_seconds", 0.05)
    server = smtp(refuse=2)
    addresses = ["a@example.org", "b@example.org"]
    queue(*addresses)

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(outbox.worker_loop(stop))
        for _ in range(200):
            if len(server.received) == 2:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    asyncio.run(scenario())
    assert_each_delivered_once(server, addresses)


def test_cli_outbox_status_and_worker_once(engine, data_dir):
    queue("a@example.org")
    env = {"DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin",
           **({"REFLEX_DB_URL": settings.db_url} if settings.db_url else {})}  # PostgreSQL in scale mode
    run = lambda *a: subprocess.run([sys.executable, "-m", "espace", *a], env=env, capture_output=True,  # noqa: E731
                                    text=True, check=True).stdout
    assert "pending       1" in run("outbox-status")
    assert "E-mails envoyés : 1" in run("worker", "--once")
    out = run("outbox-status")
    assert "pending       0" in out and "sent          1" in out
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 1


# --------------------------------------------------------------------------- several workers
def _concurrent_workers(server: FlakyServer, count: int = 20, workers: int = 2) -> None:
    addresses = [f"client{i}@example.org" for i in range(count)]
    queue(*addresses)
    errors: list[BaseException] = []

    def work(worker_id: str) -> None:
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                outbox.run_once(worker_id)
                if all(r.status == "sent" for r in rows()):
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not errors, errors
    assert_each_delivered_once(server, addresses)


def test_two_workers_on_sqlite_deliver_each_email_once(engine, smtp, no_backoff):
    _concurrent_workers(smtp(refuse=5, delay=0.01))


@pytest.fixture
def postgres(data_dir, monkeypatch):
    """A PostgreSQL database of its own, migrated with Alembic (fails when PostgreSQL
    does not answer: tests/infra.py)."""
    name, url = infra.create_database()
    try:
        infra.migrate(url)
        monkeypatch.setattr(settings, "db_url", url)
        db.reset_engine()
        yield name
    finally:
        db.reset_engine()
        infra.drop_database(name)


def test_two_workers_on_postgresql_deliver_each_email_once(postgres, smtp, no_backoff):
    assert db.get_engine().dialect.name == "postgresql"
    _concurrent_workers(smtp(refuse=5, delay=0.01))
