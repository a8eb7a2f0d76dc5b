"""What every page state shares: `loaded`, true once the page's on_load has filled the
state for this visit, and what the page forgets when the tab leaves it.

Reflex renders a page from the state it already holds and runs on_load afterwards. Without
forgetting, coming back to a form shows the previous visit's form at once, a quick user
types into it, and the load then replaces it with a fresh one: what was typed is lost. So
the page that is left is forgotten (`loaded` false, its rows dropped) by the next page's
navigation itself (web/navigation.py), in the same event as Reflex's on_load_internal: no
event of its own (it was the frame's `on_unmount` event, one websocket round trip of four
per navigation). A websocket reconnect does not change the page, so typing survives it."""
from __future__ import annotations

import reflex as rx

# The route (as registered, "/dossiers/[id]") -> the state whose `load` is its on_load.
PAGE_STATES: dict[str, type[rx.State]] = {}


def route_key(route: str) -> str:
    """A route as registered ("/dossiers/[id]/") and as Reflex's router data names it
    ("/dossiers/[id]") compared alike."""
    return route.strip("/")


def register_page(route: str, state: type[rx.State]) -> None:
    PAGE_STATES[route_key(route)] = state


class LoadedPage(rx.State, mixin=True):
    """Mixin of the page states, used as `class X(LoadedPage, SessionState)`."""

    loaded: bool = False
    _kept: dict[str, int] = {}
    _db_waiting: bool = False  # its load found the database unavailable and is sent again (web/access.py)

    def _left(self) -> None:
        """The tab left this page for another (web/navigation.py)."""
        self.loaded = False
        self._forget_rows()

    def _forget_rows(self) -> None:
        """What a page drops when it is left (its rows: a tab keeps only the page it
        shows in the server's memory). Nothing by default."""

    def _keep(self, name: str, value: object) -> None:
        """Set a var only when its value changed: an unchanged list is not sent again.
        (Compared through a fingerprint of what was last set: reading the var back
        would wrap every element in Reflex's change-tracking proxy.)"""
        fingerprint = hash(repr(value))
        if self._kept.get(name) != fingerprint:
            setattr(self, name, value)
            self._kept = {**self._kept, name: fingerprint}
