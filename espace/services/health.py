"""The readiness probe's checks (`GET /api/health`): the database, Redis (when configured)
and the documents' store, each in a thread of its own with a short deadline.

Load balancers and the supervisor poll the probe: an answer younger than CACHE_SECONDS is
given again, and a part whose previous check is still running (a server that does not
answer) is not asked again — the probe waits for that same check — so a flood of probes
costs each part at most one check at a time and one per second. Nothing of a part's address
or error leaves here: the log has the error, the answer only the part's name."""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from espace.config import settings
from espace.db import read_scope
from espace.services import storage

log = logging.getLogger("espace.health")

# Seconds each part gets to answer; the probe answers within about this (a second more than
# a healthy part ever needs, also on a loaded machine: a slow answer is not an outage).
TIMEOUT = 2.0
# Seconds an answer is given again without asking the parts.
CACHE_SECONDS = 1.0

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=3, thread_name_prefix="sante")
_lock = threading.Lock()
_running: dict[str, concurrent.futures.Future[None]] = {}
_last: tuple[float, list[str]] | None = None
_redis: dict[str, Any] = {}


def _database() -> None:
    with read_scope() as connection:
        connection.execute(text("SELECT 1"))


def _redis_client(url: str) -> Any:
    import redis

    client = _redis.get(url)
    if client is None:
        # Its own client: short timeouts, no retries (Reflex's retries for minutes).
        client = _redis[url] = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    return client


def _redis_ping() -> None:
    assert settings.redis_url
    _redis_client(settings.redis_url).ping()


def _storage() -> None:
    storage.probe(TIMEOUT)


def _checks() -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {"database": _database}
    if settings.redis_url:
        checks["redis"] = _redis_ping
    checks["storage"] = _storage
    return checks


def _start() -> dict[str, concurrent.futures.Future[None]]:
    """The check of each part: the one still running, else a new one."""
    futures = {}
    with _lock:
        for name, check in _checks().items():
            future = _running.get(name)
            if future is None or future.done():
                future = _running[name] = _pool.submit(check)
            futures[name] = future
    return futures


def _verdict(futures: dict[str, concurrent.futures.Future[None]]) -> list[str]:
    down = []
    for name, future in futures.items():
        if not future.done():
            log.error("health: %s did not answer within %.1f s", name, TIMEOUT)
            down.append(name)
        elif (exc := future.exception()) is not None:
            log.error("health: %s is down: %s: %s", name, type(exc).__name__, exc)
            down.append(name)
    return down


def _cached() -> list[str] | None:
    with _lock:
        if _last is not None and time.monotonic() - _last[0] < CACHE_SECONDS:
            return list(_last[1])
    return None


def _remember(down: list[str]) -> list[str]:
    global _last
    with _lock:
        _last = (time.monotonic(), down)
    return list(down)


async def down_parts() -> list[str]:
    """The parts that are down (empty: all is well), for the async probe route: waits for
    the checks without holding a thread."""
    cached = _cached()
    if cached is not None:
        return cached
    futures = _start()
    waits = [asyncio.wrap_future(f) for f in futures.values()]
    for wait in waits:  # read by _verdict on the futures themselves, not through these
        wait.add_done_callback(lambda w: w.cancelled() or w.exception())
    await asyncio.wait(waits, timeout=TIMEOUT)
    return _remember(_verdict(futures))


def forget() -> None:
    """Drop the remembered answer (tests; a configuration change)."""
    global _last
    with _lock:
        _last = None
