"""A tab whose session ends goes to /connexion at once, pushed by the server — not at
its next click (issue 22, item 7).

`TabIdentityMiddleware` (tab_identity.py) tells `served()` which session each tab of this
worker was last served for. A lifespan task (one per worker: each tab's websocket is on
one worker, which also handles its events) asks every PERIOD_SECONDS which of those
sessions are still live, in one read (`session_reads.live_ids`: revoked — logout in
another tab, « Fermer » in Mon compte › Sessions, a password change, a firm's
deactivation —, expired or idle), and sends each tab whose session ended an update that
redirects it to `/connexion?expire=1`. Its hydrate there goes through the middleware,
which resets every state of the tab. A tab that is no longer connected to this worker
is forgotten (its next event registers it again)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger("espace.tab_watch")

PERIOD_SECONDS = 1.0
EXPIRED = "/connexion?expire=1"
# Reflex tab token -> the session row id its states were last served for (this worker).
_served: dict[str, int] = {}


def served(tab_token: str, session_id: int | None) -> None:
    """Called by the middleware before every event of a tab."""
    if not tab_token:
        return
    if session_id is None:
        _served.pop(tab_token, None)
    else:
        _served[tab_token] = session_id


def _connected(rx_app: Any) -> set[str] | None:
    namespace = getattr(rx_app, "event_namespace", None)
    if namespace is None:
        return None
    manager = namespace._token_manager
    return {token for token, record in list(manager.token_to_socket.items())
            if getattr(record, "instance_id", manager.instance_id) == manager.instance_id}


async def _push(rx_app: Any, token: str) -> None:
    import reflex as rx
    from reflex.state import StateUpdate
    from reflex_base.event import Event

    update = StateUpdate(events=Event.from_event_type([rx.redirect(EXPIRED, replace=True)]))
    await rx_app.event_namespace.emit_update(update, token)


async def check(rx_app: Any) -> int:
    """One pass; returns how many tabs were sent to the login page."""
    from espace.services.accounts import session_reads

    connected = _connected(rx_app)
    if connected is None:
        return 0
    for token in [t for t in _served if t not in connected]:
        _served.pop(token, None)
    tabs = dict(_served)
    if not tabs:
        return 0
    live = await asyncio.to_thread(session_reads.live_ids, set(tabs.values()))
    ended = [token for token, session_id in tabs.items() if session_id not in live]
    for token in ended:
        if _served.get(token) == tabs[token]:  # not served for another session meanwhile
            _served.pop(token, None)
            await _push(rx_app, token)
    if ended:
        log.info("%d tab(s) whose session ended sent to the login page", len(ended))
    return len(ended)


async def _loop(rx_app: Any) -> None:
    while True:
        await asyncio.sleep(PERIOD_SECONDS)
        try:
            await check(rx_app)
        except Exception:  # a database blip: the next pass tries again
            log.warning("tab watch pass failed", exc_info=True)


@contextlib.asynccontextmanager
async def watch(app: Any) -> AsyncIterator[None]:
    """Lifespan task of the app (espace/espace.py); Reflex passes the rx.App as `app`."""
    task = asyncio.create_task(_loop(app), name="tab-watch")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
