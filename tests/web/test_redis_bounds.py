"""The Redis clients each worker gives Reflex's managers (espace/web/redis_bounds.py), against a
real private redis-server: a command to a frozen (SIGSTOP) or stopped Redis fails instead of
waiting, a subscription idle for longer than a command's deadline still gets its messages
(a read timeout on it would end it), and a state lock given up on a frozen Redis is released
once it answers again. The page-level check is tests/e2e/test_server_faults.py."""
from __future__ import annotations

import asyncio
import logging
import os
import signal

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from reflex.istate.manager.redis import StateManagerRedis

from espace.web.redis_bounds import COMMAND_TIMEOUT, abandoned, bounded_client, release_abandoned, releaser
from tests.infra import redis_server


def test_commands_fail_on_a_frozen_or_stopped_redis_and_work_again(tmp_path):
    with redis_server(tmp_path / "redis") as server:
        async def scenario() -> None:
            client = bounded_client(server.url)
            assert await client.set("clé", "valeur")
            assert server.proc is not None
            os.kill(server.proc.pid, signal.SIGSTOP)
            try:
                with pytest.raises(RedisTimeoutError):
                    await asyncio.wait_for(client.get("clé"), timeout=30)  # the test's own guard
            finally:
                os.kill(server.proc.pid, signal.SIGCONT)
            assert await client.get("clé") == b"valeur"
            server.stop()
            with pytest.raises(RedisConnectionError):
                await asyncio.wait_for(client.get("clé"), timeout=30)
            server.start()
            assert await client.get("clé") is None  # a new, empty Redis: the pooled connection was replaced
            await client.aclose()

        asyncio.run(scenario())


def test_an_idle_subscription_outlives_the_command_deadline(tmp_path):
    with redis_server(tmp_path / "redis") as server:
        async def scenario() -> None:
            client = bounded_client(server.url)
            async with client.pubsub() as pubsub:
                await pubsub.subscribe("canal")
                assert (await pubsub.get_message(timeout=5))["type"] == "subscribe"
                listening = asyncio.ensure_future(pubsub.get_message(ignore_subscribe_messages=True, timeout=None))
                done, _ = await asyncio.wait([listening], timeout=3 * COMMAND_TIMEOUT)
                assert not done, f"the idle subscription ended: {listening.result() if done else ''}"
                await client.publish("canal", "bonjour")
                message = await asyncio.wait_for(listening, timeout=10)
                assert message["data"] == b"bonjour"
            await client.aclose()
            await client.listen_pool.aclose()

        asyncio.run(scenario())


def test_a_state_lock_given_up_on_a_frozen_redis_is_released_once_it_is_back(tmp_path, caplog):
    """The lock command the app gave up on, sent on a pooled connection Redis had accepted, runs
    when Redis resumes and takes the tab's lock under a token nobody holds; the state manager
    deletes it once Redis answers (the log says so), not at its expiry (a minute here: nothing
    else frees it during the test), and leaves a lock another event holds alone."""
    caplog.set_level(logging.INFO, logger="espace.redis_bounds")
    with redis_server(tmp_path / "redis") as server:
        async def scenario() -> None:
            manager = StateManagerRedis(redis=bounded_client(server.url))
            manager.lock_expiration = 60_000
            release_abandoned(manager)
            redis = manager.redis
            await redis.set(b"lock-d-un-autre", b"autre-evenement")  # and a pooled connection, accepted
            assert server.proc is not None
            os.kill(server.proc.pid, signal.SIGSTOP)
            try:
                with pytest.raises(RedisTimeoutError):
                    await asyncio.wait_for(manager._try_get_lock(b"lock-onglet", b"jeton-abandonne"), timeout=30)
                with pytest.raises(RedisTimeoutError):  # its release must not touch another event's lock
                    await asyncio.wait_for(manager._try_get_lock(b"lock-d-un-autre", b"mon-jeton"), timeout=30)
            finally:
                os.kill(server.proc.pid, signal.SIGCONT)
            await asyncio.wait_for(releaser[0], timeout=30)
            assert await redis.get(b"lock-onglet") is None
            assert await redis.get(b"lock-d-un-autre") == b"autre-evenement"
            assert not abandoned
            await redis.aclose()

        asyncio.run(scenario())
    assert "stale state lock released: lock-onglet" in caplog.text  # it was taken, and released
