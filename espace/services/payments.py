"""Online invoice payment with Stripe (PRODUCT.md item 7).

Flow (every step authorised here, from the server-side session user):
1. `start_payment`: the client's invoice must be payable online (firm payments on,
   invoice shared, unpaid, marked payable). One PaymentIntent per invoice, created
   with the amount and currency of the database and reused by every tab and every
   retry (row lock on the invoice while it is looked up or created).
2. The browser turns the card typed into Stripe.js's card element into a token,
   straight with Stripe: card data never reaches this server, only the token id.
3. `confirm_payment` attaches the token's card to the intent and confirms it with the
   firm's secret key; 3-D Secure, when asked for, is completed in the browser
   (Stripe.js, with the intent's client secret).
4. The invoice becomes `Payée` only in `handle_webhook`, on a `payment_intent.succeeded`
   event signed with the firm's webhook secret; each event is handled once
   (StripeEvent). The client gets a receipt email, the firm an audit event.

Each firm has its own keys, stored encrypted (security.encrypt_secret); the secret
key and the webhook secret never leave this module, are never logged.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlparse

import stripe
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from espace.config import settings
from espace.db import session_scope
from espace.domain.ids import parse_id
from espace.domain.formatting import fdate, fdatetime, fmoney
from espace.models import (
    Client,
    Dossier,
    DossierClient,
    Facture,
    FactureStatus,
    Firm,
    Payment,
    PaymentDecline,
    StripeEvent,
    User,
    utcnow,
)
from espace.services.crypto import decrypt_secret
from espace.services import AccessDenied, audit
from espace.services.mail import outbox
from espace.services.access import require_staff
from espace.services.client.portal import client_of
from espace.domain.names import dossier_title, formal_name, full_name

log = logging.getLogger(__name__)

CURRENCY = "eur"
STRIPE_DEFAULT_API = "https://api.stripe.com"
STRIPE_TIMEOUT = 20  # seconds per request to Stripe
HANDLED_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")
# Intent states in which the same intent can still be paid (so it is reused).
REUSABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
TOKEN_RE = re.compile(r"^tok_[A-Za-z0-9_]{1,200}$")

# What the client reads (French), by cause.
MSG_UNAVAILABLE = "Le paiement en ligne n'est pas disponible pour cette facture."
MSG_ALREADY_PAID = "Cette facture est déjà réglée."
MSG_IN_PROGRESS = ("Un paiement de cette facture est en cours de confirmation. "
                   "Patientez quelques instants avant de réessayer.")
MSG_DECLINED = ("Votre carte a été refusée. Aucun montant n'a été débité : "
                "vous pouvez réessayer avec une autre carte.")
MSG_CARD_DETAILS = ("Les informations de la carte sont incorrectes ou incomplètes "
                    "(numéro, date d'expiration, cryptogramme). Vérifiez-les puis réessayez.")
MSG_EXPIRED = "Votre carte a expiré. Aucun montant n'a été débité : utilisez une autre carte."
MSG_AUTHENTICATION = ("L'authentification 3-D Secure auprès de votre banque n'a pas abouti. "
                      "Aucun montant n'a été débité : vous pouvez réessayer.")
MSG_NETWORK = ("La connexion avec la plateforme de paiement a échoué. Vérifiez votre connexion "
               "Internet puis réessayez : aucun montant n'a été débité.")
MSG_SERVICE = ("Le paiement en ligne est momentanément indisponible. Réessayez plus tard "
               "ou contactez votre cabinet.")
MSG_TOO_MANY_DECLINES = ("Trop de paiements refusés pour cette facture. Réessayez dans une heure "
                         "ou contactez votre cabinet.")
MSG_FAILED = ("Le paiement n'a pas pu être effectué et aucun montant n'a été débité. "
              "Vérifiez les informations de votre carte puis réessayez.")

_CARD_DETAIL_CODES = {
    "incorrect_number", "invalid_number", "invalid_expiry_month", "invalid_expiry_year",
    "incorrect_cvc", "invalid_cvc", "incomplete_number", "incomplete_cvc", "incomplete_expiry",
    "incorrect_zip", "incomplete_zip", "invalid_card_data",
}


def message_for(code: str | None, kind: str | None = None) -> str:
    """The French message for a Stripe error code or type (from Stripe or Stripe.js)."""
    code = (code or "").strip()
    kind = (kind or "").strip()
    if code == "network" or kind == "api_connection_error":
        return MSG_NETWORK
    if code in ("payment_intent_authentication_failure", "authentication_required", "authentication"):
        return MSG_AUTHENTICATION
    if code == "expired_card":
        return MSG_EXPIRED
    if code in _CARD_DETAIL_CODES or kind == "validation_error":
        return MSG_CARD_DETAILS
    if code in ("card_declined", "insufficient_funds", "lost_card", "stolen_card", "fraudulent",
                "do_not_honor", "generic_decline", "processing_error") or kind == "card_error":
        return MSG_DECLINED
    return MSG_FAILED


class PaymentError(Exception):
    """The payment cannot go on; `message` is French and meant for the client."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


class WebhookRejected(Exception):
    """A webhook call that is not a valid signed event of this firm (answered 400)."""


# ---------------------------------------------------------------- helpers


def _client_for(firm: Firm) -> stripe.StripeClient:
    """A Stripe client with this firm's secret key, for one request's needs."""
    if not firm.stripe_secret_key_enc:
        raise PaymentError(MSG_UNAVAILABLE, "not_configured")
    return stripe.StripeClient(
        decrypt_secret(firm.stripe_secret_key_enc),
        base_addresses={"api": settings.stripe_api_base.rstrip("/")},
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT),
    )


def _configured(firm: Firm | None) -> bool:
    return bool(firm and firm.payments_enabled and firm.stripe_publishable_key and firm.stripe_secret_key_enc
                and firm.stripe_webhook_secret_enc)


def _parse_id(raw) -> int:
    value = parse_id(raw)
    if value is None:
        raise AccessDenied()
    return value


def _cents(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class _Ctx:
    user: User
    client: Client
    facture: Facture
    dossier: Dossier
    firm: Firm


def _visible_facture(s: Session, user: User, facture_id) -> _Ctx:
    """The invoice if it is shared in a dossier of this client (in the client's firm)."""
    client = client_of(s, user)
    fid = _parse_id(facture_id)
    row = s.exec(
        select(Facture, Dossier)
        .join(Dossier, Dossier.id == Facture.dossier_id)
        .join(DossierClient, DossierClient.dossier_id == Dossier.id)
        .where(Facture.id == fid, Facture.shared_at.is_not(None), Dossier.firm_id == client.firm_id,
               DossierClient.client_id == client.id)
    ).first()
    if row is None:
        raise AccessDenied()
    facture, dossier = row
    firm = s.get(Firm, dossier.firm_id)
    if firm is None:
        raise AccessDenied()
    return _Ctx(user, client, facture, dossier, firm)


def _is_payable(ctx: _Ctx) -> bool:
    f = ctx.facture
    return (_configured(ctx.firm) and f.payable_online and f.status == FactureStatus.a_regler
            and f.amount_cents > 0)


def _check_payable(ctx: _Ctx) -> None:
    if ctx.facture.status == FactureStatus.payee:
        raise PaymentError(MSG_ALREADY_PAID, "already_paid")
    if not _is_payable(ctx):
        raise PaymentError(MSG_UNAVAILABLE, "not_payable")


def _stripe_failure(exc: stripe.StripeError, what: str, ctx: _Ctx) -> PaymentError:
    """Log a Stripe error with its context and turn it into the client's message."""
    code = getattr(exc, "code", None) or ""
    if isinstance(exc, stripe.CardError):
        log.info("payment card refused firm=%s facture=%s code=%s step=%s", ctx.firm.id, ctx.facture.id, code, what)
        return PaymentError(message_for(code, "card_error"), code or "card_declined")
    if isinstance(exc, stripe.APIConnectionError):
        log.error("payment: Stripe unreachable firm=%s facture=%s step=%s api=%s", ctx.firm.id, ctx.facture.id,
                  what, settings.stripe_api_base)
        return PaymentError(MSG_NETWORK, "network")
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        log.error("payment: Stripe refused the firm's keys firm=%s step=%s", ctx.firm.id, what)
        return PaymentError(MSG_SERVICE, "keys")
    log.error("payment: Stripe error firm=%s facture=%s step=%s status=%s code=%s message=%s", ctx.firm.id,
              ctx.facture.id, what, getattr(exc, "http_status", None), code, getattr(exc, "user_message", None))
    return PaymentError(MSG_FAILED, code or "stripe_error")


def _lock_facture(s: Session, facture_id: int) -> None:
    """Take the write lock on the invoice row first thing in the transaction (row lock
    on PostgreSQL, the database write lock on SQLite), so that two tabs starting a
    payment at once are served one after the other and share one intent."""
    s.exec(update(Facture).where(Facture.id == facture_id).values(amount_cents=Facture.amount_cents))


def _open_intent(s: Session, ctx: _Ctx, stripe_client: stripe.StripeClient):
    """Inside the locked transaction: the invoice's reusable intent, else a new one.
    Returns (Payment row, Stripe PaymentIntent)."""
    facture = s.get(Facture, ctx.facture.id)
    s.refresh(facture)
    if facture.status == FactureStatus.payee:
        raise PaymentError(MSG_ALREADY_PAID, "already_paid")
    previous = s.exec(
        select(Payment)
        .where(Payment.facture_id == facture.id, Payment.firm_id == ctx.firm.id,
               Payment.status.in_(("open", "failed", "succeeded")))
        .order_by(Payment.id.desc())
    ).all()
    if any(p.status == "succeeded" for p in previous):
        raise PaymentError(MSG_ALREADY_PAID, "already_paid")
    for payment in previous:
        intent = stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
        if intent.status in ("succeeded", "processing", "requires_capture"):
            # Paid at Stripe, the webhook is on its way.
            raise PaymentError(MSG_IN_PROGRESS, "in_progress")
        if intent.status in REUSABLE:
            if _cents(intent.amount) != facture.amount_cents and intent.status != "requires_action":
                # The firm changed the amount since: the database is the truth.
                intent = stripe_client.v1.payment_intents.update(
                    intent.id, {"amount": facture.amount_cents},
                    {"idempotency_key": f"espace-amount-{intent.id}-{uuid.uuid4().hex}"})
                payment.amount_cents = facture.amount_cents
            payment.status = "open"
            s.add(payment)
            return payment, intent
        payment.status = "canceled"
        s.add(payment)
    intent = stripe_client.v1.payment_intents.create(
        {
            "amount": facture.amount_cents,
            "currency": CURRENCY,
            "payment_method_types": ["card"],
            "metadata": {"firm_id": str(ctx.firm.id), "facture_id": str(facture.id),
                         "facture_number": facture.number, "client_user_id": str(ctx.user.id)},
        },
        {"idempotency_key": f"espace-pi-{ctx.firm.id}-{facture.id}-{uuid.uuid4().hex}"},
    )
    payment = Payment(firm_id=ctx.firm.id, facture_id=facture.id, user_id=ctx.user.id,
                      stripe_payment_intent_id=intent.id, amount_cents=facture.amount_cents, currency=CURRENCY)
    s.add(payment)
    log.info("payment intent created firm=%s facture=%s intent=%s amount=%s", ctx.firm.id, facture.id, intent.id,
             facture.amount_cents)
    return payment, intent


# ---------------------------------------------------------------- card testing
DECLINE_WINDOW = timedelta(hours=1)


def declines_exceeded(s: Session, user_id: int, facture_id: int) -> bool:
    """Has this client, or this invoice, had PAYMENT_MAX_DECLINES_PER_HOUR declined
    card attempts in the last hour? Counted in the database: all workers agree."""
    since = utcnow() - DECLINE_WINDOW
    by_user, by_facture = s.exec(
        select(
            func.count().filter(PaymentDecline.user_id == user_id),
            func.count().filter(PaymentDecline.facture_id == facture_id),
        ).where(PaymentDecline.at >= since,
                (PaymentDecline.user_id == user_id) | (PaymentDecline.facture_id == facture_id))
    ).one()
    limit = settings.payment_max_declines_per_hour
    return by_user >= limit or by_facture >= limit


def _check_declines(ctx: _Ctx) -> None:
    """Refuse before any call to Stripe once the decline cap is reached."""
    with session_scope() as s:
        if not declines_exceeded(s, ctx.user.id, ctx.facture.id):
            return
        audit.record(s, ctx.user, "paiements_bloques", f"facture {ctx.facture.number}",
                     subject_user_id=ctx.user.id)
        s.commit()
    log.warning("payment refused: too many declined cards firm=%s facture=%s user=%s", ctx.firm.id,
                ctx.facture.id, ctx.user.id)
    raise PaymentError(MSG_TOO_MANY_DECLINES, "too_many_declines")


def _record_decline(ctx: _Ctx, code: str) -> None:
    with session_scope() as s:
        s.add(PaymentDecline(firm_id=ctx.firm.id, facture_id=ctx.facture.id, user_id=ctx.user.id,
                             code=(code or "")[:64]))
        audit.record(s, ctx.user, "paiement_refuse", f"facture {ctx.facture.number} ({code or 'refus'})",
                     subject_user_id=ctx.user.id)
        s.commit()


def _intent_for(user: User, facture_id):
    """Authorise, then find or create the invoice's intent (see _open_intent)."""
    with session_scope() as s:
        ctx = _visible_facture(s, user, facture_id)
    _check_payable(ctx)
    _check_declines(ctx)
    stripe_client = _client_for(ctx.firm)
    with session_scope() as s:
        _lock_facture(s, ctx.facture.id)
        try:
            payment, intent = _open_intent(s, ctx, stripe_client)
        except stripe.StripeError as exc:
            s.rollback()
            raise _stripe_failure(exc, "intent", ctx) from None
        s.commit()
    return ctx, payment, intent, stripe_client


# ---------------------------------------------------------------- client side


def payable(user: User, facture_id) -> bool:
    """May this client pay this invoice online now? (never raises)"""
    try:
        with session_scope() as s:
            return _is_payable(_visible_facture(s, user, facture_id))
    except AccessDenied:
        return False


def firm_accepts_payments(s: Session, firm_id: int) -> bool:
    """For the lists: does this firm take online payments?"""
    return _configured(s.get(Firm, firm_id))


def payment_view(user: User, facture_id) -> dict:
    """What the payment page shows of the invoice. AccessDenied if not the client's."""
    with session_scope() as s:
        ctx = _visible_facture(s, user, facture_id)
        f, d = ctx.facture, ctx.dossier
        paid = f.status == FactureStatus.payee
        return {
            "id": str(f.id),
            "number": f.number,
            "date": fdate(f.date),
            "amount": fmoney(f.amount_cents),
            "dossier": dossier_title(d),
            "dossier_id": str(d.id),
            "paid": paid,
            "status": "Payée" if paid else "À régler",
            "paid_at": fdate(f.paid_at) if paid and f.paid_at else "",
            "payable": _is_payable(ctx),
        }


def start_payment(user: User, facture_id) -> dict:
    """The invoice's PaymentIntent for Stripe.js: created, or the open one reused.
    Raises AccessDenied (not the client's invoice) or PaymentError (French message)."""
    ctx, _payment, intent, _ = _intent_for(user, facture_id)
    return {
        "client_secret": intent.client_secret,
        "publishable_key": ctx.firm.stripe_publishable_key,
        "stripe_js_url": settings.stripe_js_url,
    }


def confirm_payment(user: User, facture_id, token: str) -> dict:
    """Pay the invoice's intent with the card Stripe.js tokenised in the browser.
    Returns {"status": "succeeded" | "processing" | "requires_action", "client_secret"}:
    the invoice is marked paid later, by the webhook. Raises PaymentError."""
    token = str(token or "")
    if not TOKEN_RE.match(token):
        raise PaymentError(MSG_CARD_DETAILS, "invalid_token")
    ctx, payment, intent, stripe_client = _intent_for(user, facture_id)
    attempt = uuid.uuid4().hex
    try:
        if intent.status == "requires_action":
            # A 3-D Secure step left unfinished: the browser resumes it.
            return {"status": "requires_action", "client_secret": intent.client_secret}
        customer = stripe_client.v1.customers.create(
            {"source": token, "email": ctx.user.email, "name": full_name(ctx.user),
             "metadata": {"firm_id": str(ctx.firm.id), "client_user_id": str(ctx.user.id)}},
            {"idempotency_key": f"espace-cus-{intent.id}-{attempt}"},
        )
        intent = stripe_client.v1.payment_intents.update(
            intent.id, {"payment_method": customer.default_source, "customer": customer.id},
            {"idempotency_key": f"espace-pm-{intent.id}-{attempt}"},
        )
        intent = stripe_client.v1.payment_intents.confirm(
            intent.id, options={"idempotency_key": f"espace-confirm-{intent.id}-{attempt}"})
    except stripe.StripeError as exc:
        if isinstance(exc, stripe.CardError):
            _record_decline(ctx, getattr(exc, "code", None) or "card_declined")
        raise _stripe_failure(exc, "confirm", ctx) from None
    log.info("payment confirmed firm=%s facture=%s intent=%s status=%s", ctx.firm.id, ctx.facture.id, intent.id,
             intent.status)
    if intent.status in ("succeeded", "processing", "requires_action"):
        return {"status": intent.status, "client_secret": intent.client_secret}
    error = getattr(intent, "last_payment_error", None) or {}
    _record_decline(ctx, (error.get("code") if hasattr(error, "get") else None) or "not_paid")
    raise PaymentError(message_for(error.get("code") if hasattr(error, "get") else None), "not_paid")


def facture_paid(user: User, facture_id) -> bool:
    """Has this client's invoice been marked paid (by the webhook)?"""
    with session_scope() as s:
        return _visible_facture(s, user, facture_id).facture.status == FactureStatus.payee


# ---------------------------------------------------------------- webhook


def handle_webhook(payload: bytes, sig_header: str, firm_id) -> str:
    """Verify and apply one Stripe event sent to this firm's webhook address.
    Returns what was done ("paid", "failed", "duplicate", "ignored"); raises
    WebhookRejected when the signature (firm's secret, tolerance window) or the
    body is not valid: nothing is changed then."""
    try:
        fid = _parse_id(firm_id)
    except AccessDenied:
        raise WebhookRejected("unknown firm") from None
    with session_scope() as s:
        firm = s.get(Firm, fid)
    if firm is None or not firm.stripe_webhook_secret_enc:
        raise WebhookRejected("no webhook secret for this firm")
    if isinstance(payload, str):
        payload = payload.encode()
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), sig_header or "",
                                              decrypt_secret(firm.stripe_webhook_secret_enc),
                                              tolerance=settings.stripe_webhook_tolerance_seconds)
        event = json.loads(payload)
        event_id, event_type = str(event["id"]), str(event["type"])
        obj = event["data"]["object"]
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected(f"signature: {exc.user_message or exc}") from None
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise WebhookRejected("malformed event") from None

    with session_scope() as s:
        if s.get(StripeEvent, event_id) is not None:
            log.info("stripe event already handled firm=%s event=%s type=%s", fid, event_id, event_type)
            return "duplicate"
        s.add(StripeEvent(id=event_id, firm_id=fid, type=event_type))
        outcome = "ignored"
        if event_type in HANDLED_EVENTS and isinstance(obj, dict):
            outcome = _apply(s, fid, event_type, obj, event_id)
        else:
            log.info("stripe event ignored firm=%s event=%s type=%s", fid, event_id, event_type)
        try:
            s.commit()
        except IntegrityError:
            # The same event delivered twice at once: the other delivery handled it.
            s.rollback()
            log.info("stripe event handled concurrently firm=%s event=%s", fid, event_id)
            return "duplicate"
        return outcome


def _apply(s: Session, firm_id: int, event_type: str, intent: dict, event_id: str) -> str:
    intent_id = str(intent.get("id", ""))
    payment = s.exec(
        select(Payment).where(Payment.stripe_payment_intent_id == intent_id, Payment.firm_id == firm_id)
    ).first()
    if payment is None:
        log.warning("stripe event for an unknown intent ignored firm=%s event=%s intent=%s", firm_id, event_id,
                    intent_id)
        return "ignored"
    facture = s.get(Facture, payment.facture_id)
    dossier = s.get(Dossier, facture.dossier_id) if facture else None
    if facture is None or dossier is None or dossier.firm_id != firm_id:
        log.warning("stripe event for an unknown invoice ignored firm=%s event=%s intent=%s", firm_id, event_id,
                    intent_id)
        return "ignored"

    if event_type == "payment_intent.payment_failed":
        if payment.status == "open":
            payment.status = "failed"
            s.add(payment)
        log.info("payment failed firm=%s facture=%s intent=%s", firm_id, facture.id, intent_id)
        return "failed"

    if facture.status == FactureStatus.payee or payment.status == "succeeded":
        log.warning("payment for an invoice already paid ignored firm=%s facture=%s intent=%s event=%s", firm_id,
                    facture.id, intent_id, event_id)
        return "ignored"
    received = _cents(intent.get("amount_received") or intent.get("amount"))
    currency = str(intent.get("currency", "")).lower()
    if received != payment.amount_cents or currency != payment.currency or intent.get("status") != "succeeded":
        log.error("payment event does not match the intent recorded, ignored firm=%s facture=%s intent=%s "
                  "amount=%s/%s currency=%s status=%s", firm_id, facture.id, intent_id, received,
                  payment.amount_cents, currency, intent.get("status"))
        return "ignored"

    now = utcnow()
    payment.status = "succeeded"
    payment.succeeded_at = now
    facture.status = FactureStatus.payee
    facture.paid_at = now
    s.add(payment)
    s.add(facture)
    payer = s.get(User, payment.user_id)
    firm = s.get(Firm, firm_id)
    amount = fmoney(payment.amount_cents)
    if payer is not None:
        outbox.enqueue(
            s, payer.email, f"Reçu de paiement — facture n° {facture.number}", "payment_receipt",
            {
                "client_name": full_name(payer),
                "firm_name": firm.name if firm else "",
                "number": facture.number,
                "amount": amount,
                "date": fdate(now),
                "dossier": dossier_title(dossier),
                "reference": intent_id,
            },
            firm_id=firm_id, reply_to=(firm.sender_email if firm else None) or None,
            sender_name=firm.name if firm else None,
        )
    audit.record(s, payer, "paiement", f"facture {facture.number} {amount} payée en ligne (Stripe {intent_id})",
                 subject_user_id=payer.id if payer else None)
    log.info("invoice paid firm=%s facture=%s intent=%s amount=%s", firm_id, facture.id, intent_id,
             payment.amount_cents)
    return "paid"


# ---------------------------------------------------------------- firm side

STATUS_LABELS = {"open": "En cours", "succeeded": "Réussi", "failed": "Échoué", "canceled": "Annulé"}


def list_payments(user: User, limit: int = 200) -> list[dict[str, str]]:
    """The firm's online payments, newest first (date, amount, Stripe id, invoice, client)."""
    with session_scope() as s:
        require_staff(s, user)
        rows = s.exec(
            select(Payment, Facture, Dossier, User)
            .join(Facture, Facture.id == Payment.facture_id)
            .join(Dossier, Dossier.id == Facture.dossier_id)
            .join(User, User.id == Payment.user_id)
            .where(Payment.firm_id == user.firm_id, Dossier.firm_id == user.firm_id)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(limit)
        ).all()
        return [
            {
                "id": str(p.id),
                "date": fdatetime(p.succeeded_at or p.created_at),
                "amount": fmoney(p.amount_cents),
                "status": STATUS_LABELS.get(p.status, p.status),
                "stripe_id": p.stripe_payment_intent_id,
                "facture": f"Facture n° {f.number}",
                "client": formal_name(u),
                "dossier": dossier_title(d),
            }
            for p, f, d, u in rows
        ]


# ---------------------------------------------------------------- demo


def uses_local_stripe() -> bool:
    return settings.stripe_api_base.rstrip("/") != STRIPE_DEFAULT_API


def configure_demo(firm_id: int | None = None) -> str:
    """Demo mode against a local Stripe-compatible server (STRIPE_API_BASE set to a
    `localstripe`): turn payments on for the demo firm with test keys and register
    the firm's webhook with that server. Returns what was done (French)."""
    import secrets
    import urllib.parse
    import urllib.request

    from espace.services.crypto import encrypt_secret

    if not uses_local_stripe():
        return ""
    host = urlparse(settings.stripe_api_base).hostname or ""
    if host not in ("localhost", "127.0.0.1", "::1"):
        return "Paiement en ligne de démonstration : STRIPE_API_BASE n'est pas local, rien n'est configuré."
    with session_scope() as s:
        firm = s.get(Firm, firm_id) if firm_id else s.exec(select(Firm).order_by(Firm.id)).first()
        if firm is None:
            return ""
        if not firm.stripe_webhook_secret_enc:
            firm.stripe_webhook_secret_enc = encrypt_secret("whsec_" + secrets.token_hex(16))
        firm.payments_enabled = True
        firm.stripe_publishable_key = firm.stripe_publishable_key or "pk_test_espace_demo"
        firm.stripe_secret_key_enc = firm.stripe_secret_key_enc or encrypt_secret("sk_test_espace_demo")
        s.add(firm)
        s.commit()
        fid, name, secret = firm.id, firm.name, decrypt_secret(firm.stripe_webhook_secret_enc)
    url = f"{settings.public_url}/api/stripe/webhook/{fid}"
    body = urllib.parse.urlencode(
        [("url", url), ("secret", secret)] + [("events[]", e) for e in HANDLED_EVENTS]).encode()
    try:
        urllib.request.urlopen(urllib.request.Request(
            f"{settings.stripe_api_base.rstrip('/')}/_config/webhooks/espace-firm-{fid}", data=body, method="POST"),
            timeout=5).close()
    except OSError as exc:
        return (f"Paiement en ligne activé pour {name}, mais le serveur {settings.stripe_api_base} "
                f"ne répond pas ({exc}) : lancez localstripe puis relancez cette commande.")
    return f"Paiement en ligne de démonstration activé pour {name} ({settings.stripe_api_base})."
