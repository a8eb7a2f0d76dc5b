"""`GET /api/health`, the readiness probe, as a load balancer sees it: 200 `{"status": "ok"}`
when the database, Redis (when configured) and the documents' store answer; 503 naming the
part that does not — a stopped or a frozen (SIGSTOP) real redis-server, a store that cannot
be written, a database nobody listens on — and never its address. A flood of probes asks
each part at most once per second."""
from __future__ import annotations

import os
import signal
import time
import warnings

import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace import db
from espace.config import settings
from espace.http import core
from espace.services import health
from tests.infra import free_port, redis_server


@pytest.fixture
def http(engine):
    health.forget()
    with TestClient(Starlette(routes=core.routes)) as client:
        yield client
    health.forget()


def probe(http) -> tuple[int, dict]:
    health.forget()  # each call asks the parts (the cache is tested on its own below)
    response = http.get("/api/health")
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, response.json()


def test_all_well_without_redis(http):
    assert probe(http) == (200, {"status": "ok"})
    # The storage probe leaves nothing behind among the documents.
    assert [p.name for p in settings.documents_dir.iterdir()] == []


def test_redis_stopped_then_frozen_then_back(http, tmp_path, monkeypatch):
    with redis_server(tmp_path / "redis") as redis:
        monkeypatch.setattr(settings, "redis_url", redis.url)
        assert probe(http) == (200, {"status": "ok"})

        redis.stop()
        status, body = probe(http)
        assert (status, body) == (503, {"status": "error", "down": ["redis"]})
        assert str(redis.port) not in str(body)

        redis.start()
        assert probe(http) == (200, {"status": "ok"})

        # A Redis that accepts connections and never answers (frozen, swapping, a dead link).
        assert redis.proc is not None
        os.kill(redis.proc.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            status, body = probe(http)
            print(f"\nRedis frozen: the probe answered {status} after {time.monotonic() - started:.2f} s")
            assert (status, body) == (503, {"status": "error", "down": ["redis"]})
        finally:
            os.kill(redis.proc.pid, signal.SIGCONT)
        deadline = time.monotonic() + 10
        while probe(http)[0] != 200:  # the frozen check ends (its socket timeout), the next one passes
            assert time.monotonic() < deadline, "the probe stayed down after Redis answered again"
            time.sleep(0.2)


def test_storage_that_cannot_be_written(http):
    documents = settings.documents_dir
    documents.mkdir(parents=True, exist_ok=True)
    documents.rmdir()
    documents.write_bytes(b"not a folder")  # what a lost mount or a broken volume looks like to the app
    assert probe(http) == (503, {"status": "error", "down": ["storage"]})
    documents.unlink()
    assert probe(http) == (200, {"status": "ok"})


def test_database_nobody_listens_on(http, monkeypatch):
    port = free_port()
    monkeypatch.setattr(settings, "db_url", f"postgresql+psycopg://espace:motdepasse@127.0.0.1:{port}/espace")
    db.reset_engine()
    status, body = probe(http)
    assert (status, body) == (503, {"status": "error", "down": ["database"]})
    assert "motdepasse" not in str(body) and str(port) not in str(body)


def test_a_flood_of_probes_asks_each_part_once_per_cache_period(http, monkeypatch):
    calls: list[str] = []
    real = health._checks

    def counted():
        return {name: (lambda n=name, f=check: (calls.append(n), f())[1]) for name, check in real().items()}

    assert probe(http)[0] == 200  # the first check opens the connections
    monkeypatch.setattr(health, "_checks", counted)
    monkeypatch.setattr(health, "CACHE_SECONDS", 3600.0)  # the whole flood within one cache period
    health.forget()
    answers = {http.get("/api/health").status_code for _ in range(50)}
    assert answers == {200}
    assert sorted(calls) == ["database", "storage"]


def test_the_object_store_is_probed_when_documents_are_in_a_bucket(http, s3_bucket, monkeypatch):
    from espace.services.storage.s3 import _s3_client

    assert probe(http) == (200, {"status": "ok"})
    keys = [o["Key"] for o in _s3_client().list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert len(keys) == 1 and ".health/" in keys[0]  # one marker per machine, overwritten
    assert probe(http) == (200, {"status": "ok"})
    monkeypatch.setattr(settings, "s3_bucket", s3_bucket + "-absent")
    status, body = probe(http)
    assert (status, body) == (503, {"status": "error", "down": ["storage"]})
    assert s3_bucket not in str(body)
