"""`make test-scale` (ESPACE_TEST_SCALE=1): the browser tests really run against the
scale path — PostgreSQL migrated with Alembic, the tab states in the private Redis,
2 backend workers — and not silently against the embedded default."""
from __future__ import annotations

import re
import socket
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.appserver import SCALE, SCALE_WORKERS
from tests.e2e.conftest import LUCE, login

pytestmark = pytest.mark.skipif(not SCALE, reason="the scale path only (ESPACE_TEST_SCALE=1, make test-scale)")


def _redis_keys(url: str) -> int:
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as s:
        s.sendall(b"DBSIZE\r\n")
        answer = s.recv(64)
    assert answer.startswith(b":"), answer
    return int(answer[1:].strip())


def test_the_app_runs_on_postgresql_redis_and_two_workers(desktop, server):
    assert server.db_url.startswith("postgresql"), server.db_url
    assert server.sql("SELECT version_num FROM alembic_version"), "the database was not migrated with Alembic"
    assert server.sql("""SELECT count(*) FROM "user" WHERE email = :e""", {"e": LUCE[0]}) == [(1,)]

    login(desktop, *LUCE)
    expect(desktop.get_by_role("link", name=re.compile(r"^Documents \(\d+\)"))).to_be_visible()
    assert _redis_keys(server.env["REFLEX_REDIS_URL"]) > 0, "no tab state in Redis"

    # Each backend worker starts its own outbox worker, which logs its process id.
    log = (server.data_dir / "server.log").read_text()
    pids = set(re.findall(r"outbox worker started id=[^:\s]+:(\d+):", log))
    assert len(pids) == SCALE_WORKERS, log[-3000:]
