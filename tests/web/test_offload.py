"""web/offload.py: where a handler's database work runs, with what context, and what a
cancellation (a superseded page load) waits for."""
from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from espace.config import settings
from espace.web import offload

SEEN: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="")


def _where() -> tuple[str, str]:
    return threading.current_thread().name, SEEN.get()


def test_on_sqlite_the_work_stays_on_the_loop(data_dir, monkeypatch):
    async def main():
        SEEN.set("session of this event")
        return await offload.run(_where)

    from espace import db

    monkeypatch.setattr(settings, "db_url", None)  # SQLite in DATA_DIR, also when the run is on PostgreSQL
    monkeypatch.setattr(settings, "event_db_threads", None)
    db.reset_engine()
    assert db.handler_threads() == 0
    name, seen = asyncio.run(main())
    assert name == threading.current_thread().name and seen == "session of this event"


def test_with_threads_the_work_runs_in_one_with_the_events_context(data_dir, monkeypatch):
    monkeypatch.setattr(settings, "event_db_threads", 2)

    async def main():
        SEEN.set("session of this event")
        return await offload.run(_where)

    name, seen = asyncio.run(main())
    assert name.startswith("espace-db") and seen == "session of this event"


def test_an_error_of_the_work_is_raised_to_the_handler(data_dir, monkeypatch):
    monkeypatch.setattr(settings, "event_db_threads", 2)

    def fails():
        raise LookupError("introuvable")

    with pytest.raises(LookupError, match="introuvable"):
        asyncio.run(offload.run(fails))


def test_a_cancelled_wait_ends_only_once_the_thread_is_done(data_dir, monkeypatch):
    """Reflex cancels a superseded page load: the tab's state lock is let go when the task
    ends, so the task must not end while its thread still changes the state."""
    monkeypatch.setattr(settings, "event_db_threads", 2)
    started, finish = threading.Event(), threading.Event()
    changed: list[str] = []

    def work():
        started.set()
        assert finish.wait(10)
        changed.append("state")

    async def main():
        task = asyncio.create_task(offload.run(work))
        assert await asyncio.to_thread(started.wait, 10)
        task.cancel()
        for _ in range(20):
            await asyncio.sleep(0)
        still_running = not task.done()
        finish.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        return still_running

    assert asyncio.run(main()) is True  # cancelled while the thread ran: the task waited for it
    assert changed == ["state"]


def test_on_postgresql_the_work_runs_in_as_many_threads_as_the_pool_keeps(data_dir, monkeypatch):
    from espace import db
    from tests.infra import postgres_database

    with postgres_database() as url:
        monkeypatch.setattr(settings, "db_url", url)
        monkeypatch.setattr(settings, "db_pool_size", 3)
        monkeypatch.setattr(settings, "event_db_threads", None)
        db.reset_engine()
        try:
            assert db.handler_threads() == 3
            name, _ = asyncio.run(offload.run(_where))
            assert name.startswith("espace-db") and offload.pool_size() == 3
            monkeypatch.setattr(settings, "event_db_threads", 8)  # more threads: a pool as large
            db.reset_engine()
            assert db.get_engine().pool.size() == 8
        finally:
            db.reset_engine()
