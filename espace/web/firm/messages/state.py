"""/admin/messages: the dossiers' message threads, unread client messages first."""
from __future__ import annotations

import reflex as rx

from espace.services.firm import messages as admin_messages
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage


class AdminMessagesState(LoadedPage, StaffState):
    threads: list[dict[str, str]] = []
    unread_total: int = 0

    @rx.event
    def load(self):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        rows = admin_messages.threads(user)
        # Threads waiting for the firm first, then the most recent.
        self.threads = sorted(rows, key=lambda t: t["unread"] == "0")
        self.unread_total = sum(int(t["unread"]) for t in rows)
        self.loaded = True
