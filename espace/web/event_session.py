"""The session behind the current event, read once.

TabIdentityMiddleware (web/tab_identity.py) reads the session of every event before
its handlers run; the handlers' guard (SessionState._user) reuses that read instead of
querying again. A background handler runs long after its event's check: past
SEEN_FOR_SECONDS it reads the session again."""
from __future__ import annotations

import contextvars
import time
from typing import Any

# The session read of the current event: (token, monotonic time, user or None).
_SEEN: contextvars.ContextVar[tuple[str | None, float, Any] | None] = contextvars.ContextVar(
    "espace_seen_session", default=None)
SEEN_FOR_SECONDS = 1.0
MISS = object()


def remember(token: str | None, user: Any) -> None:
    """The middleware's read for this event: `user` (None: no live session) behind `token`."""
    _SEEN.set((token, time.monotonic(), user))


def seen_user(token: str | None) -> Any:
    """The user the middleware read for this event's token (None: no live session),
    or MISS when it has not (or too long ago)."""
    seen = _SEEN.get()
    if seen is None or seen[0] != token or time.monotonic() - seen[1] > SEEN_FOR_SECONDS:
        return MISS
    return seen[2]


def forget_seen() -> None:
    """After this event changed the session itself (logout)."""
    _SEEN.set(None)
