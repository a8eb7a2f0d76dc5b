"""Contacter l'interlocuteur: write about a dossier, and read the dossier's thread."""
from __future__ import annotations

import reflex as rx

from espace.services import AccessDenied, deposits
from espace.services.client import messaging
from espace.web.session import SessionState
from espace.web.page import LoadedPage


class MessagesState(LoadedPage, SessionState):
    choices: list[dict[str, str]] = []
    dossier_id: str = ""
    interlocutor: str = ""
    dossier_title: str = ""
    thread: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    message: str = ""
    form_key: int = 0

    def _select(self, user, dossier_id: str) -> None:
        try:
            target = messaging.contact_target(user, dossier_id)
        except AccessDenied:
            self.dossier_id, self.interlocutor, self.dossier_title, self.thread = "", "", "", []
            return
        self.dossier_id = target["dossier_id"]
        self.interlocutor = target["interlocutor"]
        self.dossier_title = target["dossier"]
        self.thread = messaging.thread(user, self.dossier_id)

    @rx.event
    def load(self):
        user = self._client()
        if user is None:
            return self._leave()
        self.reset()
        self.choices = deposits.dossier_choices(user)
        wanted = self.router.url.query_parameters.get("dossier", "")
        if not wanted and len(self.choices) == 1:
            wanted = self.choices[0]["id"]
        if wanted:
            self._select(user, wanted)
        self.loaded = True

    @rx.event
    def choose(self, dossier_id: str):
        user = self._client()
        if user is None:
            return self._to_login()
        self.errors, self.message = {}, ""
        self._select(user, str(dossier_id))

    @rx.event
    def send(self, form: dict):
        user = self._client()
        if user is None:
            return self._to_login()
        if not self.dossier_id:
            self.errors = {"dossier": "Choisissez le dossier."}
            return
        ok, errors = messaging.send(user, self.dossier_id, str(form.get("objet", "")), str(form.get("message", "")))
        self.errors = errors
        if ok:
            self.message = f"Votre message a été envoyé à {self.interlocutor}."
            self.thread = messaging.thread(user, self.dossier_id)
            self.form_key += 1
        else:
            self.message = ""
