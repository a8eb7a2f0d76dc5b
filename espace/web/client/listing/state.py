"""A category list (documents, RDV, factures...), one keyset page at a time:
`?avant=<cursor>` older items, `?apres=<cursor>` newer ones, `?fin=1` the oldest page;
`?dossier=<id>` only one dossier of the client (kept in the pages' links)."""
from __future__ import annotations

import reflex as rx

from espace.models import User
from espace.services import AccessDenied
from espace.services.client import lists, views
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState


class ListState(LoadedPage, SessionState):
    label: str = ""
    rows: list[views.ItemRow] = []
    total: int = 0
    newer: str = ""  # cursor of « Plus récents », "" on the newest page
    older: str = ""  # cursor of « Plus anciens », "" on the oldest page
    category: str = ""
    dossier: str = ""  # the dossier filter (`?dossier=<id>`), "" for all
    choices: list[views.DossierChoice] = []  # the filter's dossiers

    @client_event
    def load(self, user: User):
        self.category = self.router.url.path.strip("/").split("/")[0]
        query = self.router.url.query_parameters
        try:
            shown = lists.list_page(user, self.category, avant=query.get("avant"), apres=query.get("apres"),
                                    fin=query.get("fin"), dossier=query.get("dossier"))
        except AccessDenied:
            return rx.redirect("/accueil", replace=True)
        data = shown.page
        self.label, self.rows, self.total = data.label, data.rows, data.total
        self.unread_answers = shown.unread
        self.newer, self.older = data.newer, data.older
        self.dossier = data.dossier
        self._keep("choices", data.choices)
        self.loaded = True

    def _forget_rows(self) -> None:
        self.rows = []
