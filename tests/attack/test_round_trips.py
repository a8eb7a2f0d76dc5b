"""What one click on a client screen costs the server: the service calls its handler
makes and the database connections (sessions) they open, counted in the real app
(tests/attack/conftest.py's `server`: the ASGI app in this process, real websocket).

A screen's event asks ONE `*_page` service for what it shows, in one database session
(issue 20). Counted: calls from the web layer into `espace.services`, and connections
opened under a client screen's state (`espace/web/client/`), so the session check the
middleware makes for every event, and the marker events of `settle`, are not counted; nor
are the guard's per-process checks (the session, the firm's second-factor rule: each read
once per READ_FOR_SECONDS, recent_reads.py / factors.firm_rule), which a handler reads again
when its event comes later than that after the last read, as on a loaded machine. The test
runs every click that way (`expired_checks`): its counts do not depend on the machine's speed.
The round trips to PostgreSQL that a navigation makes in all (session check included) are
pinned by tests/web/test_round_trips_pg.py."""
from __future__ import annotations

import functools
import inspect
import sys
import threading
import traceback
from collections import Counter
from types import ModuleType

import pytest
import sqlalchemy as sa

from tests.attack.conftest import LUCE
from tests.attack.reflex_socket import ROOT, ReflexSocket, login_cookie

CLIENT_SCREENS = "/espace/web/client/"
# The guard's checks kept per process for a short time (not the screen's own work).
GUARD_CHECKS = {("/espace/services/accounts/recent_reads.py", "remembered"),
                ("/espace/services/accounts/factors.py", "firm_rule")}


def _under_a_screen(stack) -> bool:
    """Run for a client screen's state, not by one of the guard's kept checks."""
    return (any(CLIENT_SCREENS in f.filename for f in stack)
            and not any((f.filename[f.filename.rfind("/espace/"):], f.name) in GUARD_CHECKS for f in stack))
HOME = f"{ROOT}.espace___web___session____session_state.espace___web___client___home___state____home_state"
DOSSIER = f"{ROOT}.espace___web___session____session_state.espace___web___client___dossier___state____dossier_state"
LIST = f"{ROOT}.espace___web___session____session_state.espace___web___client___listing___state____list_state"
CONTACT = f"{ROOT}.espace___web___session____session_state.espace___web___client___contact___state____contact_details_state"
MESSAGES = f"{ROOT}.espace___web___session____session_state.espace___web___client___messages___state____messages_state"


class Meter:
    """Service calls made from a client screen, and connections opened under one."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.connections = 0
        self.statements = 0  # printed, not asserted: what the sessions ran
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.calls, self.connections, self.statements = Counter(), 0, 0

    def figures(self) -> tuple[int, int, dict[str, int]]:
        with self.lock:
            return sum(self.calls.values()), self.connections, {**self.calls, "statements": self.statements}

    def on_connect(self, _conn) -> None:
        if _under_a_screen(traceback.extract_stack()):
            with self.lock:
                self.connections += 1

    def on_statement(self, *_args) -> None:
        if _under_a_screen(traceback.extract_stack()):
            with self.lock:
                self.statements += 1

    def wrap(self, fn, name: str):
        @functools.wraps(fn)
        def counted(*args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if CLIENT_SCREENS in caller or caller.endswith("/espace/web/session.py"):
                with self.lock:
                    self.calls[name] += 1
            return fn(*args, **kwargs)

        return counted


def _service_modules() -> list[ModuleType]:
    return [m for n, m in list(sys.modules.items()) if n.startswith("espace.services.") and m is not None]


@pytest.fixture(scope="module")
def meter(server):
    from espace.db import get_engine

    m = Meter()
    patched = []
    for module in _service_modules():
        for name, fn in list(vars(module).items()):
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_"):
                patched.append((module, name, fn))
                setattr(module, name, m.wrap(fn, f"{module.__name__.removeprefix('espace.services.')}.{name}"))
    engine = get_engine()
    sa.event.listen(engine, "engine_connect", m.on_connect)
    sa.event.listen(engine, "before_cursor_execute", m.on_statement)
    try:
        yield m
    finally:
        sa.event.remove(engine, "before_cursor_execute", m.on_statement)
        sa.event.remove(engine, "engine_connect", m.on_connect)
        for module, name, fn in patched:
            setattr(module, name, fn)


@pytest.fixture
def expired_checks(monkeypatch):
    """Every event as on a loaded machine: the guard's kept checks always read again."""
    from espace.services.accounts import factors, recent_reads

    monkeypatch.setattr(factors, "RULE_FOR_SECONDS", -1.0)
    monkeypatch.setattr(recent_reads, "READ_FOR_SECONDS", -1.0)


def _dossier_id(server) -> int:
    url = server.env.get("REFLEX_DB_URL") or f"sqlite:///{server.data_dir / 'espace.db'}"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as con:
        return con.execute(sa.text("SELECT id FROM dossier WHERE label='ALEXANDER / AGENCE IMMO'")).scalar_one()


def _click(sock: ReflexSocket, meter: Meter, event: str, page: str, payload=None) -> tuple[int, int, dict]:
    sock.settle()
    meter.reset()
    sock.send(event, payload or {}, page)
    sock.settle()
    return meter.figures()


def test_one_service_call_and_one_session_per_click(server, meter, expired_checks):
    cookie = login_cookie(server.url, *LUCE, origin=server.origin)
    dossier_id = _dossier_id(server)
    dossier = f"/dossiers/{dossier_id}"
    sock = ReflexSocket(server.url, cookie, "/accueil", origin=server.origin)
    try:
        clicks = {
            "home load": _click(sock, meter, f"{HOME}.load", "/accueil"),
            "home refresh": _click(sock, meter, f"{HOME}.refresh", "/accueil"),
            "dossier load": _click(sock, meter, f"{DOSSIER}.load", dossier),
            "dossier set_tab": _click(sock, meter, f"{DOSSIER}.set_tab", dossier, {"key": "rdv"}),
            "dossier refresh": _click(sock, meter, f"{DOSSIER}.refresh", dossier),
            "list load": _click(sock, meter, f"{LIST}.load", "/documents"),
            "messages load": _click(sock, meter, f"{MESSAGES}.load", f"/contacter?dossier={dossier_id}"),
            "messages choose": _click(sock, meter, f"{MESSAGES}.choose", "/contacter", {"dossier_id": str(dossier_id)}),
            "contact load": _click(sock, meter, f"{CONTACT}.load", "/mon-compte/coordonnees"),
        }
    finally:
        sock.close()
    for name, (calls, connections, detail) in clicks.items():
        print(f"\n{name}: {calls} service call(s), {connections} database session(s): {detail}")
    for name, (calls, connections, detail) in clicks.items():
        assert (calls, connections) == (1, 1), (name, detail)
