"""« Something this process keeps changed »: told to every worker through Redis pub/sub.

What a process keeps for every event (the firm's second-factor rule: factors.firm_rule)
is forgotten at once when this process writes it (an SQLAlchemy hook); the other workers
learn it from a message on CHANNEL, published once the writing transaction committed.
Each process listens in one daemon thread (redis-py's `run_in_thread`), started at the
first use. `listening()` says whether the message of a change would reach this process
now: while it would not (no Redis configured, Redis down, the thread not yet subscribed
or ended), the caller keeps what it read only briefly, as before.

Without REFLEX_REDIS_URL the app runs one worker: there is nobody else to tell, and
`listening()` answers for this process alone (see factors.firm_rule)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from espace.config import settings

log = logging.getLogger("espace.change_channel")

CHANNEL = "espace:changed"
RETRY_SECONDS = 5.0
_lock = threading.Lock()
# The listener: (redis URL, pubsub, thread, subscribed event) once started.
_listener: dict[str, Any] = {}
_handlers: list[Callable[[str], None]] = []
_tried_at = [0.0]


def on_change(handler: Callable[[str], None]) -> None:
    """`handler(what)` runs (in the listener's thread) for every change another process
    (or this one) published."""
    _handlers.append(handler)


def _dispatch(message: dict[str, Any]) -> None:
    data = message.get("data")
    what = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    for handler in list(_handlers):
        try:
            handler(what)
        except Exception:  # a handler's bug must not end the thread every worker relies on
            log.exception("change handler failed")


def _client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=0.5, health_check_interval=10)


def _start(url: str) -> None:
    """The listener's thread (after Redis came back: again, and everything kept is
    forgotten, for what was published meanwhile was not heard)."""
    from redis.exceptions import RedisError

    subscribed = threading.Event()

    def handle(message: dict[str, Any]) -> None:
        _dispatch(message)

    def exception_handler(exc: BaseException, pubsub: Any, thread: Any) -> None:
        log.warning("change channel lost (%s): kept reads fall back to their short window", exc)
        subscribed.clear()
        thread.stop()

    try:
        pubsub = _client(url).pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(**{CHANNEL: handle})
        thread = pubsub.run_in_thread(sleep_time=1.0, daemon=True, exception_handler=exception_handler)
    except RedisError as exc:
        log.warning("change channel unavailable (%s): kept reads fall back to their short window", exc)
        return
    subscribed.set()
    _listener.update(url=url, pubsub=pubsub, thread=thread, subscribed=subscribed)
    _dispatch({"data": "*"})  # what changed while nobody listened is unknown: forget everything


def listening() -> bool:
    """Whether a change published now reaches this process (Redis configured, its
    listener subscribed and alive)."""
    url = settings.redis_url
    if not url:
        return False
    found = _listener.get("thread")
    if found is not None and found.is_alive() and _listener["subscribed"].is_set() and _listener["url"] == url:
        return True
    with _lock:
        found = _listener.get("thread")
        if found is not None and found.is_alive() and _listener["subscribed"].is_set() and _listener["url"] == url:
            return True
        if time.monotonic() - _tried_at[0] < RETRY_SECONDS:
            return False
        _tried_at[0] = time.monotonic()
        stop()
        _start(url)
        return bool(_listener.get("thread") is not None and _listener["subscribed"].is_set())


def publish(what: str) -> None:
    """Tell every worker that `what` changed (after the change committed). Best effort:
    a worker that misses it keeps its read at most its fallback window."""
    url = settings.redis_url
    if not url:
        return
    from redis.exceptions import RedisError

    try:
        _client(url).publish(CHANNEL, what)
    except RedisError as exc:
        log.warning("change not published (%s): other workers follow it within their window", exc)


def stop() -> None:
    """Stop the listener (tests; a change of REFLEX_REDIS_URL)."""
    thread = _listener.pop("thread", None)
    pubsub = _listener.pop("pubsub", None)
    _listener.clear()
    if thread is not None:
        thread.stop()
    if pubsub is not None:
        try:
            pubsub.close()
        except Exception:  # closing a dead connection
            log.debug("closing the change channel failed", exc_info=True)
