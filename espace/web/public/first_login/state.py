"""/premiere-connexion: a client who logged in with a temporary password chooses
their own before anything else (the client pages send them here)."""
from __future__ import annotations

import reflex as rx

from espace.services.accounts.auth import home_path_for
from espace.web.page import LoadedPage
from espace.web.session import SessionState


class FirstLoginState(LoadedPage, SessionState):
    errors: dict[str, str] = {}

    @rx.event
    def load(self):
        self.errors = {}
        user = self._user()
        if user is None:
            self.loaded = False
            return self._to_login()
        if not user.must_change_password:
            return rx.redirect(home_path_for(user), replace=True)
        self.loaded = True

    @rx.event
    async def submit(self, form: dict):
        result = await self._change_password(form)
        self.errors = result.errors
        if "form" in result.errors:
            self.loaded = False
            return self._to_login()
        if result.ok:
            user = self._user()
            return rx.redirect(home_path_for(user) if user else "/accueil", replace=True)
