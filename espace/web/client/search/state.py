"""/recherche?q=: the client's dossiers and shared items matching `q` (services/client/search)."""
from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from espace.models import User
from espace.services import AccessDenied
from espace.services.client import search
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState


class SearchState(LoadedPage, SessionState):
    query: str = ""
    groups: list[search.Group] = []
    total: int = 0
    too_short: bool = False

    @client_event
    def load(self, user: User):
        try:
            found = search.search(user, self.router.url.query_parameters.get("q"))
        except AccessDenied:
            return rx.redirect("/accueil", replace=True)
        self.query, self.groups, self.total, self.too_short = found.query, found.groups, found.total, found.too_short
        self.loaded = True

    @client_event
    def go(self, user: User, form: dict):
        """The search box: to /recherche?q=<the cleaned text> (nothing searched here)."""
        text = search.clean(form.get("q") if isinstance(form, dict) else None)
        return rx.redirect("/recherche?q=" + quote(text, safe=""))

    def _forget_rows(self) -> None:
        self.groups = []
