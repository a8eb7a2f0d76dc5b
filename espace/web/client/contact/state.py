"""Mettre à jour mes coordonnées: a request to the firm, pending until accepted."""
from __future__ import annotations

from espace.models import User
from espace.services.client import contact
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState


class ContactDetailsState(LoadedPage, SessionState):
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    pending: dict[str, str] = {}
    message: str = ""
    form_key: int = 0

    @client_event
    def load(self, user: User):
        page = contact.contact_page(user)
        self.values, self.pending = page.values, page.pending or {}
        self.errors = {}
        self.message = ""
        self.form_key += 1
        self.loaded = True

    @client_event
    def submit(self, user: User, form: dict):
        result = contact.request_update(user, {k: str(v) for k, v in form.items()})
        self.errors = result.errors
        if result.ok:
            self.pending = result.value or {}
            self.message = "Votre demande a été envoyée à votre avocat. Elle est en attente de validation."
        else:
            self.message = ""
