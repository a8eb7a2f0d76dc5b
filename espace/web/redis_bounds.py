"""Reflex's Redis commands with a deadline, so that a Redis outage gives the open tab a French
« service momentanément indisponible » within seconds instead of a page that hangs.

Reflex 0.10.1 builds its Redis clients (`prerequisites.get_redis()`: the state manager's,
the token manager's) with no socket timeout and redis-py's default retry (3 retries, up to
1 + 2 + 4 s of back-off): a stopped Redis costs each command seconds, and a Redis that
accepts connections but does not answer (frozen, a dead link, a paused container) holds
every event for as long as TCP does. Here each worker gives both managers a client whose
commands give up after COMMAND_TIMEOUT, retried once only on a broken connection (a pooled
connection to a restarted Redis), never on a timeout. Their subscriptions (lock releases,
tab routing) keep a client without a read timeout: they wait for messages as long as need be
(a read timeout would end an idle subscription every few seconds).

A state lock asked for when Redis froze is released by the app once Redis answers again: the
`SET lock NX PX 10000` the app gave up on stays in Redis's input and runs when it resumes,
taking the tab's lock under a token nobody holds, so the tab's next event waited for Reflex's
10 s expiry. The lock's token is the app's own (unique per event): the worker deletes the
key if, and only if, it still holds that token (`release_abandoned`)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis import asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("espace.redis_bounds")

# Seconds a Redis command (or a new connection) may take before the event fails.
COMMAND_TIMEOUT = 1.5


class BoundedRedis(aioredis.Redis):
    """Commands with a deadline; `pubsub()` on a pool of its own without a read timeout."""

    listen_pool: aioredis.ConnectionPool

    def pubsub(self, **kwargs: Any) -> PubSub:
        return PubSub(self.listen_pool, event_dispatcher=self._event_dispatcher, **kwargs)


def bounded_client(url: str) -> BoundedRedis:
    client = BoundedRedis.from_url(
        url, socket_timeout=COMMAND_TIMEOUT, socket_connect_timeout=COMMAND_TIMEOUT,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
    client.listen_pool = aioredis.ConnectionPool.from_url(url, socket_connect_timeout=COMMAND_TIMEOUT)
    return client


def bound(rx_app: Any, url: str) -> None:
    """Give the app's state manager and token manager bounded clients (at the worker's start,
    before any event)."""
    from reflex.istate.manager.redis import StateManagerRedis
    from reflex.utils.token_manager import RedisTokenManager

    manager = rx_app.state_manager
    if isinstance(manager, StateManagerRedis):
        manager.redis = bounded_client(url)
        release_abandoned(manager)
    namespace = rx_app.event_namespace
    tokens = getattr(namespace, "_token_manager", None)
    if isinstance(tokens, RedisTokenManager):
        tokens.redis = bounded_client(url)
    log.info("Redis commands bounded to %.1f s", COMMAND_TIMEOUT)


# Deletes the lock only while it holds one of the tokens the app gave up on (never another
# event's lock).
_RELEASE_IF_ABANDONED = ("local held = redis.call('get', KEYS[1]) "
                         "for _, token in ipairs(ARGV) do "
                         "if held == token then return redis.call('del', KEYS[1]) end end return 0")
# Between two tries while Redis does not answer; and, once it answers, the wait before the
# last pass (an abandoned SET, queued on another connection, may run just after the first).
RELEASE_PAUSE = 0.25
# The locks this worker gave up on, by key: the tokens of its timed-out lock commands.
abandoned: dict[bytes, set[bytes]] = {}
releaser: list[asyncio.Task] = []  # the one task of this worker releasing them, while any


def release_abandoned(manager: Any) -> None:
    """Make the state manager release, once Redis answers again, the locks it gave up on (a
    lock command that timed out: sent, maybe run later)."""
    acquire = manager._try_get_lock

    async def try_get_lock(lock_key: bytes, lock_id: bytes) -> bool | None:
        try:
            return await acquire(lock_key, lock_id)
        except RedisTimeoutError:
            abandoned.setdefault(lock_key, set()).add(lock_id)
            if not releaser or releaser[0].done():
                releaser[:] = [asyncio.create_task(release_when_back(manager.redis), name="redis-stale-locks")]
            raise

    manager._try_get_lock = try_get_lock


async def release_when_back(redis: Any) -> None:
    """Once Redis answers: delete each abandoned lock that holds one of our tokens, twice
    RELEASE_PAUSE apart; then forget them (a lock taken later expires on its own)."""
    passes = 0
    while abandoned:
        try:
            await redis.ping()
            pending = {key: set(tokens) for key, tokens in abandoned.items()}
            for key, tokens in pending.items():
                if await redis.eval(_RELEASE_IF_ABANDONED, 1, key, *tokens):
                    log.info("stale state lock released: %s", key.decode(errors="replace"))
            passes += 1
        except RedisError:
            passes = 0
        if passes >= 2:
            for key, tokens in pending.items():
                left = abandoned.get(key, set()) - tokens
                if left:
                    abandoned[key] = left
                else:
                    abandoned.pop(key, None)
            passes = 0
        await asyncio.sleep(RELEASE_PAUSE)
