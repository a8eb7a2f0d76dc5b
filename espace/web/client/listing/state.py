"""A category list (documents, RDV, factures...), one page at a time."""
from __future__ import annotations

import reflex as rx

from espace.domain.ids import parse_page
from espace.services import AccessDenied
from espace.services.client import portal
from espace.web.page import LoadedPage
from espace.web.session import SessionState


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
