"""A tab forgets everything when its user changes.

Reflex keeps one state tree per tab (its token lives in the tab's sessionStorage) and
sends the whole tree on every (re)connect. A page resets only its own state, so when a
session ends any other way than the logout button (idle expiry, revocation,
deactivation) and someone else logs in in the same tab, the previous user's data would
reach the new one.

`TabIdentityMiddleware` runs before every event (the hydrate of a connect included),
before any delta is computed: it reads the session behind the event's cookie (one
indexed read, reused by the handlers of that event: web/event_session.py) and compares
its identity, « session row id:user id » (never the token), with the one the tab's
state last served. When they differ, every state of the app (all substates of
SessionState, loaded or not) is reset to its defaults first. Login (a new session row),
logout, expiry, revocation and deactivation (no live session) all change the identity.

A navigation event (the browser's on_load_internal, hydrate_and_load) then forgets the
page the tab left (web/navigation.py).

When that read finds the database unavailable: a navigation shows the « page will show
itself » message and is sent again by the tab; so is a page's load (chained after its
navigation on the server: the navigation may have passed on the answer auth keeps for half a
second while the load's own check, later on a loaded machine, reads the stopped database);
the chain's set_is_hydrated is dropped; any other event gets the handler's French message.
"""
from __future__ import annotations

import logging
from typing import Any

from reflex.event import Event
from reflex.middleware import Middleware
from reflex.state import OnLoadInternalState, StateUpdate

from espace.db import database_unavailable, read_again_if_lost
from espace.services.accounts import auth
from espace.services.accounts.cookies import token_from_cookie_header
from espace.services.accounts.recent_reads import MISS
from espace.web import errors, event_session, offload, tab_watch
from espace.web.access import load_waits
from espace.web.navigation import forget_left_page, is_navigation
from espace.web.session import SessionState

log = logging.getLogger(__name__)


def identity_of(found: tuple[int, Any] | None) -> str:
    return f"{found[0]}:{found[1].id}" if found else ""


def _app_state_classes(cls) -> list:
    out = []
    for sub in sorted(cls.get_substates(), key=lambda c: c.get_full_name()):
        out.append(sub)
        out.extend(_app_state_classes(sub))
    return out


async def forget_tab(root) -> None:
    """Reset every app state of the tab, those not loaded by this event included."""
    base = await root.get_state(SessionState)
    for cls in _app_state_classes(SessionState):
        await root.get_state(cls)  # loads it (a no-op when the whole tree is in memory)
    base.reset()


# The end of a page's on_load chain (Reflex sends it after the page's loads).
_HYDRATED = f"{OnLoadInternalState.get_full_name()}.set_is_hydrated"


def _navigation_waits(event: Any) -> StateUpdate:
    """A navigation whose session check found the database unavailable: the tab shows the
    message and navigates again by itself a moment later (Reflex's on_load_internal sent
    again; a first load, not hydrated yet, is loaded again), until the database is back."""
    again = None if event.name.endswith(".hydrate_and_load") else OnLoadInternalState.on_load_internal
    return StateUpdate(events=Event.from_event_type(errors.waiting_for_database(again)))


async def _loading_page(root: Any, event: Any) -> Any:
    """The app state whose page load (`load`, a page's on_load: web/access.py) `event` is, else None."""
    state_name, _, handler = event.name.rpartition(".")
    if handler != "load":
        return None
    for cls in _app_state_classes(SessionState):
        if cls.get_full_name() == state_name:
            return await root.get_state(cls)
    return None


class TabIdentityMiddleware(Middleware):
    async def preprocess(self, app, state, event):
        root = state._get_root_state()
        token = token_from_cookie_header(root.router.headers.cookie)
        found: Any = auth.kept_session(token)  # read less than 0.5 s ago: no database read
        if found is MISS:  # a database blip: read on a new connection; on PostgreSQL in a thread (web/offload.py)
            try:
                found = await offload.run(read_again_if_lost, auth.current_session, token)
            except Exception as exc:
                if not database_unavailable(exc):
                    raise
                if event.name == _HYDRATED:  # a load that failed sent its page's chain again (web/access.py)
                    return StateUpdate()
                page = await _loading_page(root, event)
                if page is not None:  # the page's own load, its navigation's check passed (a kept answer)
                    return StateUpdate(events=Event.from_event_type(load_waits(page, exc, " (session check)")))
                if not is_navigation(event):
                    raise  # any other event: the handler's French message (web/errors.py)
                log.warning("navigation: database unavailable, sent again: %s: %s: %s",
                            event.name.rsplit(".", 1)[-1], type(exc).__name__, exc)
                return _navigation_waits(event)
        event_session.remember(token, found[1] if found else None)
        tab_watch.served(root.router.session.client_token, found[0] if found else None)  # pushed out when it ends
        identity = identity_of(found)
        base = await root.get_state(SessionState)
        if base._served_identity != identity:
            if base._served_identity:
                log.info("tab state reset: session changed (%s -> %s) event=%s",
                         base._served_identity, identity or "none", event.name.rsplit(".", 1)[-1])
            await forget_tab(root)
            base._served_identity = identity
        if is_navigation(event):
            await forget_left_page(root, base)
        return None
