"""One dossier: its non-empty tabs with their counts, and one page of one tab (the
state holds that page only, so a large dossier sends a small delta)."""
from __future__ import annotations

import logging

from espace.models import User
from espace.services import AccessDenied
from espace.services.client import dossier_view, views
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState

log = logging.getLogger(__name__)


class DossierState(LoadedPage, SessionState):
    title: str = ""
    label: str = ""
    reference: str = ""
    interlocutor: str = ""
    tabs: list[views.TabCount] = []
    active_tab: str = ""
    rows: list[views.ItemRow] = []  # the active tab's page
    newer: str = ""  # cursors of the active tab's pages, "" at an end
    older: str = ""
    dossier_id: str = ""
    not_found: bool = False

    def _show(self, user: User, raw: object, tab: str | None = None):
        self.reset()
        try:
            shown = dossier_view.dossier_page(user, raw, tab)
        except AccessDenied:
            log.warning("dossier refused user=%s dossier=%r", user.id, raw)
            self.not_found = True
            return
        data = shown.dossier
        self.dossier_id = data.id
        self.title, self.label, self.reference = data.title, data.label, data.reference
        self.interlocutor = data.interlocutor
        self.tabs = data.tabs
        self._page(data.page)
        self.unread_answers = shown.unread
        self.loaded = True

    def _forget_rows(self) -> None:
        self.rows = []

    def _page(self, page: views.TabPage):
        """Show a tab's page (its unseen rows marked « Nouveau » by the service)."""
        self.active_tab, self.rows, self.newer, self.older = page.key, page.rows, page.newer, page.older

    def _turn(self, user: User, key: object, avant: str | None = None, apres: str | None = None):
        """A page of a tab of the dossier loaded here, authorised again by the service
        (the client may have lost the dossier since): refused, the page says so."""
        try:
            self._page(dossier_view.tab_page(user, self.dossier_id, key, avant, apres))
        except AccessDenied:
            log.warning("dossier tab refused user=%s dossier=%r tab=%r", user.id, self.dossier_id, str(key)[:40])
            self.reset()
            self.not_found = True

    @client_event
    def load(self, user: User):
        # `?onglet=`: the tab a link of the home page opens (a key that is not a tab: the first)
        self._show(user, self.router.url.path.rstrip("/").split("/")[-1],
                   self.router.url.query_parameters.get("onglet") or None)

    @client_event
    def refresh(self, user: User):
        """After a deposit: reload (the counts changed) and show « Documents déposés »."""
        self._show(user, self.router.url.path.rstrip("/").split("/")[-1], "deposes")

    @client_event
    def set_tab(self, user: User, key: str):
        """Another tab of this page: its first page (a key that is not one of the
        page's tabs changes nothing; the service checks it against the registry too)."""
        if self.loaded and key != self.active_tab and any(t.key == key for t in self.tabs):
            self._turn(user, key)

    @client_event
    def show_older(self, user: User):
        if self.loaded and self.older:
            self._turn(user, self.active_tab, avant=self.older)

    @client_event
    def show_newer(self, user: User):
        if self.loaded and self.newer:
            self._turn(user, self.active_tab, apres=self.newer)
