"""The attack suite's app: the real ASGI app of `espace.espace` (what Granian runs in
production: `app()`, middleware, HTTP routes in front of Reflex, lifespan tasks), served
by Granian's embedded server from a thread of the test process. No frontend is built
(REFLEX_SKIP_COMPILE) and no browser runs: the attackers speak Socket.IO and HTTP.

The app runs on a fresh DATA_DIR migrated and loaded with the demo data by the CLI
(`python -m espace migrate`, `python -m espace demo`, as tests/e2e/appserver.py does),
with a local Stripe (localstripe) for the payment handlers. The settings the app reads
at run time are pointed at that DATA_DIR for the module and restored afterwards, so that
the suite also runs among the other tests of `pytest tests`. With ESPACE_TEST_SCALE=1 the
database is a new PostgreSQL database (tests/infra.py); the tab states stay in memory
(Reflex reads its state manager's Redis address once, when the app is first imported).

Because the app is in the test process, the suite sees its writes (a SQLAlchemy listener,
`WriteRecorder`) and its log (a `logging.Handler`, `LogCapture`) directly."""
from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import infra
from tests.localstripe_helper import start_localstripe

ROOT = Path(__file__).resolve().parents[2]
SCALE = os.environ.get("ESPACE_TEST_SCALE") == "1"

LUCE = ("academy@secib.fr", "a12RJ3d11P")
MARC = ("marc.bertrand@example.com", "Bertrand-Demo-2024")
CLAIRE = ("claire.leroy@example.com", "Leroy-Demo-2024")

# What tests/e2e/appserver.py gives the app (its `_env`), as settings attributes.
SETTINGS = {
    "demo": True,
    "login_ip_max_failures": 1000,
    # Every attacker logs in from 127.0.0.1 without a device cookie.
    "login_events_per_address": 1000,
    "checks_per_address": 1000,
    "passkey_options_per_address": 1000,
    "outbox_poll_seconds": 1.0,
    "share_group_minutes": 0.25,
    "smtp_host": None,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- writes
# Tables (and columns) that record who did what, not business data.
# The outbox too: the app's worker writes emails (grouped shares, deposit notices) for
# earlier tests' actions while a case runs; every email a case could cause comes with
# a business row (message, request, client, share) that the checks see.
BOOKKEEPING = {"auth_session", "login_attempt", "login_failure", "pending_login", "webauthn_challenge",
               "audit_event", "one_time_token", "alembic_version", "outbox_email",
               "item_seen",  # what a client was shown of their own items (their « Nouveau » badges)
               "client_count"}  # their counts, derived from the rows above and the shared items
IGNORED_COLUMNS = {
    "outbox_email": {"status", "attempts", "next_attempt_at", "claimed_at", "claimed_by", "sent_at", "last_error"},
    "share_notice": {"notified_at"},
    "user": {"last_login_at", "previous_login_at"},
}

_WRITE = re.compile(r'^\s*(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SET = re.compile(r'\bSET\s+(.*?)(?:\s+WHERE\s|\s+RETURNING\s|$)', re.IGNORECASE | re.DOTALL)
_ASSIGNED = re.compile(r'"?(\w+)"?\s*=')


def business_write(statement: str) -> str | None:
    """The business table an SQL statement writes to (None: a read, or bookkeeping only:
    a bookkeeping table, or an UPDATE of ignored columns only)."""
    match = _WRITE.match(statement)
    if not match:
        return None
    table = match.group(2).lower()
    if table in BOOKKEEPING:
        return None
    if match.group(1).upper().startswith("UPDATE"):
        assigned = _SET.search(statement)
        columns = set(_ASSIGNED.findall(assigned.group(1))) if assigned else set()
        if columns and columns <= IGNORED_COLUMNS.get(table, set()):
            return None
    return table


class WriteRecorder:
    """Every committed INSERT/UPDATE/DELETE of a business table that changed rows, from
    any connection of the process (the app's threads included), in commit order. A
    write rolled back (a refusal after a row lock, `UPDATE firm SET name=name`) changed
    nothing: it is dropped with its transaction."""

    def __init__(self):
        self.writes: list[tuple[str, str]] = []
        self._pending: dict[int, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def after_cursor_execute(self, conn, cursor, statement, parameters, context, executemany):
        table = business_write(statement)
        if table is None:
            return
        verb = statement.lstrip().split(None, 1)[0].upper()
        # An UPDATE or DELETE that matched no row changed nothing (-1: unknown, counted).
        if verb in ("UPDATE", "DELETE") and cursor.rowcount == 0:
            return
        with self._lock:
            self._pending.setdefault(id(conn), []).append((table, " ".join(statement.split())[:200]))

    def commit(self, conn):
        with self._lock:
            self.writes += self._pending.pop(id(conn), [])

    def rollback(self, conn):
        with self._lock:
            self._pending.pop(id(conn), None)

    EVENTS = ("after_cursor_execute", "commit", "rollback")

    def listen(self) -> None:
        import sqlalchemy as sa

        for name in self.EVENTS:
            sa.event.listen(sa.engine.Engine, name, getattr(self, name))

    def remove(self) -> None:
        import sqlalchemy as sa

        for name in self.EVENTS:
            sa.event.remove(sa.engine.Engine, name, getattr(self, name))

    def mark(self) -> int:
        return len(self.writes)

    def since(self, mark: int) -> list[tuple[str, str]]:
        with self._lock:
            return self.writes[mark:]


# --------------------------------------------------------------------------- log
class LogCapture(logging.Handler):
    """The app's log records (every logger of the process), formatted as the server log
    would have them: message, then traceback."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record):
        try:
            text = self.format(record)
        except Exception:
            text = f"ERROR {record.name} unformattable record {record.msg!r}"
        self.lines.append(text)

    def mark(self) -> int:
        return len(self.lines)

    def since(self, mark: int) -> str:
        return "\n".join(self.lines[mark:])


# --------------------------------------------------------------------------- server
@dataclass
class Server:
    url: str  # where the app listens
    origin: str  # the app's public address (its allowed Origin)
    data_dir: Path
    env: dict
    writes: WriteRecorder
    log: LogCapture
    extra: dict = field(default_factory=dict)


class _GranianThread:
    """Granian's embedded server (the ASGI interface, with the app's lifespan) running
    the ASGI app on its own event loop in a thread."""

    def __init__(self, asgi_app, port: int):
        from granian.constants import Interfaces
        from granian.server.embed import Server as Embedded

        self.server = Embedded(asgi_app, address="127.0.0.1", port=port, interface=Interfaces.ASGI,
                               log_access=False)
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="attack-app", daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.serve())
        except BaseException as exc:
            self.error = exc
            logging.getLogger("attack-app").error("the server thread ended:\n%s", traceback.format_exc())

    def start(self, url: str) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start: {self.error!r}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.server.stop)
            self.thread.join(30)


def _prepare_data(data_dir: Path, env: dict) -> None:
    for command in ("migrate", "demo"):
        subprocess.run([sys.executable, "-m", "espace", command], cwd=ROOT, env=env, check=True,
                       capture_output=True, text=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from espace import db
    from espace.config import settings

    data_dir = tmp_path_factory.mktemp("attack-data")
    stripe = start_localstripe(data_dir / "localstripe.log")
    cleanups = [stripe.stop]
    writes, log = WriteRecorder(), LogCapture()
    try:
        db_url = None
        if SCALE:
            db_name, db_url = infra.create_database("espace_test_attack")
            cleanups.append(lambda: infra.drop_database(db_name))
        env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
               "DATA_DIR": str(data_dir), "DEMO": "1", **stripe.env,
               **({"REFLEX_DB_URL": db_url} if db_url else {})}
        _prepare_data(data_dir, env)
        with pytest.MonkeyPatch.context() as mp:
            for name, value in {**SETTINGS, "data_dir": data_dir, "db_url": db_url,
                                "stripe_api_base": stripe.url, "stripe_js_url": stripe.js_url}.items():
                mp.setattr(settings, name, value)
            settings.__dict__.pop("secret", None)
            db.reset_engine()
            # As espace/server.py: nothing compiled, no frontend mounted (none is built).
            from reflex.utils import prerequisites
            from reflex_base.environment import environment

            mp.setenv(environment.REFLEX_ENV_MODE.name, "prod")
            mp.setenv(environment.REFLEX_SKIP_COMPILE.name, "true")
            mp.setenv(environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.name, "false")
            # Reflex's backend writes its web directory (stateful pages): a private one, not the checkout's.
            mp.setenv(environment.REFLEX_WEB_WORKDIR.name, str(data_dir / "web"))

            app = prerequisites.get_app().app
            # `app()` mounts Reflex's app in the shared `routes.api` (App(api_transformer=...)):
            # put it back as it was for the tests that run after this module.
            from espace.http import routes

            api_before = (list(routes.api.router.routes), list(routes.api.user_middleware), routes.api.middleware_stack)
            asgi = app()
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            thread = _GranianThread(asgi, port)
            root = logging.getLogger()
            # The root logger, and the loggers that keep their records to themselves (Granian's).
            loggers = [root] + [logger for logger in root.manager.loggerDict.values()
                                if isinstance(logger, logging.Logger) and not logger.propagate]
            for logger in loggers:
                logger.addHandler(log)
            old_level = root.level
            root.setLevel(min(root.level, logging.INFO) if root.level else logging.INFO)
            old_hook = threading.excepthook

            def thread_hook(args):
                logging.getLogger("thread").error("uncaught in %s", args.thread,
                                                  exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

            threading.excepthook = thread_hook
            writes.listen()
            try:
                thread.start(url)
                yield Server(url, settings.public_url, data_dir, env, writes, log, {"app": app})
            finally:
                thread.stop()
                writes.remove()
                threading.excepthook = old_hook
                for logger in loggers:
                    logger.removeHandler(log)
                root.setLevel(old_level)
                db.reset_engine()
                settings.__dict__.pop("secret", None)
                routes.api.router.routes[:] = api_before[0]
                routes.api.user_middleware[:] = api_before[1]
                routes.api.middleware_stack = api_before[2]
    finally:
        for cleanup in reversed(cleanups):
            cleanup()
