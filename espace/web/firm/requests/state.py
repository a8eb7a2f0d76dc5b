"""/admin/demandes: the clients' contact-details requests, accepted or refused."""
from __future__ import annotations

import logging

from espace.domain.outcome import Outcome, Refusal
from espace.models import User
from espace.services import AccessDenied
from espace.services.firm import requests as firm_requests
from espace.services.firm.requests import RequestRow
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage

log = logging.getLogger(__name__)

NOT_FOUND: Outcome[None] = Outcome.refused("Demande introuvable.", refusal=Refusal.not_found)


class FirmRequestsState(LoadedPage, StaffState):
    pending: list[RequestRow] = []
    processed: list[RequestRow] = []
    errors: dict[str, str] = {}  # "<request id>" -> message under its card
    message: str = ""
    form_key: int = 0

    def _fill(self, user: User) -> None:
        self.pending = firm_requests.list_requests(user, "pending")
        self.processed = firm_requests.list_requests(user, "processed")
        self.loaded = True

    def _client_of(self, rid: str) -> str:
        return next((r.client for r in self.pending if str(r.id) == rid), "")

    @staff_event
    def load(self, user: User):
        self.reset()
        self._fill(user)

    @staff_event
    def accept(self, user: User, request_id: str):
        rid = str(request_id)
        who = self._client_of(rid)
        try:
            result = firm_requests.accept(user, rid)
        except AccessDenied:
            result = NOT_FOUND
        if result.ok:
            self.errors = {}
            self.message = f"Demande de {who} acceptée : les coordonnées sont mises à jour et le client en est informé."
            self._fill(user)
        else:
            self.message = ""
            self.errors = {rid: result.error}

    @staff_event
    def refuse(self, user: User, form: dict):
        form = dict(form)
        rid = str(form.get("demande", ""))
        who = self._client_of(rid)
        try:
            result = firm_requests.refuse(user, rid, str(form.get("motif", "")))
        except AccessDenied:
            result = NOT_FOUND
        if result.ok:
            self.errors = {}
            self.message = f"Demande de {who} refusée : le client reçoit le motif par e-mail."
            self.form_key += 1
            self._fill(user)
        else:
            self.message = ""
            self.errors = {rid: result.errors.get("reason") or result.error}
