"""Round trips to PostgreSQL per page navigation, pinned (issue 21, item 3).

On PostgreSQL a tab waits for each of its round trips one after the other (the handler's
thread is blocked in the driver meanwhile), so their number is most of a navigation's
latency on top of SQLite's. Counted on the wire (tests/web/pg_wire.py: every packet the app
sends after an answer — start-up, pre-ping, `BEGIN`, statements, `ROLLBACK`), in the real
app (tests/attack/conftest.py's `server`, the real websocket), for what a browser sends on a
route change (Reflex's on_load_internal, which chains the page's load and set_is_hydrated).
Each navigation is a person's: the session read and the firm's second-factor rule, kept 0.5 s
(services/accounts/recent_reads.py, factors.firm_rule), are forgotten first, as they are when a
person takes longer than that between two clicks.
psycopg prepares a statement on a connection at its 5th execution (one round trip more,
once): each page is counted after two rounds of warm-up, the least of ROUNDS navigations.

A change that adds a round trip to a page fails here with the page's detail (a change that
saves some: lower EXPECTED, a page's figures are printed with -s). tests/attack/test_round_trips.py pins the service calls and
sessions per click of the client's screens (on either database).

PostgreSQL only (ESPACE_TEST_SCALE=1, CI's services-pg phase)."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from espace.demo import LAWYER_EMAIL, LAWYER_PASSWORD
from tests.attack.conftest import LUCE, server  # noqa: F401 (the in-process app)
from tests.attack.reflex_socket import ReflexSocket, login_cookie
from tests.attack.test_navigation import _navigate
from tests.web.pg_wire import WireCounter

pytestmark = pytest.mark.skipif(os.environ.get("ESPACE_TEST_SCALE") != "1",
                                reason="PostgreSQL only (ESPACE_TEST_SCALE=1)")

# Round trips per navigation to the page, on a warm pool (2026-12-08). The least of ROUNDS
# navigations is compared: another task of the process (a new connection, an idle one
# pinged) can add to one of them. Since the client's counts are maintained (client_count):
# one read for the tiles, badges and unread count (/documents, /dossiers, /factures: one
# fewer); the home's « Nouveautés » probes every kind with something new in one statement
# (services/client/news_pick.py; deeper only for a kind whose news hides under opened
# items), then reads only the kinds of the 8 rows shown (16 → 11 on the demo client, issue 23).
EXPECTED = {
    "/accueil": 11,
    "/dossiers/{dossier}": 9,
    "/documents": 8,
    "/dossiers": 5,
    "/factures": 7,
    "/admin/dossiers/{dossier}": 12,
    "/admin/clients": 5,
    "/admin/dossiers": 10,
    "/admin/paiements": 4,
}
ROUNDS = 5
CLIENT = [p for p in EXPECTED if not p.startswith("/admin")]
ADMIN = [p for p in EXPECTED if p.startswith("/admin")]


@pytest.fixture(scope="module", autouse=True)
def _api_not_started():
    """As tests/web/test_event_loop.py: `server` mounts Reflex in the shared Starlette app."""
    from espace.http import routes

    routes.api.middleware_stack = None


@pytest.fixture(scope="module")
def wire(server):  # noqa: F811
    """The app's database connections through the counting relay; the tab watch's and the
    outbox's passes (lifespan tasks every second, not a navigation's) stopped meanwhile."""
    from espace import db
    from espace.config import settings
    from espace.services.mail import outbox
    from espace.web import tab_watch

    url = sa.engine.make_url(server.env["REFLEX_DB_URL"])
    counter = WireCounter((url.host or "127.0.0.1", url.port or 5432))
    relayed = url.set(host="127.0.0.1", port=counter.port, query={**url.query, "sslmode": "disable"})

    async def no_pass(_app):
        return 0

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(settings, "db_url", relayed.render_as_string(hide_password=False))
        mp.setattr(tab_watch, "check", no_pass)
        mp.setattr(outbox, "_pass", lambda *_args: (0, False))
        db.reset_engine()
        try:
            yield counter
        finally:
            db.reset_engine()
            counter.close()


def _dossier_id(server, label: str) -> int:  # noqa: F811
    engine = sa.create_engine(server.env["REFLEX_DB_URL"], poolclass=sa.pool.NullPool)
    with engine.connect() as con:
        return con.execute(sa.text("SELECT id FROM dossier WHERE label = :l"), {"l": label}).scalar_one()


def _counted(sock: ReflexSocket, wire: WireCounter, page: str) -> tuple[int, dict[str, int]]:
    from espace.services.accounts import factors, recent_reads

    recent_reads.forget()  # a person's pace: the session read and the firm's second-factor
    factors.forget_rules()  # rule are not kept from the last click (0.5 s)
    wire.reset()
    _navigate(sock, page)
    return wire.figures()


def _trips(server, wire: WireCounter, who: tuple[str, str], pages: list[str], dossier: int):  # noqa: F811
    sock = ReflexSocket(server.url, login_cookie(server.url, *who, origin=server.origin), "/mon-compte",
                        origin=server.origin)
    try:
        for _ in range(2):  # warm-up: every connection of the pool has prepared what it runs
            for page in pages:
                _navigate(sock, page.format(dossier=dossier))
        seen: dict[str, tuple[int, dict[str, int]]] = {}
        for _ in range(ROUNDS):
            for page in pages:
                trips = _counted(sock, wire, page.format(dossier=dossier))
                seen[page] = min(seen.get(page, trips), trips, key=lambda t: t[0])
        return seen
    finally:
        sock.close()


def test_round_trips_per_navigation_are_pinned(server, wire):  # noqa: F811
    dossier = _dossier_id(server, "ALEXANDER / AGENCE IMMO")
    seen = {**_trips(server, wire, LUCE, CLIENT, dossier), **_trips(server, wire, (LAWYER_EMAIL, LAWYER_PASSWORD), ADMIN, dossier)}
    for page, (trips, kinds) in seen.items():
        print(f"\n{page}: {trips} round trip(s): {kinds}")
    changed = {page: (trips, EXPECTED[page], kinds) for page, (trips, kinds) in seen.items()
               if trips != EXPECTED[page]}
    assert not changed, f"round trips per navigation changed (seen, pinned, detail): {changed}"
