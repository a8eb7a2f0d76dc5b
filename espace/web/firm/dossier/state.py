"""/admin/dossiers/<id>: a dossier of the firm, what is shared in it, the forms to
add items (one per kind of the registry), the clients' deposits and the dossier's
messages.

Every handler re-reads the acting user from the session cookie (`@staff_event`) and
passes it to the services, which check the firm; nothing sent by the browser is trusted."""
from __future__ import annotations

import asyncio
import logging

import reflex as rx

from espace.domain import items as registry
from espace.domain.text import truthy
from espace.models import User
from espace.services import AccessDenied
from espace.services.firm import messages as firm_messages
from espace.services.firm import sharing
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage

log = logging.getLogger(__name__)

DEPOSITS, MESSAGES = "deposes", "messages"


def tab_keys() -> list[str]:
    """The page's tabs: one per item kind, the clients' deposits, the messages."""
    return [*(k.key for k in registry.kinds()), DEPOSITS, MESSAGES]


class FirmDossierState(LoadedPage, StaffState):
    not_found: bool = False
    current_id: str = ""
    label: str = ""
    reference: str = ""
    interlocutor: str = ""
    clients: list[dict[str, str]] = []
    lawyers: list[dict[str, str]] = []
    me: str = ""
    items: dict[str, list[sharing.FirmItemRow]] = {}
    counts: dict[str, int] = {}
    deposit_rows: list[sharing.DepositRow] = []
    new_deposits: int = 0
    thread: list[dict[str, str]] = []
    unread: str = "0"
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

    def _fill(self, user: User) -> bool:
        try:
            data = sharing.dossier_overview(user, self.current_id)
        except AccessDenied:
            log.warning("admin dossier refused user=%s dossier=%r", user.id, self.current_id)
            self.not_found = True
            self.loaded = True
            return False
        self.label, self.reference, self.interlocutor = data.label, data.reference, data.interlocutor
        self.clients, self.lawyers = [dict(c) for c in data.clients], [dict(p) for p in data.lawyers]
        self.items, self.counts = data.items, data.counts
        self.deposit_rows, self.new_deposits = data.deposits, data.new_deposits
        self.me = str(user.id)
        self.unread = str(firm_messages.unread_count(user, data.id))
        self.loaded = True
        return True

    @staff_event
    def load(self, user: User):
        self.reset()
        self.current_id = self.router.url.path.rstrip("/").split("/")[-1]
        if not self._fill(user):
            return
        wanted = self.router.url.query_parameters.get("onglet", "")
        if wanted in tab_keys():
            self._open(user, wanted)

    def _open(self, user: User, key: str) -> None:
        self.active_tab = key
        if key == MESSAGES:
            self.thread = firm_messages.read_thread(user, self.current_id)
            self.unread = "0"

    @staff_event
    def set_tab(self, user: User, key: str):
        if str(key) in tab_keys():
            self.message, self.failure, self.errors = "", "", {}
            try:
                self._open(user, str(key))
            except AccessDenied:
                self.not_found = True

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
        self._fill(user)

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
