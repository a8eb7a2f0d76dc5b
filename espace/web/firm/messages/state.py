"""/admin/messages: the dossiers' message threads, unread client messages first."""
from __future__ import annotations

from espace.models import User
from espace.services.firm import messages as firm_messages
from espace.services.firm.messages import Thread
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage


class FirmMessagesState(LoadedPage, StaffState):
    threads: list[Thread] = []
    unread_total: int = 0

    @staff_event
    def load(self, user: User):
        rows = firm_messages.threads(user)
        # Threads waiting for the firm first, then the most recent.
        self.threads = sorted(rows, key=lambda t: t.unread == 0)
        self.unread_total = sum(t.unread for t in rows)
        self.loaded = True
