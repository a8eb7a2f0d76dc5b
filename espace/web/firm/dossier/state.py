"""/admin/dossiers/<id>: a dossier of the firm, what is shared in it, the forms to
add items (one per kind of the registry), the clients' deposits and the dossier's
messages. The state holds the counts and one page of the active tab (keyset pages,
services/firm/dossier_page.py), so a large dossier sends a small delta.

Every handler re-reads the acting user from the session cookie (`@staff_event`) and
passes it to the services, which check the firm; nothing sent by the browser is trusted."""
from __future__ import annotations

import asyncio
import logging

import reflex as rx

from espace.domain import french
from espace.domain import items as registry
from espace.domain.text import truthy
from espace.models import User
from espace.services import AccessDenied
from espace.services.firm import dossier_page, sharing
from espace.services.firm import messages as firm_messages
from espace.services.firm.sharing import DepositRow
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage

log = logging.getLogger(__name__)

DEPOSITS, MESSAGES = dossier_page.DEPOSITS, "messages"


def tab_keys() -> list[str]:
    """The page's tabs: one per item kind, the clients' deposits, the messages."""
    return [*dossier_page.page_keys(), MESSAGES]


class FirmDossierState(LoadedPage, StaffState):
    not_found: bool = False
    current_id: str = ""
    label: str = ""
    reference: str = ""
    interlocutor: str = ""
    clients: list[dict[str, str]] = []
    lawyers: list[dict[str, str]] = []
    me: str = ""
    counts: dict[str, int] = {}
    new_deposits: int = 0
    # The active tab's page only (an item kind's rows, or the deposits), and the cursors
    # of its neighbouring pages, "" at an end.
    rows: list[dossier_page.FirmItemRow] = []
    deposit_rows: list[DepositRow] = []
    newer: str = ""
    older: str = ""
    # Where the page shown was read from (the cursor it was read older / newer than),
    # to read it again after a change; kept on the server (a backend var).
    _from_avant: str = ""
    _from_apres: str = ""
    thread: list[dict[str, str]] = []
    unread: str = ""  # « 2 non lus », "" when all read
    active_tab: str = "documents"
    errors: dict[str, str] = {}
    message: str = ""
    failure: str = ""
    form_key: int = 0
    share_uploads: bool = True

    @rx.var
    def upload_url(self) -> str:
        base = f"/api/admin/dossiers/{self.current_id}/documents"
        return base if self.share_uploads else base + "?partager=0"

    def _show(self, page: dossier_page.FirmPage) -> None:
        self.active_tab, self.rows, self.deposit_rows = page.key, page.rows, page.deposits
        self.newer, self.older = page.newer, page.older

    def _refused(self, user: User) -> None:
        log.warning("admin dossier refused user=%s dossier=%r", user.id, self.current_id)
        self.reset()
        self.not_found = True
        self.loaded = True

    def _fill(self, user: User, tab: str | None = None) -> bool:
        """The header, the counts and a page: the first of `tab`, or (None) the one shown,
        read again from where it was read. The messages have no page."""
        if tab is None:
            tab, avant, apres = self.active_tab, self._from_avant, self._from_apres
        else:
            avant = apres = ""
        paged = tab in dossier_page.page_keys()
        try:
            data = dossier_page.dossier_overview(user, self.current_id, tab if paged else "", avant or None,
                                                 apres or None)
        except AccessDenied:
            self._refused(user)
            return False
        self.label, self.reference, self.interlocutor = data.label, data.reference, data.interlocutor
        self.clients, self.lawyers = [dict(c) for c in data.clients], [dict(p) for p in data.lawyers]
        self.counts, self.new_deposits = data.counts, data.new_deposits
        if paged:
            self._from_avant, self._from_apres = avant, apres
            self._show(data.page)
        self.me = str(user.id)
        unread = firm_messages.unread_count(user, data.id)
        self.unread = french.count(unread, "non lu", "non lus") if unread else ""
        self.loaded = True
        return True

    def _forget_rows(self) -> None:
        self.rows, self.deposit_rows, self.thread = [], [], []

    @staff_event
    def load(self, user: User):
        self.reset()
        self._from_avant = self._from_apres = ""
        self.current_id = self.router.url.path.rstrip("/").split("/")[-1]
        # `?onglet=`: the tab a link opens (the messages of a thread; anything else: the first)
        wanted = self.router.url.query_parameters.get("onglet", "")
        first = dossier_page.page_keys()[0]
        if not self._fill(user, wanted if wanted in tab_keys() else first):
            return
        if wanted == MESSAGES:
            self._messages(user)

    def _messages(self, user: User) -> None:
        self.active_tab = MESSAGES
        self._show(dossier_page.FirmPage(key=MESSAGES))
        self._from_avant = self._from_apres = ""
        self.thread = firm_messages.read_thread(user, self.current_id)
        self.unread = ""

    def _turn(self, user: User, key: str, avant: str = "", apres: str = "") -> None:
        """A page of a tab, the dossier authorised again by the service."""
        try:
            page = dossier_page.tab_page(user, self.current_id, key, avant or None, apres or None)
        except AccessDenied:
            self._refused(user)
            return
        self._from_avant, self._from_apres = avant, apres
        self.thread = []
        self._show(page)

    @staff_event
    def set_tab(self, user: User, key: str):
        """Another tab: its first page (a key that is not a tab changes nothing)."""
        if self.loaded and not self.not_found and str(key) in tab_keys():
            self.message, self.failure, self.errors = "", "", {}
            try:
                if str(key) == MESSAGES:
                    self._messages(user)
                else:
                    self._turn(user, str(key))
            except AccessDenied:
                self._refused(user)

    @staff_event
    def show_older(self, user: User):
        if self.loaded and self.older and self.active_tab in dossier_page.page_keys():
            self._turn(user, self.active_tab, avant=self.older)

    @staff_event
    def show_newer(self, user: User):
        if self.loaded and self.newer and self.active_tab in dossier_page.page_keys():
            self._turn(user, self.active_tab, apres=self.newer)

    @rx.event
    def set_share_uploads(self, checked: bool):
        self.share_uploads = bool(checked)

    @rx.event(background=True)
    async def after_download(self):
        """A deposit was just opened: once the download has cleared its « Nouveau »
        marker on the server, show it."""
        await asyncio.sleep(1.5)
        async with self:
            user = self._staff()
            if user is not None:
                self._fill(user)

    @staff_event
    def refresh(self, user: User):
        """After uploads (the zone's script clicks the hidden button)."""
        self._fill(user)

    @staff_event
    def add(self, user: User, key: str, form: dict):
        """The « Ajouter » form of the item kind `key`: fields `<prefix>_<name>`, and the
        last box `<prefix>_partager` shares the new item at once."""
        kind = registry.kind(key)
        if kind is None or kind.form is None:
            return
        start = kind.form.prefix + "_"
        values = {str(k)[len(start):]: v for k, v in dict(form).items() if str(k).startswith(start)}
        share_now = truthy(values.pop("partager", ""))
        try:
            ok, errors, _ = sharing.add_item(user, self.current_id, kind.key, values, share_now=share_now)
        except AccessDenied:
            self.not_found = True
            return
        self.errors = {f"{start}{k}": v for k, v in errors.items()}
        if ok:
            self.message = kind.form.added_shared if share_now else kind.form.added_kept
            self.failure = ""
            self.form_key += 1
            self._fill(user)
        else:
            self.message = ""
            self.failure = "Le formulaire contient des erreurs : corrigez les champs signalés."

    def _toggle(self, user: User, category: str, item_id: str, on: bool):
        try:
            (sharing.share if on else sharing.unshare)(user, str(category), str(item_id))
        except AccessDenied:
            self.failure = "Élément introuvable."
            self.message = ""
            return
        self.failure, self.errors = "", {}
        self.message = "Partagé avec le client." if on else "Retiré : le client ne le voit plus."
        # The counts do not change (the firm's tabs list shared and hidden items): the
        # page shown is read again, from where it was read.
        if self.active_tab in dossier_page.page_keys():
            self._turn(user, self.active_tab, self._from_avant, self._from_apres)

    @staff_event
    def share(self, user: User, category: str, item_id: str):
        return self._toggle(user, category, item_id, True)

    @staff_event
    def unshare(self, user: User, category: str, item_id: str):
        return self._toggle(user, category, item_id, False)

    @staff_event
    def answer(self, user: User, form: dict):
        form = dict(form)
        try:
            sent = firm_messages.answer(user, self.current_id, str(form.get("reponse_message", "")),
                                         str(form.get("reponse_objet", "")))
            ok, errors = sent.ok, sent.errors
        except AccessDenied:
            self.not_found = True
            return
        self.errors = {f"reponse_{'message' if k == 'body' else 'objet'}": v for k, v in errors.items()}
        if ok:
            self.message = "Votre réponse a été envoyée au client."
            self.failure = ""
            self.form_key += 1
            self.thread = firm_messages.read_thread(user, self.current_id)
        else:
            self.message = ""
