"""/admin/compte: a firm user's own account (password; link to Sécurité)."""
from __future__ import annotations

import reflex as rx

from espace.state.account import AccountState


class StaffAccountState(AccountState):
    @rx.event
    def load(self):
        self.errors = {}
        self.message = ""
        if self._staff() is None:
            if self._user() is None:
                return self._to_login()
            return rx.redirect("/mon-compte", replace=True)
