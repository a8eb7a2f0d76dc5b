"""The database engine and sessions, shared by the app, the API routes, the CLI and tests."""
from __future__ import annotations

import logging
import re
import select
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
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
            _engine = create_engine(url, pool_size=pool_size, max_overflow=settings.db_max_overflow,
                                    pool_use_lifo=True, pool_recycle=RECYCLE_SECONDS, pool_timeout=CHECKOUT_SECONDS,
                                    connect_args={"connect_timeout": CONNECT_SECONDS})
            _ping_when_idle(_engine)
            _begin_at_first_write(_engine)
    return _engine


# Round trips (issue 21, item 3): a tab waits for each of its round trips to PostgreSQL one
# after the other. SQLAlchemy's pool_pre_ping costs one at EVERY checkout (two or three per
# navigation); instead a connection is pinged only when it sat unused in the pool for
# IDLE_PING_SECONDS (a restart or failover while the site was quiet, a firewall's idle cut)
# or when the server sent it something meanwhile (a terminated backend says so before it
# closes: seen on the socket, without a round trip), and the pool hands out the most recently used connection first (LIFO: the busy ones stay
# warm, the spare ones go idle and get pinged or recycled). A connection that died silently
# (a network cut) fails its first statement: SQLAlchemy invalidates it and every connection of the pool
# older than it (one failure per blip), page loads and the session checks run once more on
# a new connection (web/access.py `_retrying`, `read_again_if_lost`), a write gets
# errors.DB_LOST_MESSAGE (tests/e2e/test_faults.py::test_database_blips_while_browsing).
IDLE_PING_SECONDS = 10.0
RECYCLE_SECONDS = 1800
_RETURNED = "espace_returned"


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None:
            return  # just opened
        if time.monotonic() - returned < IDLE_PING_SECONDS and not _spoke_while_idle(dbapi_conn):
            return  # used moments ago, and the server has said nothing since
        if not _alive(engine, dbapi_conn):
            raise DisconnectionError("idle connection found dead")  # the pool opens a new one


# A page's reads need no transaction: under READ COMMITTED (PostgreSQL's default, the
# app's) each statement of a transaction sees the database as of its own start, exactly as
# outside one. So a connection is handed out in autocommit and its transaction begins at
# its first statement that is not a plain SELECT (a write, a SELECT … FOR UPDATE, a SET
# TRANSACTION, a SAVEPOINT, a read through a server-side cursor: stream_results): psycopg
# sends `BEGIN` just before it, and the commit or the rollback ends it as before. A
# read-only event saves its `BEGIN` and its `ROLLBACK` (or `COMMIT`): two round trips per
# connection; a writing one keeps its atomicity. Reads that must share one snapshot
# (the backup) say so first (`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`).
_LOCKING_READ = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)


def _begin_at_first_write(engine: Engine) -> None:
    @event.listens_for(engine, "checkout")
    def _no_transaction_yet(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        dbapi_conn.autocommit = True

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_if_needed(conn: Connection, cursor: Any, statement: str, *_args: Any) -> None:
        dbapi_conn: Any = conn.connection.dbapi_connection
        if not dbapi_conn.autocommit or conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # in a transaction already, or asked to stay out of one
        if (statement.lstrip()[:6].upper() == "SELECT" and not _LOCKING_READ.search(statement)
                and getattr(cursor, "name", None) is None):  # a server-side cursor lives in a transaction
            return
        dbapi_conn.autocommit = False  # the transaction begins with this statement


def _spoke_while_idle(dbapi_conn: Any) -> bool:
    """Whether the server sent something to an idle connection (no round trip: a look at
    its socket). A backend that is terminated (pg_terminate_backend, a restart, a failover)
    says so and closes the connection: its socket becomes readable."""
    try:
        socket = dbapi_conn.pgconn.socket
    except Exception:  # closed already
        return True
    return bool(select.select([socket], [], [], 0)[0])


def _alive(engine: Engine, dbapi_conn: Any) -> bool:
    """One round trip, outside any transaction (psycopg would begin one for the ping)."""
    dialect = engine.dialect
    try:
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        try:
            dialect.do_ping(dbapi_conn)
        finally:
            dbapi_conn.autocommit = autocommit
    except dialect.loaded_dbapi.Error as exc:
        if dialect.is_disconnect(exc, dbapi_conn, None):
            return False
        raise
    return True


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
