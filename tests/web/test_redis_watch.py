"""The Redis watch (espace/web/redis_watch.py) after a Redis restart, against a real private
redis-server and Reflex's own token manager: the open tabs' records come back, also when the
restarted server refuses a write for a while (the restart is handled again at the next check,
not counted as done). The browser-level check is tests/e2e/test_supervised_server.py."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import redis as redis_lib
from redis import asyncio as aioredis
from reflex.istate.manager.redis import StateManagerRedis
from reflex.utils.token_manager import RedisTokenManager, SocketRecord

from espace.web.redis_watch import _check
from tests.infra import redis_server


def _app(url: str) -> SimpleNamespace:
    """What the watch reads of Reflex's app: its state manager and its event namespace's
    token manager, each with its own Redis client (Reflex's get_redis() makes one per call)."""
    tokens = RedisTokenManager(aioredis.Redis.from_url(url))
    tokens.token_to_socket["onglet-ouvert"] = SocketRecord(instance_id=tokens.instance_id, sid="sid-1")
    tokens.token_to_socket["onglet-d-un-autre-worker"] = SocketRecord(instance_id="autre", sid="sid-2")
    return SimpleNamespace(state_manager=StateManagerRedis(redis=aioredis.Redis.from_url(url)),
                           event_namespace=SimpleNamespace(_token_manager=tokens))


def test_the_open_tab_is_registered_again_after_a_redis_restart(tmp_path):
    """The restarted server refuses writes at first (here: out of memory; also a pooled
    connection still open to the old server): Reflex's `_store_socket_record` logs that
    and answers False instead of raising, so the watch must not count the restart as
    handled until the tab's record is back (the tab was once left unregistered)."""
    with redis_server(tmp_path / "redis") as server:
        app = _app(server.url)
        tokens = app.event_namespace._token_manager
        record, foreign = (tokens._get_redis_key(t) for t in ("onglet-ouvert", "onglet-d-un-autre-worker"))
        sync = redis_lib.Redis.from_url(server.url)

        async def checks(run_id: str | None, until) -> str | None:
            for _ in range(5):  # the watch's next checks, as _loop runs them
                run_id = await _check(app, run_id) or run_id
                if until():
                    break
            return run_id

        async def scenario() -> None:
            first = await _check(app, None)
            assert first
            server.restart()
            sync.config_set("maxmemory-policy", "noeviction")
            sync.config_set("maxmemory", 1)  # every write refused
            run_id = await checks(first, lambda: sync.config_get("notify-keyspace-events")["notify-keyspace-events"])
            assert sync.config_get("notify-keyspace-events")["notify-keyspace-events"], "the restart was not seen"
            assert not sync.exists(record)
            sync.config_set("maxmemory", 0)  # writes accepted again
            await checks(run_id, lambda: sync.exists(record))
            assert sync.exists(record), "the open tab was not registered again in the restarted Redis"
            assert not sync.exists(foreign)  # another worker's tab is that worker's to restore
            await app.state_manager.redis.aclose()
            await tokens.redis.aclose()

        asyncio.run(scenario())
        sync.close()
