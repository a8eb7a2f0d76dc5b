"""/admin/dossiers/<id>: a dossier of the firm, what is shared in it, the forms to
add items, the clients' deposits and the dossier's messages.

Every handler re-reads the acting user from the session cookie and passes it to
the services, which check the firm; nothing sent by the browser is trusted."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import reflex as rx

from espace.services import AccessDenied
from espace.services.firm import messages as admin_messages, sharing
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage

log = logging.getLogger(__name__)

# Form prefix (field names are "<prefix>_<field>") -> service category, what is said when added
# and shared, when added only.
FORMS = {
    "rdv": ("rdv", "Le RDV a été ajouté et partagé avec le client.", "Le RDV a été ajouté (non partagé)."),
    "facture": ("factures", "La facture a été ajoutée et partagée avec le client.",
                "La facture a été ajoutée (non partagée)."),
    "tache": ("taches", "La tâche a été ajoutée et partagée avec le client.", "La tâche a été ajoutée (non partagée)."),
    "temps": ("temps-passes", "Le temps passé a été ajouté et partagé avec le client.",
              "Le temps passé a été ajouté (non partagé)."),
    "frais": ("frais", "Les frais ont été ajoutés et partagés avec le client.", "Les frais ont été ajoutés (non partagés)."),
}
TABS = ["documents", "deposes", "rdv", "factures", "taches", "temps-passes", "frais", "messages"]


class AdminDossierState(LoadedPage, StaffState):
    not_found: bool = False
    current_id: str = ""
    label: str = ""
    reference: str = ""
    interlocutor: str = ""
    clients: list[dict[str, str]] = []
    lawyers: list[dict[str, str]] = []
    me: str = ""
    items: dict[str, list[dict[str, str]]] = {}
    counts: dict[str, str] = {}
    deposit_rows: list[dict[str, str]] = []
    new_deposits: str = "0"
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

    def _fill(self, user) -> bool:
        try:
            data = sharing.dossier_overview(user, self.current_id)
        except AccessDenied:
            log.warning("admin dossier refused user=%s dossier=%r", user.id, self.current_id)
            self.not_found = True
            self.loaded = True
            return False
        self.label, self.reference, self.interlocutor = data["label"], data["reference"], data["interlocutor"]
        self.clients, self.lawyers = data["clients"], data["lawyers"]
        self.items, self.counts = data["items"], data["counts"]
        self.deposit_rows, self.new_deposits = data["deposits"], data["new_deposits"]
        self.me = str(user.id)
        self.unread = str(admin_messages.unread_count(user, data["id"]))
        self.loaded = True
        return True

    @rx.event
    def load(self):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        self.reset()
        self.current_id = self.router.url.path.rstrip("/").split("/")[-1]
        if not self._fill(user):
            return
        wanted = self.router.url.query_parameters.get("onglet", "")
        if wanted in TABS:
            self._open(user, wanted)

    def _open(self, user, key: str) -> None:
        self.active_tab = key
        if key == "messages":
            self.thread = admin_messages.read_thread(user, self.current_id)
            self.unread = "0"

    @rx.event
    def set_tab(self, key: str):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        if str(key) in TABS:
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
            user = self._require_staff()
            if user is not None:
                self._fill(user)

    @rx.event
    def refresh(self):
        """After uploads (the zone's script clicks the hidden button)."""
        user = self._require_staff()
        if user is None:
            return self._refuse()
        self._fill(user)

    def _add(self, prefix: str, form: Mapping):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        category, shared_text, kept_text = FORMS[prefix]
        start = prefix + "_"
        values = {str(k)[len(start):]: v for k, v in dict(form).items() if str(k).startswith(start)}
        share_now = sharing._truthy(values.pop("partager", ""))
        try:
            ok, errors, _ = sharing.add_item(user, self.current_id, category, values, share_now=share_now)
        except AccessDenied:
            self.not_found = True
            return
        self.errors = {f"{prefix}_{k}": v for k, v in errors.items()}
        if ok:
            self.message = shared_text if share_now else kept_text
            self.failure = ""
            self.form_key += 1
            self._fill(user)
        else:
            self.message = ""
            self.failure = "Le formulaire contient des erreurs : corrigez les champs signalés."

    @rx.event
    def add_rdv(self, form: dict):
        return self._add("rdv", form)

    @rx.event
    def add_facture(self, form: dict):
        return self._add("facture", form)

    @rx.event
    def add_tache(self, form: dict):
        return self._add("tache", form)

    @rx.event
    def add_temps(self, form: dict):
        return self._add("temps", form)

    @rx.event
    def add_frais(self, form: dict):
        return self._add("frais", form)

    def _toggle(self, category: str, item_id: str, on: bool):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        try:
            (sharing.share if on else sharing.unshare)(user, str(category), str(item_id))
        except AccessDenied:
            self.failure = "Élément introuvable."
            self.message = ""
            return
        self.failure, self.errors = "", {}
        self.message = "Partagé avec le client." if on else "Retiré : le client ne le voit plus."
        self._fill(user)

    @rx.event
    def share(self, category: str, item_id: str):
        return self._toggle(category, item_id, True)

    @rx.event
    def unshare(self, category: str, item_id: str):
        return self._toggle(category, item_id, False)

    @rx.event
    def answer(self, form: dict):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        form = dict(form)
        try:
            sent = admin_messages.answer(user, self.current_id, str(form.get("reponse_message", "")),
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
            self.thread = admin_messages.read_thread(user, self.current_id)
        else:
            self.message = ""
