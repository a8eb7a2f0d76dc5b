"""« Sessions ouvertes » of Mon compte (client /mon-compte and firm /admin/compte):
the account's open sessions, « Déconnecter » one, « Déconnecter toutes les autres
sessions ». Everything is scoped by the tab's own session cookie (services/sessions.py)."""
from __future__ import annotations

import logging

from espace.domain.outcome import Outcome
from espace.services import AccessDenied
from espace.services.accounts import sessions
from espace.services.accounts.sessions import SessionRow
from espace.web import offload
from espace.web.session import SessionState

log = logging.getLogger(__name__)


class SessionsState(SessionState):
    rows: list[SessionRow] = []
    message: str = ""
    error: str = ""

    def _fetch(self) -> bool:
        try:
            self.rows = sessions.list_sessions(self._token())
        except AccessDenied:
            self.rows = []
            return False
        return True

    @offload.db_event
    def load(self):
        """Fired when the section mounts. Without a live session it only empties the
        list: sending the tab to the login page is the page's own guard's job (its
        on_load, and every handler of the next click)."""
        self.message, self.error = "", ""
        if not self._fetch():
            log.info("sessions section loaded without a live session")

    def _after(self, result: Outcome[None]):
        if not result.ok and "form" in result.errors and result.errors["form"] == sessions.EXPIRED:
            self.rows = []
            return self._to_login()
        self.message = result.message if result.ok else ""
        self.error = "" if result.ok else result.errors.get("form", "")
        if not self._fetch():
            return self._to_login()
        return None

    @offload.db_event
    def revoke(self, session_id: str):
        return self._after(sessions.revoke_session(self._token(), str(session_id)[:24]))

    @offload.db_event
    def revoke_others(self):
        return self._after(sessions.revoke_other_sessions(self._token()))
