"""A handler waiting for PostgreSQL does not hold the worker's event loop (issue 21, item 3).

The real app in this process (tests/attack/conftest.py's `server`: the ASGI app, the
real websocket), on PostgreSQL. Another connection takes a lock on `dossier` and keeps it
in `pg_sleep`; the client's home load then waits for that lock in PostgreSQL (seen in
`pg_stat_activity`). Meanwhile the same worker answers `/ping` and serves another tab its
page, and the waiting tab gets nothing before its load is done; once the lock is let go,
the waiting tab gets its home as usual. With the handlers run on the loop
(EVENT_DB_THREADS=0, what every handler did before), the worker answers nobody while
the lock is held: the same detector sees it.

PostgreSQL only (ESPACE_TEST_SCALE=1, CI's services-pg phase): SQLite runs the handlers
on the loop by design (web/offload.py), and its readers are never blocked by a lock."""
from __future__ import annotations

import contextlib
import os
import threading
import time
import urllib.request

import pytest
import sqlalchemy as sa

from tests.attack.conftest import LUCE, MARC, server  # noqa: F401 (the in-process app)
from tests.attack.reflex_socket import ReflexSocket, login_cookie
from tests.attack.test_round_trips import HOME

pytestmark = pytest.mark.skipif(os.environ.get("ESPACE_TEST_SCALE") != "1",
                                reason="PostgreSQL only (ESPACE_TEST_SCALE=1)")

@pytest.fixture(scope="module", autouse=True)
def _api_not_started():
    """Tests that ran before in this process (a TestClient) may have started the shared
    Starlette app: `server` mounts Reflex in it, which needs it not started yet (it is
    rebuilt at the next request, and `server` puts this back afterwards)."""
    from espace.http import routes

    routes.api.middleware_stack = None


WAIT_S = 30.0  # the longest any visible state below is waited for
PONG = '"pong"'  # what /ping answers (JSON)


class HeldLock:
    """`LOCK TABLE dossier` in another connection, held in `pg_sleep` until `release()`
    cancels the sleep (its transaction then rolls back); let go after WAIT_S anyway."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.pid: int | None = None
        self.held = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        with self.engine.connect() as con:
            self.pid = con.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            con.execute(sa.text("LOCK TABLE dossier IN ACCESS EXCLUSIVE MODE"))
            self.held.set()
            with contextlib.suppress(sa.exc.DBAPIError):  # cancelled by release()
                con.execute(sa.text(f"SELECT pg_sleep({WAIT_S})"))
            con.rollback()

    def __enter__(self) -> HeldLock:
        self.thread.start()
        assert self.held.wait(WAIT_S), "the lock was not taken"
        return self

    def waiters(self) -> int:
        """Connections of the app waiting for a lock, now."""
        with self.engine.connect() as con:
            return con.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> :me"), {"me": self.pid}).scalar_one()

    def until_waited_for(self) -> None:
        deadline = time.monotonic() + WAIT_S
        while self.waiters() == 0:
            assert time.monotonic() < deadline, "no handler came to wait for the lock"
            time.sleep(0.02)

    def release(self) -> None:
        if self.thread.is_alive() and self.pid is not None:
            with self.engine.connect() as con:
                con.execute(sa.text("SELECT pg_cancel_backend(:pid)"), {"pid": self.pid})
        self.thread.join(WAIT_S)

    def __exit__(self, *exc) -> None:
        self.release()
        self.engine.dispose()


def _ping(url: str, answers: list[str]) -> threading.Thread:
    """GET /ping from a thread; its answer is appended to `answers` when it comes."""
    def get() -> None:
        with urllib.request.urlopen(f"{url}/ping", timeout=WAIT_S * 2) as answer:
            answers.append(answer.read().decode())

    thread = threading.Thread(target=get, daemon=True)
    thread.start()
    return thread


def _home_updates(sock: ReflexSocket, start: int) -> list[dict]:
    home = HOME.rsplit(".", 1)[-1]
    return [u for u in sock.updates[start:] if any(k.endswith(home) for k in u.get("delta", {}))]


def _open_home(server) -> ReflexSocket:  # noqa: F811
    """Luce's tab on her home, left (`leave`): its next load sends the whole page again."""
    cookie = login_cookie(server.url, *LUCE, origin=server.origin)
    sock = ReflexSocket(server.url, cookie, "/accueil", origin=server.origin)
    sock.send(f"{HOME}.leave", {}, "/accueil")
    sock.settle()
    return sock


def test_the_loop_serves_others_while_a_handler_waits_for_postgresql(server):  # noqa: F811
    sock = _open_home(server)
    other = None
    try:
        with HeldLock(server.env["REFLEX_DB_URL"]) as lock:
            start = len(sock.updates)
            sock.send(f"{HOME}.load", {}, "/accueil")
            lock.until_waited_for()  # the home's read waits in PostgreSQL

            answers: list[str] = []
            _ping(server.url, answers).join(WAIT_S)
            assert answers == [PONG]  # the worker answered while the handler waits
            # Another person's tab connects and gets the login page (and its own session check).
            other = ReflexSocket(server.url, login_cookie(server.url, *MARC, origin=server.origin), "/connexion",
                                 origin=server.origin)
            assert lock.waiters() >= 1 and not _home_updates(sock, start)  # still waiting, nothing sent to it

        sock.settle()  # the lock let go: the tab gets its home, as usual
        home = {k: v for u in _home_updates(sock, start) for k, v in u["delta"].items() if k.endswith("home_state")}
        fields = next(iter(home.values()))
        assert fields.get("loaded_rx_state_") is True
        assert "Une erreur est survenue" not in sock.text_since(start)
    finally:
        sock.close()
        if other is not None:
            other.close()


def test_on_the_loop_the_same_wait_holds_every_tab(server, monkeypatch):  # noqa: F811
    """The control: handlers on the loop (as before issue 21) — the detector above sees the
    worker held: /ping is answered only once the lock is let go."""
    from espace.config import settings

    monkeypatch.setattr(settings, "event_db_threads", 0)
    sock = _open_home(server)
    try:
        with HeldLock(server.env["REFLEX_DB_URL"]) as lock:
            start = len(sock.updates)
            sock.send(f"{HOME}.load", {}, "/accueil")
            lock.until_waited_for()
            answers: list[str] = []
            ping = _ping(server.url, answers)
            ping.join(3.0)
            assert answers == []  # held: no answer while the handler waits in PostgreSQL
            lock.release()
            ping.join(WAIT_S)
            assert answers == [PONG]
        sock.settle()
        assert _home_updates(sock, start)
    finally:
        sock.close()
