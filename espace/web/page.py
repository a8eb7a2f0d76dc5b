"""What every page state shares: `loaded`, true once the page's on_load has filled the
state for this visit, and `leave`, fired by the page frame when the page unmounts.

Reflex renders a page from the state it already holds and runs on_load afterwards. Without
`leave`, coming back to a form shows the previous visit's form at once, a quick user types
into it, and the load then replaces it with a fresh one: what was typed is lost. With it,
the page waits for its load (a websocket reconnect does not unmount it, so typing survives
a reconnect)."""
from __future__ import annotations

import reflex as rx


class LoadedPage(rx.State, mixin=True):
    """Mixin of the page states, used as `class X(LoadedPage, SessionState)`."""

    loaded: bool = False
    _kept: dict[str, int] = {}

    @rx.event
    def leave(self):
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
