"""The home page: the tiles and the dossiers a deposit can go to."""
from __future__ import annotations

import reflex as rx

from espace.models import User
from espace.services.client import portal
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState


class HomeState(LoadedPage, SessionState):
    name: str = ""
    tiles: list[portal.Tile] = []
    dossier_choices: list[dict[str, str]] = []

    @client_event
    def load(self, user: User):
        data = portal.home(user)
        self.name = data.name
        self._keep("tiles", data.tiles)  # coming back home: unchanged tiles and choices are not sent again
        self._keep("dossier_choices", [dict(c) for c in data.dossiers])
        self.loaded = True

    @rx.event
    def refresh(self):
        """After a deposit: recount the tiles."""
        return self.load()
