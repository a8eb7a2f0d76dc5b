"""The firm's dashboard (/admin); a client is refused."""
from __future__ import annotations

import reflex as rx

from espace.state.session import SessionState


class AdminState(SessionState):
    refused: bool = False

    @rx.event
    def load(self):
        user = self._user()
        if user is None:
            return self._to_login()
        if self._staff() is None:
            self.refused = True
            return rx.redirect("/accueil", replace=True)
        self.refused = False
