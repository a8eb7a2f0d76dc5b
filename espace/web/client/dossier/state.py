"""One dossier, its tabs of shared items."""
from __future__ import annotations

import logging

import reflex as rx

from espace.models import User
from espace.services import AccessDenied
from espace.services.client import portal
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState

log = logging.getLogger(__name__)


class DossierState(LoadedPage, SessionState):
    title: str = ""
    label: str = ""
    reference: str = ""
    interlocutor: str = ""
    tabs: list[portal.TabCount] = []
    tab_rows: dict[str, list[portal.ItemRow]] = {}
    active_tab: str = ""
    dossier_id: str = ""
    not_found: bool = False

    @client_event
    def load(self, user: User):
        self.reset()
        raw = self.router.url.path.rstrip("/").split("/")[-1]
        try:
            data = portal.dossier(user, raw)
        except AccessDenied:
            log.warning("dossier refused user=%s dossier=%r", user.id, raw)
            self.not_found = True
            return
        self.dossier_id = data.id
        self.title, self.label, self.reference = data.title, data.label, data.reference
        self.interlocutor = data.interlocutor
        self.tabs = data.tabs
        self.tab_rows = data.items
        self.active_tab = self.tabs[0].key if self.tabs else ""
        self.loaded = True

    @rx.event
    def refresh(self):
        """After a deposit: reload and show « Documents déposés »."""
        self.load()
        if any(t.key == "deposes" for t in self.tabs):
            self.active_tab = "deposes"

    @rx.event
    def set_tab(self, key: str):
        self.active_tab = str(key)
