"""A category list (documents, RDV, factures...), one page at a time."""
from __future__ import annotations

import reflex as rx

from espace.domain.ids import parse_page
from espace.models import User
from espace.services import AccessDenied
from espace.services.client import portal
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState


class ListState(LoadedPage, SessionState):
    label: str = ""
    rows: list[portal.ItemRow] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    category: str = ""

    @client_event
    def load(self, user: User):
        self.category = self.router.url.path.strip("/").split("/")[0]
        page = parse_page(self.router.url.query_parameters.get("page"))
        try:
            data = portal.list_category(user, self.category, page)
        except AccessDenied:
            return rx.redirect("/accueil", replace=True)
        self.label, self.rows, self.total = data.label, data.rows, data.total
        self.page, self.pages = data.page, data.pages
        self.loaded = True
