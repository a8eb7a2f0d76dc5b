"""Contacter l'interlocuteur: write about a dossier, and read the dossier's thread."""
from __future__ import annotations

from espace.models import User
from espace.services.client import messaging
from espace.services.shared.messaging import MessageRow
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState


class MessagesState(LoadedPage, SessionState):
    choices: list[dict[str, str]] = []
    dossier_id: str = ""
    interlocutor: str = ""
    dossier_title: str = ""
    thread: list[MessageRow] = []
    errors: dict[str, str] = {}
    message: str = ""
    form_key: int = 0

    def _show(self, user: User, dossier_id: object) -> None:
        page = messaging.messages_page(user, dossier_id)
        self._keep("choices", page.choices)
        target = page.target
        self.dossier_id = target["dossier_id"] if target else ""
        self.interlocutor = target["interlocutor"] if target else ""
        self.dossier_title = target["dossier"] if target else ""
        self.thread = page.thread
        self.unread_answers = page.unread

    @client_event
    def load(self, user: User):
        self.reset()
        self._show(user, self.router.url.query_parameters.get("dossier", ""))
        self.loaded = True

    def _forget_rows(self) -> None:
        self.choices, self.thread = [], []

    @client_event
    def choose(self, user: User, dossier_id: str):
        self.errors, self.message = {}, ""
        self._show(user, str(dossier_id))

    @client_event
    def send(self, user: User, form: dict):
        if not self.dossier_id:
            self.errors = {"dossier": "Choisissez le dossier."}
            return
        result = messaging.send(user, self.dossier_id, str(form.get("objet", "")), str(form.get("message", "")))
        self.errors = result.errors
        if result.ok:
            self.message = f"Votre message a été envoyé à {self.interlocutor}."
            self.thread = result.value or []
            self.form_key += 1
        else:
            self.message = ""
