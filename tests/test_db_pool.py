"""The PostgreSQL pool of each process follows DB_POOL_SIZE / DB_MAX_OVERFLOW."""
from __future__ import annotations

from sqlalchemy import text

from espace import db
from espace.config import settings
from tests.infra import postgres_database


def test_the_postgresql_pool_follows_the_settings(data_dir, monkeypatch):
    with postgres_database() as url:
        monkeypatch.setattr(settings, "db_url", url)
        monkeypatch.setattr(settings, "db_pool_size", 3)
        monkeypatch.setattr(settings, "db_max_overflow", 1)
        db.reset_engine()
        engine = db.get_engine()
        try:
            held = [engine.connect() for _ in range(4)]
            for conn in held:
                assert conn.execute(text("SELECT 1")).scalar() == 1
            assert engine.pool.size() == 3 and engine.pool.overflow() == 1
            for conn in held:
                conn.close()
        finally:
            db.reset_engine()


def _state_of(url: str, pid: int) -> str:
    """What pg_stat_activity says of the backend `pid`, seen from another connection."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as other:
        row = other.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        return row[0] if row else "gone"


def test_reads_hold_no_transaction_and_writes_stay_atomic(data_dir, monkeypatch):
    """A read leaves its connection `idle`, not `idle in transaction` (no BEGIN was sent); the
    transaction begins at the first write or locking read and rolls back as a whole."""
    with postgres_database() as url:
        monkeypatch.setattr(settings, "db_url", url)
        db.reset_engine()
        try:
            with db.session_scope() as s:
                s.execute(text("CREATE TABLE t (x int)"))
                s.commit()
            with db.session_scope() as s:
                pid = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
                assert _state_of(url, pid) == "idle"  # a read: no transaction on the server
                s.execute(text("INSERT INTO t VALUES (1)"))
                assert _state_of(url, pid) == "idle in transaction"
                s.execute(text("INSERT INTO t VALUES (2)"))
                s.rollback()
            with db.read_scope() as conn:
                assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
                conn.execute(text("SELECT x FROM t FOR UPDATE"))
                pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
                assert _state_of(url, pid) == "idle in transaction"  # the lock is held till the end
        finally:
            db.reset_engine()


def test_a_connection_that_died_while_idle_is_replaced(data_dir, monkeypatch):
    """No ping at every checkout, yet a connection whose backend was terminated (a restart,
    a failover, pg_terminate_backend) is replaced before use: the server said so on its
    socket. One idle for IDLE_PING_SECONDS is pinged and replaced if dead."""
    import psycopg

    def kill(pid: int) -> None:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
            while other.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]:
                pass  # until the backend is gone

    def backend() -> int:
        with db.read_scope() as conn:
            return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())

    with postgres_database() as url:
        monkeypatch.setattr(settings, "db_url", url)
        db.reset_engine()
        try:
            first = backend()
            kill(first)
            second = backend()  # no error: replaced at checkout
            assert second != first
            monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every connection counts as idle
            kill(second)
            assert backend() not in (first, second)
        finally:
            db.reset_engine()
