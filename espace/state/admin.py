"""The firm side's base state: every /admin page state derives from StaffState,
whose guard refuses anyone but a lawyer or staff member with a valid session."""
from __future__ import annotations

import reflex as rx

from espace.models import User
from espace.state.session import SessionState


class StaffState(SessionState):
    """Base of the /admin page states. Handlers call `self._require_staff()` and
    pass the returned user to the admin services, which scope by its firm."""

    def _require_staff(self) -> User | None:
        return self._staff()

    def _refuse(self):
        """Where to send someone who is not (or no longer) a firm user."""
        if self._user() is None:
            return self._to_login()
        return rx.redirect("/accueil", replace=True)
