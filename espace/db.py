"""The database engine and sessions, shared by the app, the API routes, the CLI and tests."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine

from espace.config import settings

log = logging.getLogger("espace.db")

R = TypeVar("R")
CONNECT_SECONDS = 5  # a new PostgreSQL connection: given up after this (the server does not answer)
CHECKOUT_SECONDS = 10  # waiting for a free connection of the pool (every one busy)
_engine: Engine | None = None


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        url = settings.database_url
        if url.startswith("sqlite"):
            _private_sqlite_file(url)
            _engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

            @event.listens_for(_engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.close()
        else:
            # At least one connection per handler thread: a page event never waits for the pool.
            pool_size = max(settings.db_pool_size, settings.event_db_threads or 0)
            # A server that does not answer (down, unreachable) fails a checkout in seconds:
            # the user is told at once (database_unavailable) instead of waiting on a hung connect.
            _engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size,
                                    max_overflow=settings.db_max_overflow, pool_timeout=CHECKOUT_SECONDS,
                                    connect_args={"connect_timeout": CONNECT_SECONDS})
    return _engine


def _private_sqlite_file(url: str) -> None:
    """DATA_DIR 0700 and the database file created 0600 before SQLite creates it (its
    -wal and -shm files take the database's mode)."""
    from sqlalchemy.engine import make_url

    from espace.private_files import private_dir, touch_private

    private_dir(settings.data_dir)
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        private_dir(path.parent)
        touch_private(path)


def handler_threads() -> int:
    """Threads that run the event handlers' database work (espace/web/offload.py):
    EVENT_DB_THREADS, else DB_POOL_SIZE on PostgreSQL and 0 (on the event loop) on SQLite."""
    return threads_for(get_engine().dialect.name)


def threads_for(dialect: str) -> int:
    """handler_threads() for an engine of that dialect."""
    if settings.event_db_threads is not None:
        return settings.event_db_threads
    return 0 if dialect == "sqlite" else settings.db_pool_size


def reset_engine() -> None:
    """Forget the engine (tests point DATA_DIR elsewhere)."""
    global _engine
    if _engine is not None:
        _engine.dispose()
    _engine = None


@contextmanager
def session_scope() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


@contextmanager
def read_scope() -> Iterator[Connection]:
    """A plain connection for a read path of Core selects (no ORM session to set up)."""
    with get_engine().connect() as connection:
        yield connection


def connection_lost(exc: BaseException | None) -> bool:
    """Whether `exc` (or an exception it comes from) is a database connection that died (a
    PostgreSQL restart or failover, a killed backend, a network cut): SQLAlchemy has then
    invalidated the connection, its transaction was rolled back by the server, and the pool
    opens a new one for the next checkout."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` (or an exception it comes from) says the database cannot be used now: a
    connection that died (`connection_lost`), a server that refuses or does not answer
    (OperationalError, InterfaceError: SQLite's locked or missing file too), or no free
    connection in the pool (its timeout). Nothing of the action was written: its transaction
    never began or was rolled back."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
            return True
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def read_again_if_lost(read: Callable[..., R], *args: Any) -> R:
    """`read(*args)`, run once more on a new connection when its connection died. Only for
    reads (or writes that are safe to repeat): the server rolled back what the dead
    connection had begun."""
    try:
        return read(*args)
    except Exception as exc:
        if not connection_lost(exc):
            raise
        log.warning("database connection lost during %s, read again", getattr(read, "__qualname__", read))
    return read(*args)
