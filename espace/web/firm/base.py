"""The firm side's base state: every /admin page state derives from StaffState,
whose handlers are guarded by `@staff_event` (web/access.py): anyone but a lawyer or
staff member with a valid session is refused (`_refuse`)."""
from __future__ import annotations

import reflex as rx

from espace.domain.ids import parse_page
from espace.models import User
from espace.web.access import staff_event
from espace.web.session import SessionState


class StaffState(SessionState):
    """Base of the /admin page states. Handlers are `@staff_event`: they receive the
    acting staff user and pass it to the firm services, which scope by its firm."""

    def _refuse(self):
        """Someone who is not (or no longer) a firm user: forget what this page held,
        then send them to the login page or to their own home."""
        self.reset()
        if self._user() is None:
            return self._to_login()
        return rx.redirect("/accueil", replace=True)


class StaffListState(rx.State, mixin=True):
    """Mixin of the firm's paged lists, used as `class X(StaffListState, StaffState)`:
    one page of X's typed `rows` out of `total`, filled by X's `_fetch(user)`;
    `go(page)` turns the page."""

    total: int = 0
    page: int = 1
    pages: int = 1
    search: str = ""

    def _fetch(self, user: User) -> None:
        raise NotImplementedError

    @staff_event
    def go(self, user: User, page: int):
        self.page = parse_page(page)
        self._fetch(user)
