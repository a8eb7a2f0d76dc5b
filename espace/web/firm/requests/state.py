"""/admin/demandes: the clients' contact-details requests, accepted or refused."""
from __future__ import annotations

import logging

import reflex as rx

from espace.services import AccessDenied
from espace.services.firm import requests as admin_requests
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage

log = logging.getLogger(__name__)


class AdminRequestsState(LoadedPage, StaffState):
    pending: list[dict] = []
    processed: list[dict] = []
    errors: dict[str, str] = {}  # "<request id>" -> message under its card
    message: str = ""
    form_key: int = 0

    def _fill(self, user) -> None:
        self.pending = admin_requests.list_requests(user, "pending")
        self.processed = admin_requests.list_requests(user, "processed")
        self.loaded = True

    @rx.event
    def load(self):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        self.reset()
        self._fill(user)

    @rx.event
    def accept(self, request_id: str):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        rid = str(request_id)
        who = next((r["client"] for r in self.pending if r["id"] == rid), "")
        try:
            ok, errors = admin_requests.accept(user, rid)
        except AccessDenied:
            ok, errors = False, {"form": "Demande introuvable."}
        if ok:
            self.errors = {}
            self.message = f"Demande de {who} acceptée : les coordonnées sont mises à jour et le client en est informé."
            self._fill(user)
        else:
            self.message = ""
            self.errors = {rid: errors.get("form", "")}

    @rx.event
    def refuse(self, form: dict):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        form = dict(form)
        rid = str(form.get("demande", ""))
        who = next((r["client"] for r in self.pending if r["id"] == rid), "")
        try:
            ok, errors = admin_requests.refuse(user, rid, str(form.get("motif", "")))
        except AccessDenied:
            ok, errors = False, {"form": "Demande introuvable."}
        if ok:
            self.errors = {}
            self.message = f"Demande de {who} refusée : le client reçoit le motif par e-mail."
            self.form_key += 1
            self._fill(user)
        else:
            self.message = ""
            self.errors = {rid: errors.get("reason") or errors.get("form", "")}
