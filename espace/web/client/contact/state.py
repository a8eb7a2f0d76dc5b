"""Mettre à jour mes coordonnées: a request to the firm, pending until accepted."""
from __future__ import annotations

import reflex as rx

from espace.services.client import contact
from espace.web.session import SessionState
from espace.web.page import LoadedPage


class ContactDetailsState(LoadedPage, SessionState):
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    pending: dict[str, str] = {}
    message: str = ""
    form_key: int = 0

    @rx.event
    def load(self):
        user = self._client()
        if user is None:
            return self._leave()
        self.values = contact.current_values(user)
        self.pending = contact.pending(user) or {}
        self.errors = {}
        self.message = ""
        self.form_key += 1
        self.loaded = True

    @rx.event
    def submit(self, form: dict):
        user = self._client()
        if user is None:
            return self._to_login()
        ok, errors = contact.request_update(user, {k: str(v) for k, v in form.items()})
        self.errors = errors
        if ok:
            self.pending = contact.pending(user) or {}
            self.message = "Votre demande a été envoyée à votre avocat. Elle est en attente de validation."
        else:
            self.message = ""
