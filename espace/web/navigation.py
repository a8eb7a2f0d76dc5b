"""The page a tab leaves is forgotten by the navigation to the next one, not by an event
of its own.

The page frame used to fire its state's `leave` when it unmounted: one websocket event
more per navigation (the browser's `leave`, then Reflex's on_load_internal, the page's
load, set_is_hydrated), each with its own session check, state lock and delta. The
browser sends on_load_internal on every route change (and hydrate_and_load when it
connects), with the new route in its router data: that event forgets the page the tab
showed before (web/page.py `LoadedPage._left`: `loaded` false, rows dropped) whenever
the route changed, and its delta carries it, in the order the `leave` event had (before
the new page's load). Same route (a reconnect, another dossier, another query string):
nothing is forgotten, as the frame was not unmounted either."""
from __future__ import annotations

from typing import Any

from reflex.state import State

from espace.web.page import PAGE_STATES, route_key
from espace.web.session import SessionState

_NAVIGATIONS = (
    f"{State.get_full_name()}.hydrate_and_load",
    f"{State.get_full_name()}.reflex___state____on_load_internal_state.on_load_internal",
)


def is_navigation(event: Any) -> bool:
    return event.name in _NAVIGATIONS


async def forget_left_page(root: Any, base: SessionState) -> None:
    """On a navigation event: forget the page state of the route the tab showed, if the
    route changed; remember the new one."""
    route = route_key(str(root.router_data.get("pathname") or ""))
    shown = base._shown_route
    if route == shown:
        return
    base._shown_route = route
    left = PAGE_STATES.get(shown)
    if left is None:
        return
    state: Any = await root.get_state(left)
    state._left()
