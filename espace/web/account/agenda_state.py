"""« Agenda » of the client's Mon compte: the subscription address of their RDV
(services/client/agenda.py). The address is shown once, right after it is created;
afterwards the card only says that one exists (its token is not kept anywhere)."""
from __future__ import annotations

import reflex as rx

from espace.models import User
from espace.services import AccessDenied
from espace.services.client import agenda
from espace.web.access import account_event, client_event
from espace.web.session import SessionState


class AgendaState(SessionState):
    shown: bool = False  # the card is a client's (a firm member opening /mon-compte does not see it)
    active: bool = False
    created: str = ""
    last_used: str = ""
    url: str = ""  # the new address, this once
    message: str = ""

    def _show(self, user: User) -> None:
        status = agenda.feed_status(user)
        self.active, self.created, self.last_used = status.active, status.created, status.last_used

    @account_event
    def load(self, member: User):
        """Fired when the card mounts, for anyone logged in: a client sees their address's
        state; for anyone else the card stays hidden (the page's own load guards the page)."""
        self.url, self.message = "", ""
        try:
            self._show(member)
            self.shown = True
        except AccessDenied:
            self.shown = False

    @client_event
    def create(self, user: User):
        try:
            self.url = agenda.create_feed(user, self._ip())
            self._show(user)
        except AccessDenied:
            return self._leave()
        self.message = ("Votre adresse d'abonnement est prête. Copiez-la dans votre application d'agenda : "
                        "elle ne sera plus affichée.")
        return None

    @client_event
    def revoke(self, user: User):
        try:
            revoked = agenda.revoke_feed(user, self._ip())
            self._show(user)
        except AccessDenied:
            return self._leave()
        self.url = ""
        self.message = "L'adresse d'abonnement a été révoquée : elle ne fonctionne plus." if revoked else ""
        return None

    @rx.event
    def forget(self):
        """The page is left: the address shown once is dropped from the tab's state."""
        self.url, self.message = "", ""
