"""Mon compte (/mon-compte, and /admin/compte for the firm): change the password."""
from __future__ import annotations

import reflex as rx

from espace.web import offload
from espace.web.session import SessionState


class AccountState(SessionState):
    errors: dict[str, str] = {}
    message: str = ""
    form_key: int = 0

    @offload.db_event
    def load(self):
        self.errors = {}
        self.message = ""
        if self.router.url.path.startswith("/admin"):
            if self._staff() is None:  # /admin/compte is the firm's people's account page
                return self._to_login() if self._user() is None else rx.redirect("/mon-compte", replace=True)
            return None
        if self._client() is None and self._staff() is None:
            return self._to_login()

    @rx.event
    async def change_password(self, form: dict):
        result = await self._change_password(form)
        self.errors = result.errors
        self.message = result.message
        if result.ok:
            self.form_key += 1  # a fresh, empty form after success
        elif "form" in result.errors:
            return self._to_login()

