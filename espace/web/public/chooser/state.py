"""/choisir-cabinet: a person who is a member of several firms chooses the space to
enter; the server-side session is then bound to that membership. A firm that added
the person waits for their answer here (« Accepter » / « Refuser »)."""
from __future__ import annotations

import logging

import reflex as rx

from espace.domain import french
from espace.services.accounts import identities
from espace.services.accounts.auth import home_path_for
from espace.services.accounts.cookies import FIRM_LABEL_COOKIE, firm_label_for
from espace.services.accounts.identities import Choice, Invitation
from espace.web import event_session, offload
from espace.web.page import LoadedPage
from espace.web.session import SessionState

log = logging.getLogger(__name__)


class ChooserState(LoadedPage, SessionState):
    # Only the person's own memberships.
    spaces: list[Choice] = []
    # Firms waiting for the person's consent.
    invitations: list[Invitation] = []
    error: str = ""
    notice: str = ""

    def _fill(self) -> bool:
        token = self._token()
        found, waiting = identities.choices(token), identities.invitations(token)
        if found is None or waiting is None:
            self.spaces, self.invitations = [], []
            return False
        self.spaces, self.invitations = found, waiting
        return True

    @offload.db_event
    def load(self):
        self.error = self.notice = ""
        if not self._fill():
            self.loaded = False
            return self._to_login()
        if not self.spaces and not self.invitations:
            self.error = "Aucun espace n'est accessible avec ce compte pour le moment."
        self.loaded = True

    def _answer(self, membership_id: object, accept: bool):
        firm = next((i.firm for i in self.invitations if i.id == str(membership_id)), "")
        answered = identities.answer_invitation(self._token(), membership_id, accept, self._ip())
        event_session.forget_seen()
        self.error = self.notice = ""
        if not self._fill():
            self.loaded = False
            return self._to_login()
        if not answered:
            self.error = "Cette invitation n'est plus valable."
        elif accept:
            self.notice = french.typeset(f"Invitation acceptée : l'espace « {firm} » est maintenant dans votre liste.")
        else:
            self.notice = french.typeset(f"Invitation refusée : le cabinet « {firm} » n'a pas accès à votre compte.")
        if not self.spaces and not self.invitations:
            self.error = "Aucun espace n'est accessible avec ce compte pour le moment."
        return None

    @offload.db_event
    def accept(self, membership_id):
        return self._answer(membership_id, True)

    @offload.db_event
    def decline(self, membership_id):
        return self._answer(membership_id, False)

    @offload.db_event
    def choose(self, membership_id):
        user = identities.choose(self._token(), membership_id, self._ip())
        # The session now acts as another membership: no later read may reuse this event's.
        event_session.forget_seen()
        if user is None:
            if not self._fill():
                self.loaded = False
                return self._to_login()
            self.error = "Cet espace n'est plus accessible. Choisissez parmi les espaces affichés."
            return
        # A new membership acts in this tab: the tab starts afresh (a new Reflex
        # token, nothing of the previous firm's pages kept), as at logout.
        label = firm_label_for(user.firm_id)  # the new firm's name in the header at once
        return [rx.clear_session_storage(),
                rx.call_script(f"document.cookie = '{FIRM_LABEL_COOKIE}={label}; path=/; samesite=lax'"
                               " + (location.protocol === 'https:' ? '; Secure' : ''); "
                               f"window.location.replace('{home_path_for(user)}')")]
