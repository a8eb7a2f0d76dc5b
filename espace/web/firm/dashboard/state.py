"""State of the firm's dashboard (/admin)."""
from __future__ import annotations

import reflex as rx

from espace.services.firm import clients as admin_clients
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage


class DashboardState(LoadedPage, StaffState):
    counts: dict[str, int] = {}

    @rx.event
    def load(self):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        self.counts = admin_clients.dashboard(user)
        self.loaded = True
