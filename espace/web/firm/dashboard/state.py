"""State of the firm's dashboard (/admin)."""
from __future__ import annotations

from espace.models import User
from espace.services.firm import clients as firm_clients
from espace.services.firm.clients import Counts
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage


class DashboardState(LoadedPage, StaffState):
    counts: Counts = Counts()

    @staff_event
    def load(self, user: User):
        self.counts = firm_clients.dashboard(user)
        self.loaded = True
