"""States of the firm's dossier pages: list with filters, create and edit form."""
from __future__ import annotations

import logging

import reflex as rx

from espace.models import User
from espace.services import AccessDenied
from espace.services.firm import dossiers as firm_dossiers
from espace.services.firm.dossiers import Choice, DossierRow
from espace.web.access import staff_event
from espace.web.firm.base import StaffListState, StaffState
from espace.web.page import LoadedPage

log = logging.getLogger(__name__)

CLIENT_PREFIX = "client_"


class DossiersListState(LoadedPage, StaffListState, StaffState):
    rows: list[DossierRow] = []
    interlocutor_id: str = ""
    client_id: str = ""
    clients: list[Choice] = []
    interlocutors: list[Choice] = []
    error: str = ""
    form_key: int = 0

    def _fetch(self, user: User) -> None:
        try:
            data = firm_dossiers.list_dossiers(user, self.search, self.interlocutor_id, self.client_id, self.page)
        except AccessDenied:
            log.warning("dossier filter refused user=%s interlocutor=%r client=%r", user.id, self.interlocutor_id,
                        self.client_id)
            self.interlocutor_id = self.client_id = ""
            self.error = "Filtre invalide : il a été retiré."
            data = firm_dossiers.list_dossiers(user, self.search, "", "", self.page)
        self.rows, self.total, self.page, self.pages = data.rows, data.total, data.page, data.pages

    @staff_event
    def load(self, user: User):
        params = self.router.url.query_parameters
        before = (self.search, self.client_id, self.interlocutor_id, self.loaded)
        self.search = params.get("q", "")[:100]
        self.client_id = params.get("client", "")[:20]
        self.interlocutor_id = params.get("interlocuteur", "")[:20]
        self.page = 1
        self.error = ""
        self._fetch(user)
        # The filters' first choices only (the rest is found by typing: find_clients...),
        # sent again only when they changed.
        opts = firm_dossiers.filter_options(user, self.client_id, self.interlocutor_id)
        self._keep("clients", opts.clients)
        self._keep("interlocutors", opts.interlocutors)
        # Re-key (remount) the filters only when their defaults change, so that a
        # choice made while the page was loading is not lost.
        if before != (self.search, self.client_id, self.interlocutor_id, True):
            self.form_key += 1
        self.loaded = True

    @staff_event
    def apply(self, user: User, form: dict):
        self.search = str(form.get("q", ""))[:100]
        self.interlocutor_id = str(form.get("interlocuteur", ""))[:20]
        self.client_id = str(form.get("client", ""))[:20]
        self.page = 1
        self.error = ""
        self._fetch(user)

    @staff_event
    def clear(self, user: User):
        self.search = self.interlocutor_id = self.client_id = ""
        self.page = 1
        self.error = ""
        self.form_key += 1
        self._fetch(user)

    @staff_event
    def find_clients(self, user: User, text: str):
        """The client filter's choices for what is typed in « Chercher un client »."""
        self._keep("clients", firm_dossiers.suggest(user, "client", str(text)[:100], self.client_id))

    @staff_event
    def find_interlocutors(self, user: User, text: str):
        """The interlocutor filter's choices for what is typed in « Chercher un interlocuteur »."""
        self._keep("interlocutors", firm_dossiers.suggest(user, "interlocuteur", str(text)[:100],
                                                          self.interlocutor_id))


class DossierFormState(LoadedPage, StaffState):
    dossier_id: str = ""  # empty: a new dossier
    reference: str = ""
    label: str = ""
    selected: list[str] = []  # the chosen clients' ids, as the checkboxes send them
    interlocutor_id: str = ""
    clients: list[Choice] = []
    interlocutors: list[Choice] = []
    errors: dict[str, str] = {}
    message: str = ""
    created_id: str = ""
    form_key: int = 0
    not_found: bool = False

    def _shown(self) -> tuple:
        return (self.loaded, self.not_found, self.dossier_id, self.reference, self.label, tuple(self.selected),
                self.interlocutor_id, self.message, tuple(self.errors.items()))

    @rx.var
    def editing(self) -> bool:
        return self.dossier_id != ""

    @staff_event
    def load(self, user: User):
        key = self.form_key
        before = self._shown()
        self.reset()
        parts = self.router.url.path.strip("/").split("/")
        opts = firm_dossiers.options(user)
        self.clients, self.interlocutors = opts.clients, opts.interlocutors
        if parts[-1] == "modifier" and len(parts) >= 2:
            raw = parts[-2][:20]
            try:
                data = firm_dossiers.get_dossier(user, raw)
            except AccessDenied:
                log.warning("dossier edit refused user=%s firm=%s dossier=%r", user.id, user.firm_id, raw)
                self.reset()
                self.not_found = True
                return
            self.dossier_id = str(data.id)
            self.reference, self.label = data.reference, data.label
            self.selected = [str(c) for c in data.client_ids]
            self.interlocutor_id = str(data.interlocutor_id or "")
        else:
            client = self.router.url.query_parameters.get("client", "")[:20]
            if any(str(c.id) == client for c in self.clients):
                self.selected = [client]
            if len(self.interlocutors) == 1:
                self.interlocutor_id = str(self.interlocutors[0].id)
            elif any(i.id == user.id for i in self.interlocutors):
                self.interlocutor_id = str(user.id)
        self.loaded = True
        # A fresh form when what it shows changes (not while the user is typing in an identical one).
        self.form_key = key + 1 if self._shown() != before else key

    @staff_event
    def submit(self, user: User, form: dict):
        client_ids = [k[len(CLIENT_PREFIX):] for k, v in form.items()
                      if str(k).startswith(CLIENT_PREFIX) and v not in (False, None, "", "false")]
        values = {
            "reference": str(form.get("reference", ""))[:300],
            "label": str(form.get("label", ""))[:300],
            "client_ids": client_ids,
            "interlocutor_id": str(form.get("interlocutor_id", ""))[:20],
        }
        try:
            if self.dossier_id:
                result = firm_dossiers.update_dossier(user, self.dossier_id, values)
            else:
                result = firm_dossiers.create_dossier(user, values)
        except AccessDenied:
            log.warning("dossier save refused user=%s firm=%s dossier=%r", user.id, user.firm_id, self.dossier_id)
            self.errors = {"form": "Un client ou l'interlocuteur choisi est introuvable. Rechargez la page."}
            self.message = ""
            return
        self.errors = result.errors
        if result.ok:
            self.message = result.message
            if self.dossier_id:
                self.reference, self.label = values["reference"].strip(), values["label"].strip()
                self.selected, self.interlocutor_id = client_ids, values["interlocutor_id"]
            else:
                self.created_id = str(result.value)
                self.reference = self.label = ""
                self.selected = []
                self.form_key += 1
        else:
            self.message = ""
            self.created_id = ""
            self.reference, self.label = values["reference"], values["label"]
            self.selected, self.interlocutor_id = client_ids, values["interlocutor_id"]
