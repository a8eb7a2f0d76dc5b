"""The event handlers' database work, off the event loop.

A Reflex worker serves every tab from ONE event loop. The services are synchronous
(SQLAlchemy with psycopg 3): on PostgreSQL each query waits for a network round trip,
and while a handler waited there the loop served nobody — one worker reached a fifth to
a third of its SQLite capacity (issue 21). `await offload.run(fn, ...)` runs `fn` in one of a few
threads instead (`db.handler_threads()`: EVENT_DB_THREADS, else DB_POOL_SIZE on
PostgreSQL; the engine's pool keeps at least as many connections), so the loop serves
other tabs while this one waits. On SQLite (answers in microseconds, the GIL held all
along) there is no wait to overlap: `fn` runs on the loop, as before, unless
EVENT_DB_THREADS says otherwise (measured: docs/architecture.md, « What a page costs »).

What stays as it was for a user:
- **one event at a time per tab**: the guard awaits `run` while Reflex holds the tab's
  state lock (and its per-tab queue), so the next event of the tab waits, and the state's
  changes become the delta Reflex sends when the handler returns;
- **the event's context** (the session read of web/event_session.py, Reflex's event
  context) is copied into the thread (`contextvars`); what the handler sets there is
  seen by the rest of that handler only (the chooser's `forget_seen`), not by the loop;
- **errors** are raised on the loop as they were raised in the thread: the French
  messages (web/errors.py, `connection_lost`) and the audit are unchanged;
- **a superseded page load** (Reflex cancels the old chain when the user navigates on):
  the thread cannot be interrupted, so the cancellation waits for it to finish before it
  goes on — no thread ever touches a tab's state after its lock is let go."""
from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

import reflex as rx

from espace.db import handler_threads

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor(size: int) -> ThreadPoolExecutor:
    """The pool of `size` threads (made again if the setting changed: tests point the app at
    another database)."""
    global _pool
    current = _pool
    if current is not None and current[0] == size:
        return current[1]
    with _lock:
        if _pool is None or _pool[0] != size:
            old = _pool
            _pool = (size, ThreadPoolExecutor(max_workers=size, thread_name_prefix="espace-db"))
            if old is not None:
                old[1].shutdown(wait=False)
        return _pool[1]


async def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` in a handler thread with this event's context, or on the loop
    when there are none (SQLite)."""
    size = handler_threads()
    if size == 0:
        return fn(*args, **kwargs)
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await _finished(asyncio.get_running_loop().run_in_executor(_executor(size), call))


async def _finished(future: asyncio.Future[T]) -> T:
    """The thread's result; a cancellation of the awaiting task (a superseded page load)
    takes effect only once the thread is done with the tab's state."""
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(future)
            break
        except asyncio.CancelledError:
            cancelled = True
            if future.done():
                result = future.result()  # the handler's own exception, if any, wins
                break
    if cancelled:
        raise asyncio.CancelledError
    return result


def db_event(fn: Callable[..., Any]) -> Any:
    """`@rx.event` for a plain handler that is not guarded (the firm chooser, Mon compte's
    sections check their session themselves) and reads or writes the database: run as
    the guard runs a guarded one (web/access.py). Its signature is fn's (payload guard)."""
    @functools.wraps(fn)
    async def offloaded(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await run(fn, self, *args, **kwargs)
    return rx.event(offloaded)


def pool_size() -> int:
    """The running pool's size (0: not started)."""
    current: Any = _pool
    return current[0] if current else 0
