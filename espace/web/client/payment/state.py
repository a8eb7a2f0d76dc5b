"""State of online invoice payment: the client's payment page (the firm's list is
web/firm/payments/).

The payment page drives Stripe.js through `assets/paiement.js` (loaded by this page
only) with `rx.call_script`; every handler re-authorises through the payments
service from the server-side session, whatever the browser sends."""
from __future__ import annotations

import asyncio
import json
import logging

import reflex as rx

from espace.models import User
from espace.services import AccessDenied, payments
from espace.services.payments import PaymentView
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState

log = logging.getLogger(__name__)

WAIT_SECONDS = 90  # how long the page waits for Stripe's webhook before saying it will come later
SCRIPT_URL = "/paiement.js"

MSG_PAID = "Merci, votre paiement a été reçu : la facture est réglée. Un reçu vous a été envoyé par e-mail."
MSG_WAITING = "Paiement accepté par la plateforme : confirmation en cours…"
MSG_LATE = ("La confirmation prend plus de temps que prévu. Votre paiement sera pris en compte : "
            "la facture apparaîtra « Payée » dès sa réception par votre cabinet.")
MSG_NOT_OFFERED = "Le paiement en ligne n'est pas proposé pour cette facture."


def _mount_script(publishable_key: str, stripe_js_url: str) -> str:
    """Load paiement.js once, then Stripe.js from the configured address, and mount the card element."""
    return (
        "(async () => { try { if (!window.espacePaiement) { await new Promise((ok, ko) => {"
        " const s = document.createElement('script'); s.src = " + json.dumps(SCRIPT_URL) + ";"
        " s.onload = ok; s.onerror = ko; document.head.appendChild(s); }); }"
        " return await window.espacePaiement.monter(" + json.dumps(publishable_key) + ", "
        + json.dumps(stripe_js_url) + ", '#carte-paiement'); } catch (e) { return {ok: false, code: 'network'}; } })()"
    )


def _error_of(result) -> tuple[str, str]:
    err = result.get("error") if isinstance(result, dict) else {"code": "unknown"}
    if not isinstance(err, dict):
        err = {"code": "unknown"}
    return str(err.get("code") or "")[:64], str(err.get("type") or "")[:64]


class PaymentState(LoadedPage, SessionState):
    facture_id: str = ""
    number: str = ""
    date: str = ""
    amount: str = ""
    dossier: str = ""
    dossier_id: str = ""
    status: str = ""
    paid: bool = False
    payable: bool = False
    not_found: bool = False
    card_ready: bool = False
    busy: bool = False
    waiting: bool = False
    error: str = ""
    info: str = ""

    def _facture_from_path(self) -> str:
        parts = [p for p in self.router.url.path.split("/") if p]
        return parts[-2] if len(parts) >= 3 else ""

    def _fill(self, view: PaymentView) -> None:
        self.facture_id = view.id
        self.number, self.date, self.amount = view.number, view.date, view.amount
        self.dossier, self.dossier_id = view.dossier, view.dossier_id
        self.status, self.paid, self.payable = view.status, view.paid, view.payable

    @client_event
    def load(self, user: User):
        self.reset()
        raw = self._facture_from_path()
        try:
            view = payments.payment_view(user, raw)
        except AccessDenied:
            log.warning("payment page refused user=%s facture=%r", user.id, raw)
            self.not_found = True
            return
        self._fill(view)
        self.loaded = True
        if view.paid:
            return
        if not view.payable:
            self.info = MSG_NOT_OFFERED
            return
        try:
            started = payments.start_payment(user, self.facture_id)
        except payments.PaymentError as exc:
            self.error = exc.message
            self.payable = exc.code not in ("already_paid", "not_payable", "too_many_declines")
            if exc.code == "in_progress":
                return PaymentState.wait_paid
            return
        except AccessDenied:
            self.not_found = True
            return
        return rx.call_script(_mount_script(started["publishable_key"], started["stripe_js_url"]),
                              callback=PaymentState.card_mounted)

    @rx.event
    def card_mounted(self, result: dict | None = None):
        if isinstance(result, dict) and result.get("ok"):
            self.card_ready = True
            return
        log.error("payment page: Stripe.js could not be loaded facture=%s result=%r", self.facture_id, result)
        self.error = payments.MSG_NETWORK

    @client_event
    def pay(self, user: User):
        if self.busy or self.waiting or self.paid or not self.facture_id:
            return
        if not payments.payable(user, self.facture_id):
            self.error, self.payable = payments.MSG_UNAVAILABLE, False
            return
        self.busy, self.error, self.info = True, "", ""
        return rx.call_script("window.espacePaiement ? window.espacePaiement.jeton() : {error: {code: 'network'}}",
                              callback=PaymentState.token_ready)

    @client_event
    def token_ready(self, user: User, result: dict | None = None):
        token = result.get("token") if isinstance(result, dict) else None
        if not token:
            code, kind = _error_of(result)
            log.info("payment: card not tokenised facture=%s code=%s type=%s", self.facture_id, code, kind)
            self.busy, self.error = False, payments.message_for(code, kind)
            return
        try:
            outcome = payments.confirm_payment(user, self.facture_id, str(token))
        except payments.PaymentError as exc:
            self.busy, self.error = False, exc.message
            if exc.code == "too_many_declines":
                self.payable = False  # no card form (no Stripe call) until the hour has passed
                return
            if exc.code == "already_paid":
                return self._reload_view(user)
            if exc.code == "in_progress":
                return PaymentState.wait_paid
            return
        except AccessDenied:
            self.busy, self.not_found = False, True
            return
        if outcome["status"] == "requires_action":
            return rx.call_script(
                "window.espacePaiement.authentifier(" + json.dumps(outcome["client_secret"]) + ")",
                callback=PaymentState.auth_done)
        return PaymentState.wait_paid

    @client_event
    def auth_done(self, _user: User, result: dict | None = None):
        status = result.get("status") if isinstance(result, dict) else None
        if status in ("succeeded", "processing"):
            return PaymentState.wait_paid
        code, kind = _error_of(result)
        log.info("payment: authentication not completed facture=%s code=%s", self.facture_id, code)
        self.busy = False
        self.error = payments.message_for(code or "payment_intent_authentication_failure", kind)

    def _reload_view(self, user: User) -> None:
        try:
            self._fill(payments.payment_view(user, self.facture_id))
        except AccessDenied:
            self.not_found = True

    @rx.event(background=True)
    async def wait_paid(self):
        """Wait for the webhook to mark the invoice paid; the page then shows `Payée`."""
        async with self:
            user = self._client()
            if user is None or self.waiting:
                return
            self.waiting, self.busy, self.error, self.info = True, True, "", MSG_WAITING
            facture_id = self.facture_id
        loop = asyncio.get_running_loop()
        for _ in range(WAIT_SECONDS):
            await asyncio.sleep(1)
            try:
                paid = await loop.run_in_executor(None, payments.facture_paid, user, facture_id)
            except AccessDenied:
                paid = False
            if paid:
                async with self:
                    now = self._client()  # the tab may have changed user meanwhile
                    if now is None or now.id != user.id:
                        return
                    self._reload_view(user)
                    self.waiting, self.busy, self.info = False, False, MSG_PAID
                return
        async with self:
            self.waiting, self.busy, self.info = False, False, MSG_LATE
