"""States of the firm's client pages: list, new client, one client."""
from __future__ import annotations

import logging

from espace.domain.contact import FIELDS
from espace.domain.ids import parse_page
from espace.domain.outcome import Outcome
from espace.models import User
from espace.services import AccessDenied, audit
from espace.services.accounts import hashing
from espace.services.firm import clients as firm_clients
from espace.services.firm.clients import ClientPage, ClientRow, DossierLink
from espace.web.access import staff_event
from espace.web.firm.base import StaffListState, StaffState
from espace.web.page import LoadedPage
from espace.web.step_up import StepUpMixin

log = logging.getLogger(__name__)

EMPTY = {key: "" for key, _ in FIELDS}


def _form_values(form: dict) -> dict[str, str]:
    return {key: str(form.get(key, ""))[:300] for key, _ in FIELDS}


class ClientsListState(LoadedPage, StaffListState, StaffState):
    rows: list[ClientRow] = []

    def _fetch(self, user: User) -> None:
        data = firm_clients.list_clients(user, self.search, self.page)
        self.rows, self.total, self.page, self.pages = data.rows, data.total, data.page, data.pages

    @staff_event
    def load(self, user: User):
        self.search = self.router.url.query_parameters.get("q", "")[:100]
        self.page = 1
        self._fetch(user)
        self.loaded = True

    @staff_event
    def do_search(self, user: User, form: dict):
        self.search = str(form.get("q", ""))[:100]
        self.page = 1
        self._fetch(user)


class ClientNewState(LoadedPage, StaffState):
    values: dict[str, str] = EMPTY
    errors: dict[str, str] = {}
    message: str = ""
    created_id: str = ""
    form_key: int = 0

    @staff_event
    def load(self, user: User):
        if self.values != EMPTY or self.errors or not self.loaded:
            self.form_key += 1  # a fresh form (not while the user types in an identical one)
        self.values = dict(EMPTY)
        self.errors = {}
        self.message = ""
        self.created_id = ""
        self.loaded = True

    @staff_event
    async def submit(self, user: User, form: dict):
        # A temporary password is hashed (argon2): in the hashing pool, off the event loop.
        try:
            result = await hashing.run_for(f"compte:{user.account_id}", firm_clients.create_client, user,
                                           _form_values(form))
        except hashing.Busy:
            result = Outcome.refused(hashing.BUSY)
        self.errors = result.errors
        if result.ok:
            self.message = "Client créé. " + result.message
            self.created_id = str(result.value)
            self.values = dict(EMPTY)
            self.form_key += 1
        else:
            self.message = ""
            self.created_id = ""
            self.values = _form_values(form)  # a refused form keeps what was typed


class ClientDetailState(StepUpMixin, LoadedPage, StaffState):
    client_id: str = ""
    name: str = ""
    status: str = ""
    active: bool = False
    last_login: str = ""
    created: str = ""
    invitation: str = ""
    can_resend: bool = False
    values: dict[str, str] = EMPTY
    dossiers: list[DossierLink] = []
    events: list[dict[str, str]] = []
    events_page: int = 1
    events_pages: int = 1
    events_total: int = 0
    errors: dict[str, str] = {}
    message: str = ""
    action_message: str = ""
    action_error: str = ""
    form_key: int = 0
    not_found: bool = False
    _user_id: int = 0

    def _fill(self, user: User) -> None:
        self._show(firm_clients.client_page(user, self.client_id, self.events_page))

    def _show(self, page: ClientPage | None) -> None:
        """What the page shows, as one service call answered it (a load or an action)."""
        if page is None:
            return
        data = page.detail
        self.name, self.status, self.active = data.name, data.status, data.active
        self.last_login, self.created, self.invitation = data.last_login, data.created, data.invitation
        self.can_resend = data.can_resend
        self.values = data.values
        self.dossiers = data.dossiers
        self._user_id = data.user_id
        self._show_events(page.trail)

    def _fill_events(self, user: User) -> None:
        self._show_events(audit.for_client(user, self._user_id, self.events_page))

    def _show_events(self, trail: audit.AuditPage) -> None:
        self.events, self.events_page = trail["events"], trail["page"]
        self.events_pages, self.events_total = trail["pages"], trail["total"]

    @staff_event
    def load(self, user: User):
        key = self.form_key
        before = (self.client_id, dict(self.values), bool(self.errors))
        self.reset()
        self.client_id = self.router.url.path.rstrip("/").split("/")[-1][:20]
        self.events_page = 1
        try:
            self._fill(user)
        except AccessDenied:
            log.warning("admin client refused user=%s firm=%s client=%r", user.id, user.firm_id, self.client_id)
            self.reset()
            self.not_found = True
            return
        self.loaded = True
        # A fresh form when what it shows changes (not while the user types in an identical one).
        self.form_key = key + 1 if before != (self.client_id, self.values, False) else key

    def _act(self, user: User, action):
        """Run one service action on this client; it answers with the refreshed page."""
        try:
            result = action(user, self.client_id, self.events_page)
        except AccessDenied:
            self.reset()
            self.not_found = True
            return None
        return self._answer(result)

    def _answer(self, result: Outcome[ClientPage]) -> None:
        self._show(result.value)
        self.message = ""
        self.errors = {}
        self.action_message = result.message if result.ok else ""
        self.action_error = result.error
        return None

    @staff_event
    def save(self, user: User, form: dict):
        self._save(user, _form_values(form if isinstance(form, dict) else {}))

    def _after_step_up(self, user: User, action: str, data: dict[str, str]) -> None:
        if action == "save":
            self._save(user, _form_values(data))

    def _save(self, user: User, values: dict[str, str]) -> None:
        """A new e-mail needs the session's step-up (the service says so): the dialog
        opens, the form keeps what was typed, and the save runs once it is confirmed."""
        try:
            result = firm_clients.update_client(user, self.client_id, values, self.events_page, token=self._token())
        except AccessDenied:
            self.reset()
            self.not_found = True
            return
        if self._asked_for(user, result.error, "save", values):
            self.values = values
            return
        self.errors = result.errors
        self.action_message = ""
        self.action_error = ""
        if result.ok:
            self.message = result.message
            self._show(result.value)
            self.form_key += 1
        else:
            self.message = ""
            self.values = values

    @staff_event
    def deactivate(self, user: User):
        return self._act(user, firm_clients.deactivate_client)

    @staff_event
    def reactivate(self, user: User):
        return self._act(user, firm_clients.reactivate_client)

    @staff_event
    async def resend(self, user: User):
        # A new temporary password is hashed (argon2): in the hashing pool, off the event loop.
        try:
            result = await hashing.run_for(f"compte:{user.account_id}", firm_clients.resend_invitation, user,
                                           self.client_id, self.events_page)
        except hashing.Busy:
            self.action_message, self.action_error = "", hashing.BUSY
            return None
        except AccessDenied:
            self.reset()
            self.not_found = True
            return None
        return self._answer(result)

    @staff_event
    def events_go(self, user: User, page: int):
        self.events_page = parse_page(page)
        try:
            self._fill_events(user)
        except AccessDenied:
            self.events_page = 1
