"""Who is acting, read once per navigation instead of once per event.

A page navigation is three websocket events (Reflex's on_load_internal, the page's
load, set_is_hydrated) a few milliseconds apart, and each one checks the session
behind its cookie (web/tab_identity.py) and the firm's second-factor rule. The checks
keep their answer here for READ_FOR_SECONDS; any write this process makes to the
database (a logout, a revocation, a deactivation, a password change, a 2FA policy…)
forgets every answer at once, so a change made here is seen by the very next event.
A change made by another process (another worker, the command line) is seen within
READ_FOR_SECONDS.

On PostgreSQL the reads run in several database threads at once (web/offload.py): an
answer read while another thread wrote is not kept (a write forgets every answer when
it is executed AND, with handler threads, when it is committed, and counts a
generation; an answer is kept only if no write began or committed while it was read).
With the handlers on the loop (SQLite by default) the answer is kept as before: the
extra forgetting measured p95 851–3,854 ms instead of 10–13 ms at 500 clients
(bench/pages.py --levels 500, 2026-12-08)."""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from espace.db import handler_threads, threads_for

READ_FOR_SECONDS = 0.5
_MAX_ENTRIES = 4096
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_answers: dict[Hashable, tuple[float, Any]] = {}

T = TypeVar("T")


_generation = [0]  # writes seen (executed or committed) by this process
_WROTE = "espace_wrote"  # a connection's info flag: it executed a write not yet committed


def remembered(key: Hashable, read: Callable[[], T]) -> T:
    """`read()`'s answer for `key`, reused for READ_FOR_SECONDS; None answers are not kept."""
    now = time.monotonic()
    hit = _answers.get(key)
    if hit is not None and now - hit[0] <= READ_FOR_SECONDS:
        return hit[1]  # type: ignore[no-any-return]
    before = _generation[0]
    answer = read()
    # With the handlers on the loop (SQLite) nothing else of this process ran meanwhile.
    if answer is not None and (_generation[0] == before or handler_threads() == 0):
        if len(_answers) >= _MAX_ENTRIES:
            forget()
        _answers[key] = (now, answer)
    return answer


MISS = object()


def kept(key: Hashable) -> Any:
    """The answer kept for `key` if still fresh, else MISS (no read)."""
    hit = _answers.get(key)
    if hit is not None and time.monotonic() - hit[0] <= READ_FOR_SECONDS:
        return hit[1]
    return MISS


def forget() -> None:
    _generation[0] += 1
    _answers.clear()


@event.listens_for(Engine, "after_cursor_execute")
def _forget_after_writes(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if statement.lstrip()[:7].upper().startswith(_WRITES):
        conn.info[_WROTE] = True
        forget()


@event.listens_for(Engine, "commit")
def _forget_at_commit(conn: Any) -> None:
    """Another thread may have read the rows between the write and its commit."""
    if conn.info.pop(_WROTE, False) and threads_for(conn.dialect.name) > 0:
        forget()


@event.listens_for(Engine, "rollback")
def _nothing_written(conn: Any) -> None:
    conn.info.pop(_WROTE, None)
