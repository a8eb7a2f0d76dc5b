"""Real PostgreSQL and Redis for the tests (never skipped: a configured but unreachable
server fails the run).

PostgreSQL: the machine's server (`ESPACE_TEST_PG`, default 127.0.0.1:5432, user
postgres, trust auth); each caller gets its own database, dropped afterwards.
Redis: a private `redis-server` process on a free port (nothing on disk), so that a
test can restart it without touching anyone else's.
PostgreSQL to stop and start again (the database outage tests): `PostgresServer`, a private
cluster of its own (initdb in the test's directory, run as the `postgres` user when the tests
run as root), never the machine's server."""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
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


class ServerProcess:
    """A server the tests start in a process of its own on a free port, wait for, and
    may stop and start again on the same port. Subclasses give `argv()` and `ready()`."""

    name = "server"
    start_seconds = 10.0

    def __init__(self, workdir: Path, port: int | None = None):
        self.port = port or free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}-{self.port}.log"

    user: str | None = None  # run as this user (a root test run starting PostgreSQL)

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "a")  # noqa: SIM115 (the server writes to it)
        self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                     user=self.user)
        deadline = time.time() + self.start_seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} did not start:\n" + self.log_path.read_text()[-3000:])
            try:
                if self.ready():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer on port {self.port}")

    stop_signal = signal.SIGTERM

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
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


class RedisServer(ServerProcess):
    """A private redis-server (no persistence)."""

    name = "redis"

    def __init__(self, workdir: Path, port: int | None = None):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is required by this test and is not installed")
        self.binary = binary
        super().__init__(workdir, port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        return [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.workdir)]

    def ready(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _pg_bin() -> Path:
    """The directory of PostgreSQL's server programs (initdb, postgres)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        raise RuntimeError("PostgreSQL's initdb is required by this test and is not installed")
    return versions[-1].parent


class PostgresServer(ServerProcess):
    """A private PostgreSQL cluster (initdb in `workdir`, trust auth, no fsync) that a test may
    stop (fast shutdown: its clients' connections are cut) and start again on the same port."""

    name = "postgres"
    start_seconds = 60.0
    stop_signal = signal.SIGINT  # « fast » shutdown: does not wait for the app's connections to end

    def __init__(self, workdir: Path, port: int | None = None):
        super().__init__(workdir, port)
        self.bin = _pg_bin()
        self.data = workdir / "pgdata"
        if os.getuid() == 0:
            self.user = "postgres"  # PostgreSQL refuses to run as root
        workdir.mkdir(parents=True, exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            if self.user:
                shutil.chown(workdir, self.user)
            done = subprocess.run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                                   "-E", "UTF8", "--no-sync"], capture_output=True, text=True, user=self.user)
            if done.returncode != 0:
                raise RuntimeError(f"initdb failed in {self.data}:\n{done.stdout}{done.stderr}")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def argv(self) -> list[str]:
        return [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.workdir),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"]

    def ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.dsn, connect_timeout=1) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A real small filesystem (a tmpfs of `size`, e.g. "2m") mounted on `path` for the block,
    what was there hidden under it meanwhile: a full disk for the tests. Needs root (CI runs as
    root); a run that cannot mount it fails, it never skips."""
    import pytest

    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"a small disk is needed (mount a tmpfs, as root): {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)
