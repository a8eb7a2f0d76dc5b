"""The browser tests really run on the path they claim (ESPACE_E2E_PATH), never silently on
the other: the production path is PostgreSQL migrated with Alembic, the tab states in the
private Redis, 2 supervised workers; the embedded path (what `make run` serves, a first
start on an empty DATA_DIR) is SQLite in DATA_DIR, one process, the states in memory. On
both, the compiled frontend is the one build of this version, served on a port it was
not built for (espace/web/same_origin.py)."""
from __future__ import annotations

import re
import socket
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.appserver import ROOT, SCALE, SCALE_WORKERS, frontend_for, worker_pids
from tests.e2e.conftest import LUCE, login

pytestmark = pytest.mark.embedded


def _redis_keys(url: str) -> int:
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as s:
        s.sendall(b"DBSIZE\r\n")
        answer = s.recv(64)
    assert answer.startswith(b":"), answer
    return int(answer[1:].strip())


def _outbox_workers(server) -> set[str]:
    # Each backend worker starts its own outbox worker, which logs its process id.
    log = (server.data_dir / "server.log").read_text()
    return set(re.findall(r"outbox worker started id=[^:\s]+:(\d+):", log))


def test_the_app_runs_on_the_path_of_the_run(desktop, server):
    assert server.sql("""SELECT count(*) FROM "user" WHERE email = :e""", {"e": LUCE[0]}) == [(1,)]
    login(desktop, *LUCE)
    expect(desktop.get_by_role("link", name=re.compile(r"^Documents \(\d+\)"))).to_be_visible()
    if SCALE:
        assert server.db_url.startswith("postgresql"), server.db_url
        assert server.sql("SELECT version_num FROM alembic_version"), "the database was not migrated with Alembic"
        assert _redis_keys(server.env["REFLEX_REDIS_URL"]) > 0, "no tab state in Redis"
        assert len(_outbox_workers(server)) == SCALE_WORKERS
        assert len(worker_pids(server.proc)) == SCALE_WORKERS
    else:
        assert server.db_url == f"sqlite:///{(server.data_dir / 'espace.db').resolve()}"
        assert (server.data_dir / "espace.db").stat().st_size > 0
        assert "REFLEX_REDIS_URL" not in server.env
        assert len(_outbox_workers(server)) == 1
        assert len(worker_pids(server.proc)) == 1


def test_one_build_serves_every_port(server):
    """The page's bundle is the cached build of this version, and it connects to the port it
    was served from (the login above went through the event socket of this port)."""
    from espace import frontend

    web_dir = frontend_for(server.env)
    assert web_dir == frontend.built_dir(ROOT, env=server.env) and frontend.is_built(web_dir)
    assert "--no-build" in server.argv
    assert ":3000" not in server.url  # built with localhost:3000, served elsewhere
    bundle = "".join(p.read_text(errors="ignore") for p in (web_dir / "build" / "client" / "assets").glob("*.js"))
    assert "localhost:3000" in bundle and "window.location.port" in bundle
