"""After a Redis restart, put back at once what Reflex 0.10.1 restores only when a new
websocket reaches this worker (measured in tests/e2e/test_supervised_server.py).

Commands recover by themselves (Reflex's redis-py client retries and reconnects), and page
states lost with Redis are rebuilt from the session cookie. But each worker's Redis
subscribers — tab ownership across workers, updates sent from another worker, state lock
releases — give up after 5 failures within a minute (about 5 s of outage) and are restarted
by Reflex only at the next websocket connection to that worker; a restarted Redis has also
forgotten the keyspace notifications they listen to (a CONFIG SET) and the records of the
tabs already open. This lifespan task (one per worker) checks Redis every few seconds and,
when its server changed or the subscribers stopped, restores all three."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger("espace.redis_watch")
PERIOD_SECONDS = 2.0


async def _check(rx_app: Any, last_run_id: str | None) -> str | None:
    """One check; returns the Redis server's run id (None when it does not answer)."""
    from redis.exceptions import RedisError
    from reflex.istate.manager.redis import StateManagerRedis, enable_keyspace_notifications
    from reflex.utils.token_manager import RedisTokenManager

    manager = rx_app.state_manager
    namespace = rx_app.event_namespace
    if not isinstance(manager, StateManagerRedis) or namespace is None:
        return None
    tokens = namespace._token_manager
    try:
        run_id = str((await manager.redis.info("server"))["run_id"])
        if last_run_id is not None and run_id != last_run_id:
            await enable_keyspace_notifications(manager.redis)
            restored = await _register_tabs_again(tokens) if isinstance(tokens, RedisTokenManager) else 0
            if restored is None:
                return None  # not all back yet: the next check tries again (same last run id)
            log.warning("Redis restarted (server %s): keyspace notifications and %d open tab(s) of this "
                        "worker registered again", run_id, restored)
    except RedisError:
        return None
    # Subscribers Reflex started and that gave up: start them again.
    if isinstance(tokens, RedisTokenManager):
        if _gave_up(tokens._socket_record_task):
            tokens._ensure_socket_record_task()
        if _gave_up(tokens._lost_and_found_task):
            tokens.ensure_lost_and_found_task(namespace.emit_update)
    if _gave_up(manager._lock_task):
        manager._ensure_lock_task()
    return run_id


async def _register_tabs_again(tokens: Any) -> int | None:
    """The records of this worker's open tabs, stored again in the restarted Redis; how many
    were missing, or None when one is still missing. Reflex's `_store_socket_record` logs an
    error and answers False instead of raising (a restarted Redis that refuses a command for
    a moment, a pooled connection to the old server): the restart counts as handled only once
    every record is there (stored now, or by Reflex meanwhile), else the next check repeats it
    (the open tab was once left unregistered, test_supervised_server)."""
    restored = 0
    for token, record in list(tokens.token_to_socket.items()):
        if record.instance_id != tokens.instance_id:
            continue
        if await tokens._store_socket_record(token, record, nx=True):
            restored += 1
        elif not await tokens.redis.exists(tokens._get_redis_key(token)):
            log.warning("Redis restarted: the record of an open tab could not be stored yet, trying again")
            return None
    return restored


def _gave_up(task: asyncio.Task | None) -> bool:
    """A subscriber task that was started and ended (Reflex logged why); its exception is
    taken so that asyncio does not log it a second time when the task is dropped."""
    if task is None or not task.done():
        return False
    if not task.cancelled():
        task.exception()
    return True


async def _loop(rx_app: Any) -> None:
    run_id: str | None = None
    while True:
        await asyncio.sleep(PERIOD_SECONDS)
        try:
            run_id = await _check(rx_app, run_id) or run_id
        except Exception:  # never let the watch die: it is what brings the rest back
            log.exception("Redis watch check failed")


@contextlib.asynccontextmanager
async def watch(app: Any) -> AsyncIterator[None]:
    """Lifespan task of the app (with Redis only: see espace/espace.py); Reflex passes
    the rx.App as `app`. First the clients' deadlines (web/redis_bounds.py), then the watch."""
    from espace.config import settings
    from espace.web import redis_bounds

    if settings.redis_url:
        redis_bounds.bound(app, settings.redis_url)
    task = asyncio.create_task(_loop(app), name="redis-watch")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
