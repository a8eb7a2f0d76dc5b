"""The durable email outbox.

`enqueue` writes an email row in the caller's transaction: the email exists if and
only if what it announces was committed. The worker delivers the rows:
`run_once` (one pass), `worker_loop` (every OUTBOX_POLL_SECONDS, started by the
app's lifespan in every backend process through `app_worker`), or the standalone
`python -m espace worker`. Each pass also turns the due share notices into emails
(services/mail/share_notices.flush_due). `enqueue` lives in queueing.py.

Life of a row: pending -> sending (claimed: claimed_by, claimed_at) -> sent.
A refusal, an unreachable server or any other error: attempts + 1, last_error,
back to pending with next_attempt_at = now + OUTBOX_BACKOFF_SECONDS * 2**attempts
(at most one hour); failed after OUTBOX_MAX_ATTEMPTS attempts (the row is kept:
`python -m espace outbox-status`).

Several processes may run workers at once. Claiming is atomic: on PostgreSQL
SELECT ... FOR UPDATE SKIP LOCKED then UPDATE in one transaction; on SQLite one
guarded UPDATE per row (writes are serialised, so only one process matches the
guard). A row left in 'sending' by a crashed worker is claimed again once its
lease (LEASE, renewed just before each send) has expired. Every outcome is
written with a guard on the claim (claimed_by and claimed_at), so a worker whose
lease was taken over cannot overwrite the new owner's result.

Delivery guarantee: a refused or failed send is never recorded as sent and a sent
row is never claimed again, so retries after refusals deliver each email exactly
once. One window cannot be closed: between the SMTP server accepting a message
and the row being marked sent, a crash of the process (or of its database
connection) leaves the row in 'sending'; after the lease it is sent again. At
that boundary the guarantee is at-least-once.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
import threading
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select

from espace.config import settings
from espace.db import get_engine, session_scope
from espace.models import OutboxEmail, utcnow
from espace.services.mail import mailer, share_notices
from espace.services.mail.queueing import enqueue as enqueue  # the callers' entry point

log = logging.getLogger("espace.outbox")

LEASE = timedelta(minutes=5)  # a claim older than this belongs to a dead worker
MAX_BACKOFF_SECONDS = 3600
BATCH = 20  # rows claimed per pass
ERROR_MAX = 1000  # characters of last_error kept

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATUSES = (PENDING, SENDING, SENT, FAILED)

_PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def default_worker_id() -> str:
    """host:pid:random, different for every process (also after a fork)."""
    global _PROCESS_ID
    if _PROCESS_ID.split(":")[1] != str(os.getpid()):
        _PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    return _PROCESS_ID


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(col(OutboxEmail.status) == PENDING, col(OutboxEmail.next_attempt_at) <= now),
        and_(col(OutboxEmail.status) == SENDING, col(OutboxEmail.claimed_at) < now - LEASE),
    )


def _mine(row: OutboxEmail) -> ColumnElement[bool]:
    """The guard of every write by the worker holding `row`'s claim."""
    return and_(col(OutboxEmail.id) == row.id, col(OutboxEmail.status) == SENDING,
                col(OutboxEmail.claimed_by) == row.claimed_by, col(OutboxEmail.claimed_at) == row.claimed_at)


def claim_due(limit: int = BATCH, worker_id: str | None = None) -> list[OutboxEmail]:
    """Claim up to `limit` due rows for `worker_id`: pending rows whose time has
    come, and rows in 'sending' whose lease expired (crashed worker). A row is
    claimed by one worker only, whatever the number of processes."""
    worker_id = worker_id or default_worker_id()
    now = utcnow()
    order = (col(OutboxEmail.next_attempt_at), col(OutboxEmail.id))
    with session_scope() as s:
        if get_engine().dialect.name == "postgresql":
            rows = s.exec(
                select(OutboxEmail).where(_due(now)).order_by(*order).limit(limit).with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                if row.status == SENDING:
                    log.warning("outbox reclaiming email=%s from %s (lease expired)", row.id, row.claimed_by)
                row.status, row.claimed_by, row.claimed_at = SENDING, worker_id, now
                s.add(row)
            s.commit()
            return list(rows)

        # SQLite: take each candidate with an UPDATE guarded on what was seen; a
        # row claimed (or processed) by someone else in between no longer matches.
        seen = s.connection().execute(
            core_select(col(OutboxEmail.id), col(OutboxEmail.status), col(OutboxEmail.attempts),
                        col(OutboxEmail.claimed_by), col(OutboxEmail.claimed_at))
            .where(_due(now)).order_by(*order).limit(limit)
        ).all()
        s.rollback()
        won: list[int | None] = []
        for row_id, status, attempts, claimed_by, claimed_at in seen:
            guard = [col(OutboxEmail.id) == row_id, col(OutboxEmail.status) == status,
                     col(OutboxEmail.attempts) == attempts, _due(now),
                     col(OutboxEmail.claimed_at).is_(None) if claimed_at is None
                     else col(OutboxEmail.claimed_at) == claimed_at]
            result = s.exec(
                update(OutboxEmail).where(*guard).values(status=SENDING, claimed_by=worker_id, claimed_at=now)
            )
            s.commit()
            if result.rowcount == 1:
                if status == SENDING:
                    log.warning("outbox reclaiming email=%s from %s (lease expired)", row_id, claimed_by)
                won.append(row_id)
        if not won:
            return []
        return list(s.exec(select(OutboxEmail).where(col(OutboxEmail.id).in_(won)).order_by(*order)).all())


def _write(row: OutboxEmail, **values: object) -> bool:
    """Update the row if this worker still holds its claim."""
    with session_scope() as s:
        result = s.exec(update(OutboxEmail).where(_mine(row)).values(**values))
        s.commit()
        return result.rowcount == 1


def backoff(attempts_before: int) -> timedelta:
    """Delay before the next attempt, after `attempts_before` earlier failures."""
    seconds = settings.outbox_backoff_seconds * (2 ** min(attempts_before, 30))
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def _error_text(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, mailer.MailError) else f"{type(exc).__name__}: {exc}"
    return text[:ERROR_MAX]


def deliver(row: OutboxEmail) -> bool:
    """Send one claimed row and record the outcome. True when sent."""
    # A fresh lease for the send itself, so a long batch cannot let it expire.
    renewed = utcnow()
    if not _write(row, claimed_at=renewed):
        log.warning("outbox email=%s no longer claimed by %s: skipped", row.id, row.claimed_by)
        return False
    row.claimed_at = renewed
    try:
        context = json.loads(row.context_json or "{}")
        reference = mailer.send(row.to, row.subject, row.template, context,
                                reply_to=row.reply_to, sender_name=row.sender_name)
    except Exception as exc:
        attempts = row.attempts + 1
        final = attempts >= settings.outbox_max_attempts
        error = _error_text(exc)
        retry_at = utcnow() + backoff(row.attempts)
        values: dict[str, object] = dict(attempts=attempts, last_error=error, claimed_by=None, claimed_at=None,
                                         status=FAILED if final else PENDING)
        if not final:
            values["next_attempt_at"] = retry_at
        recorded = _write(row, **values)
        if final:
            log.error("outbox email=%s template=%s to=%s failed for good after %s attempts: %s",
                      row.id, row.template, row.to, attempts, error, exc_info=exc)
        else:
            log.warning("outbox email=%s template=%s to=%s attempt %s failed, retry at %s: %s",
                        row.id, row.template, row.to, attempts, retry_at.isoformat(), error)
        if not recorded:
            log.warning("outbox email=%s failure not recorded: claim lost by %s", row.id, row.claimed_by)
        return False
    # Once delivered, the context (links with tokens, a temporary password) is dropped.
    if not _write(row, status=SENT, sent_at=utcnow(), last_error=None, context_json="{}"):
        # Sent, but the lease was taken over meanwhile: the new owner may send it again.
        log.error("outbox email=%s sent by %s after losing its claim: possible duplicate", row.id, row.claimed_by)
    else:
        log.info("outbox email=%s template=%s sent attempt=%s ref=%s", row.id, row.template, row.attempts + 1,
                 reference)
    return True


def _release(row: OutboxEmail) -> None:
    """Give back a claimed row that was not attempted (the worker is stopping)."""
    _write(row, status=PENDING, claimed_by=None, claimed_at=None)


def _pass(worker_id: str | None = None, stop: threading.Event | None = None) -> tuple[int, bool]:
    """One pass: due share notices into emails, then one batch of due emails.
    Returns (emails sent, whether the batch was full)."""
    worker_id = worker_id or default_worker_id()
    try:
        with session_scope() as s:
            share_notices.flush_due(s)
    except Exception:
        log.exception("share notices could not be flushed worker=%s", worker_id)
    rows = claim_due(BATCH, worker_id)
    sent = 0
    for i, row in enumerate(rows):
        if stop is not None and stop.is_set():
            for rest in rows[i:]:
                _release(rest)
            break
        try:
            sent += deliver(row)
        except Exception:
            # The database failed: the row stays claimed and is retried after its lease.
            log.exception("outbox email=%s could not be processed worker=%s", row.id, worker_id)
    return sent, len(rows) >= BATCH


def run_once(worker_id: str | None = None, stop: threading.Event | None = None) -> int:
    """Process what is due now (share notices, then emails). Returns the number
    of emails sent."""
    return _pass(worker_id, stop)[0]


async def worker_loop(stop_event: asyncio.Event | None = None, worker_id: str | None = None) -> None:
    """Run passes every OUTBOX_POLL_SECONDS until `stop_event` is set (or the task
    is cancelled). The blocking work runs in a thread; on stop, the email being
    sent is finished and the rest of the batch is given back."""
    stop_event = stop_event or asyncio.Event()
    worker_id = worker_id or default_worker_id()
    thread_stop = threading.Event()
    log.info("outbox worker started id=%s poll=%ss", worker_id, settings.outbox_poll_seconds)
    try:
        while not stop_event.is_set():
            full = False
            try:
                _, full = await asyncio.to_thread(_pass, worker_id, thread_stop)
            except Exception:
                log.exception("outbox pass failed worker=%s", worker_id)
            if full:
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop_event.wait(), timeout=settings.outbox_poll_seconds)
    finally:
        thread_stop.set()
        log.info("outbox worker stopped id=%s", worker_id)


@contextlib.asynccontextmanager
async def app_worker() -> AsyncIterator[None]:
    """Lifespan task of the app: one worker loop per backend process, stopped
    (current email finished) when the server shuts down."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker_loop(stop), name="outbox-worker")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=4)
        except (TimeoutError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("outbox worker ended with an error")


def status_counts() -> dict[str, int]:
    """Number of rows per status (all statuses listed)."""
    with session_scope() as s:
        rows = s.exec(select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)).all()
    counts = Counter({status: 0 for status in STATUSES})
    counts.update(dict(rows))
    return dict(counts)
