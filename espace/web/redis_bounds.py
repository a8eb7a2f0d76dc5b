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
(a read timeout would end an idle subscription every few seconds)."""
from __future__ import annotations

import logging
from typing import Any

from redis import asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

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
    namespace = rx_app.event_namespace
    tokens = getattr(namespace, "_token_manager", None)
    if isinstance(tokens, RedisTokenManager):
        tokens.redis = bounded_client(url)
    log.info("Redis commands bounded to %.1f s", COMMAND_TIMEOUT)
