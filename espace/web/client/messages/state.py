"""Contacter l'interlocuteur: write about a dossier, and read the dossier's thread."""
from __future__ import annotations

from espace.models import User
from espace.services import AccessDenied, deposits
from espace.services.client import messaging
from espace.services.client.messaging import MessageRow
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

    def _select(self, user: User, dossier_id: str) -> None:
        try:
            target = messaging.contact_target(user, dossier_id)
        except AccessDenied:
            self.dossier_id, self.interlocutor, self.dossier_title, self.thread = "", "", "", []
            return
        self.dossier_id = target["dossier_id"]
        self.interlocutor = target["interlocutor"]
        self.dossier_title = target["dossier"]
        self.thread = messaging.thread(user, self.dossier_id)

    @client_event
    def load(self, user: User):
        self.reset()
        self.choices = deposits.dossier_choices(user)
        wanted = self.router.url.query_parameters.get("dossier", "")
        if not wanted and len(self.choices) == 1:
            wanted = self.choices[0]["id"]
        if wanted:
            self._select(user, wanted)
        self._count_answers(user)
        self.loaded = True

    def _forget_rows(self) -> None:
        self.choices, self.thread = [], []

    @client_event
    def choose(self, user: User, dossier_id: str):
        self.errors, self.message = {}, ""
        self._select(user, str(dossier_id))
        self._count_answers(user)

    @client_event
    def send(self, user: User, form: dict):
        if not self.dossier_id:
            self.errors = {"dossier": "Choisissez le dossier."}
            return
        result = messaging.send(user, self.dossier_id, str(form.get("objet", "")), str(form.get("message", "")))
        self.errors = result.errors
        if result.ok:
            self.message = f"Votre message a été envoyé à {self.interlocutor}."
            self.thread = messaging.thread(user, self.dossier_id)
            self.form_key += 1
        else:
            self.message = ""
