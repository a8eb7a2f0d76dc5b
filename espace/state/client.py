"""States of the client's read pages: home, a category list, a dossier."""
from __future__ import annotations

import logging

import reflex as rx

from espace.ids import parse_page
from espace.services import AccessDenied, portal
from espace.state.session import SessionState
from espace.state.page import LoadedPage

log = logging.getLogger(__name__)


class HomeState(LoadedPage, SessionState):
    name: str = ""
    tiles: list[dict[str, str]] = []
    dossier_choices: list[dict[str, str]] = []

    @rx.event
    def load(self):
        user = self._client()
        if user is None:
            return self._leave()
        data = portal.home(user)
        self.name = data["name"]
        self.tiles = [{**t, "count": str(t["count"])} for t in data["tiles"]]
        self.dossier_choices = data["dossiers"]
        self.loaded = True

    @rx.event
    def refresh(self):
        """After a deposit: recount the tiles."""
        return self.load()


class ListState(LoadedPage, SessionState):
    label: str = ""
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    category: str = ""

    @rx.event
    def load(self):
        user = self._client()
        if user is None:
            return self._leave()
        self.category = self.router.url.path.strip("/").split("/")[0]
        page = parse_page(self.router.url.query_parameters.get("page"))
        try:
            data = portal.list_category(user, self.category, page)
        except AccessDenied:
            return rx.redirect("/accueil", replace=True)
        self.label, self.rows, self.total = data["label"], data["rows"], data["total"]
        self.page, self.pages = data["page"], data["pages"]
        self.loaded = True


class DossierState(LoadedPage, SessionState):
    title: str = ""
    label: str = ""
    reference: str = ""
    interlocutor: str = ""
    tabs: list[dict[str, str]] = []
    tab_rows: dict[str, list[dict[str, str]]] = {}
    active_tab: str = ""
    dossier_id: str = ""
    not_found: bool = False

    @rx.event
    def load(self):
        user = self._client()
        if user is None:
            return self._leave()
        self.reset()
        raw = self.router.url.path.rstrip("/").split("/")[-1]
        try:
            data = portal.dossier(user, raw)
        except AccessDenied:
            log.warning("dossier refused user=%s dossier=%r", user.id, raw)
            self.not_found = True
            return
        self.dossier_id = data["id"]
        self.title, self.label, self.reference = data["title"], data["label"], data["reference"]
        self.interlocutor = data["interlocutor"]
        self.tabs = data["tabs"]
        self.tab_rows = data["items"]
        self.active_tab = self.tabs[0]["key"] if self.tabs else ""
        self.loaded = True

    @rx.event
    def refresh(self):
        """After a deposit: reload and show « Documents déposés »."""
        self.load()
        if any(t["key"] == "deposes" for t in self.tabs):
            self.active_tab = "deposes"

    @rx.event
    def set_tab(self, key: str):
        self.active_tab = str(key)
