"""Real PostgreSQL and Redis for the tests (never skipped: a configured but unreachable
server fails the run).

PostgreSQL: the machine's server (`ESPACE_TEST_PG`, default 127.0.0.1:5432, user
postgres, trust auth); each caller gets its own database, dropped afterwards.
Redis: a private `redis-server` process on a free port (nothing on disk), so that a
test can restart it without touching anyone else's."""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

PG_ADMIN = os.environ.get("ESPACE_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


def _pg_admin():
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # a failure, never a skip
        raise RuntimeError(f"PostgreSQL is required by this test and does not answer ({PG_ADMIN}): {exc}") from exc


def _pg_url(name: str) -> str:
    params = dict(part.split("=", 1) for part in PG_ADMIN.split())
    user = params.get("user", "postgres")
    return f"postgresql+psycopg://{user}@{params.get('host', '127.0.0.1')}:{params.get('port', '5432')}/{name}"


def create_database(prefix: str = "espace_test", template: str | None = None) -> tuple[str, str]:
    """A new empty database (or a copy of `template`): (name, SQLAlchemy URL)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name, _pg_url(name)


def drop_database(name: str) -> None:
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def postgres_database(prefix: str = "espace_test") -> Iterator[str]:
    """The SQLAlchemy URL of a database of its own, dropped on exit."""
    name, url = create_database(prefix)
    try:
        yield url
    finally:
        drop_database(name)


def migrate(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` with Alembic, as `python -m espace migrate` does
    (the app's alembic/env.py reads settings.database_url). No alembic.ini: its logging
    setup would replace pytest's."""
    from alembic import command
    from alembic.config import Config

    from espace.config import settings

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "alembic"))
    previous = settings.db_url
    settings.db_url = url
    try:
        command.upgrade(cfg, revision)
    finally:
        settings.db_url = previous


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server (no persistence) that a test may stop and start again
    on the same port."""

    def __init__(self, workdir: Path, port: int | None = None):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is required by this test and is not installed")
        self.binary = binary
        self.port = port or free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"redis-{self.port}.log", "a")  # noqa: SIM115 (the server writes to it)
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
