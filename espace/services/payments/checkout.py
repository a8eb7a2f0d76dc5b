"""Online invoice payment with Stripe, the client's side (PRODUCT.md item 7).

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
4. The invoice becomes `Payée` only in the webhook (webhook.py), on a
   `payment_intent.succeeded` event signed with the firm's webhook secret.
"""
from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import Literal, TypedDict, cast

import stripe
from sqlalchemy import update
from sqlmodel import Session, col, select

from espace.config import settings
from espace.db import session_scope
from espace.domain.french import fdate, fmoney
from espace.domain.names import dossier_title, full_name
from espace.models import Client, Dossier, Facture, FactureStatus, Firm, Payment, User
from espace.services import AccessDenied
from espace.services.client.access import acting_client, dossier_ids_of
from espace.services.payments.common import (
    CURRENCY,
    MSG_ALREADY_PAID,
    MSG_CARD_DETAILS,
    MSG_FAILED,
    MSG_IN_PROGRESS,
    MSG_NETWORK,
    MSG_SERVICE,
    MSG_UNAVAILABLE,
    PaymentError,
    cents,
    configured,
    message_for,
    required_id,
    stripe_client_for,
)
from espace.services.payments.declines import check_declines, record_decline

log = logging.getLogger("espace.services.payments")

# Intent states in which the same intent can still be paid (so it is reused).
REUSABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
TOKEN_RE = re.compile(r"^tok_[A-Za-z0-9_]{1,200}$")


@dataclass(frozen=True, slots=True)
class PaymentView:
    """What the payment page shows of the invoice (French display strings)."""

    id: str
    number: str
    date: str
    amount: str
    dossier: str
    dossier_id: str
    paid: bool
    status: str
    paid_at: str
    payable: bool


class StartedPayment(TypedDict):
    """What Stripe.js needs to mount the card element for the invoice's intent."""

    client_secret: str
    publishable_key: str
    stripe_js_url: str


ConfirmStatus = Literal["succeeded", "processing", "requires_action"]


class ConfirmOutcome(TypedDict):
    """Where a confirmed intent stands; the invoice is marked paid by the webhook."""

    status: ConfirmStatus
    client_secret: str


@dataclass(frozen=True, slots=True)
class _Ctx:
    user: User
    client: Client
    facture: Facture
    dossier: Dossier
    firm: Firm

    @property
    def user_id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    @property
    def facture_id(self) -> int:
        assert self.facture.id is not None
        return self.facture.id

    @property
    def firm_id(self) -> int:
        assert self.firm.id is not None
        return self.firm.id


def _visible_facture(s: Session, user: User, facture_id: object) -> _Ctx:
    """The invoice if it is shared in a dossier of this client (in the client's firm)."""
    client = acting_client(s, user)
    fid = required_id(facture_id)
    row = s.exec(
        select(Facture, Dossier)
        .join(Dossier, col(Dossier.id) == col(Facture.dossier_id))
        .where(col(Facture.id) == fid, col(Facture.shared_at).is_not(None),
               col(Facture.dossier_id).in_(dossier_ids_of(client)))
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
    return (configured(ctx.firm) and f.payable_online and f.status == FactureStatus.a_regler
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
    s.exec(update(Facture).where(col(Facture.id) == facture_id).values(amount_cents=Facture.amount_cents))


def _open_intent(s: Session, ctx: _Ctx,
                 stripe_client: stripe.StripeClient) -> tuple[Payment, stripe.PaymentIntent]:
    """Inside the locked transaction: the invoice's reusable intent, else a new one."""
    facture = s.get(Facture, ctx.facture_id)
    if facture is None:
        raise AccessDenied()
    s.refresh(facture)
    if facture.status == FactureStatus.payee:
        raise PaymentError(MSG_ALREADY_PAID, "already_paid")
    previous = s.exec(
        select(Payment)
        .where(col(Payment.facture_id) == facture.id, col(Payment.firm_id) == ctx.firm_id,
               col(Payment.status).in_(("open", "failed", "succeeded")))
        .order_by(col(Payment.id).desc())
    ).all()
    if any(p.status == "succeeded" for p in previous):
        raise PaymentError(MSG_ALREADY_PAID, "already_paid")
    for payment in previous:
        intent = stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
        if intent.status in ("succeeded", "processing", "requires_capture"):
            # Paid at Stripe, the webhook is on its way.
            raise PaymentError(MSG_IN_PROGRESS, "in_progress")
        if intent.status in REUSABLE:
            if cents(intent.amount) != facture.amount_cents and intent.status != "requires_action":
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
            "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]  # sent as before; absent from stripe's types
            "metadata": {"firm_id": str(ctx.firm.id), "facture_id": str(facture.id),
                         "facture_number": facture.number, "client_user_id": str(ctx.user.id)},
        },
        {"idempotency_key": f"espace-pi-{ctx.firm.id}-{facture.id}-{uuid.uuid4().hex}"},
    )
    payment = Payment(firm_id=ctx.firm_id, facture_id=ctx.facture_id, user_id=ctx.user_id,
                      stripe_payment_intent_id=intent.id, amount_cents=facture.amount_cents, currency=CURRENCY)
    s.add(payment)
    log.info("payment intent created firm=%s facture=%s intent=%s amount=%s", ctx.firm.id, facture.id, intent.id,
             facture.amount_cents)
    return payment, intent


def _intent_for(user: User, facture_id: object) -> tuple[_Ctx, Payment, stripe.PaymentIntent, stripe.StripeClient]:
    """Authorise, then find or create the invoice's intent (see _open_intent)."""
    with session_scope() as s:
        ctx = _visible_facture(s, user, facture_id)
    _check_payable(ctx)
    check_declines(ctx.user, ctx.firm_id, ctx.facture_id, ctx.facture.number)
    stripe_client = stripe_client_for(ctx.firm)
    with session_scope() as s:
        _lock_facture(s, ctx.facture_id)
        try:
            payment, intent = _open_intent(s, ctx, stripe_client)
        except stripe.StripeError as exc:
            s.rollback()
            raise _stripe_failure(exc, "intent", ctx) from None
        s.commit()
    return ctx, payment, intent, stripe_client


def _record_decline(ctx: _Ctx, code: str) -> None:
    record_decline(ctx.user, ctx.firm_id, ctx.facture_id, ctx.facture.number, code)


# ---------------------------------------------------------------- client side


def payable(user: User, facture_id: object) -> bool:
    """May this client pay this invoice online now? (never raises)"""
    try:
        with session_scope() as s:
            return _is_payable(_visible_facture(s, user, facture_id))
    except AccessDenied:
        return False


def firm_accepts_payments(s: Session, firm_id: int) -> bool:
    """For the lists: does this firm take online payments?"""
    return configured(s.get(Firm, firm_id))


def payment_view(user: User, facture_id: object) -> PaymentView:
    """What the payment page shows of the invoice. AccessDenied if not the client's."""
    with session_scope() as s:
        ctx = _visible_facture(s, user, facture_id)
        f, d = ctx.facture, ctx.dossier
        paid = f.status == FactureStatus.payee
        return PaymentView(
            id=str(f.id),
            number=f.number,
            date=fdate(f.date),
            amount=fmoney(f.amount_cents),
            dossier=dossier_title(d),
            dossier_id=str(d.id),
            paid=paid,
            status="Payée" if paid else "À régler",
            paid_at=fdate(f.paid_at) if paid and f.paid_at else "",
            payable=_is_payable(ctx),
        )


def start_payment(user: User, facture_id: object) -> StartedPayment:
    """The invoice's PaymentIntent for Stripe.js: created, or the open one reused.
    Raises AccessDenied (not the client's invoice) or PaymentError (French message)."""
    ctx, _payment, intent, _ = _intent_for(user, facture_id)
    return {
        "client_secret": intent.client_secret or "",
        "publishable_key": ctx.firm.stripe_publishable_key or "",
        "stripe_js_url": settings.stripe_js_url,
    }


def confirm_payment(user: User, facture_id: object, token: str) -> ConfirmOutcome:
    """Pay the invoice's intent with the card Stripe.js tokenised in the browser.
    Returns where the intent stands ("succeeded" | "processing" | "requires_action")
    and its client secret: the invoice is marked paid later, by the webhook. Raises
    PaymentError."""
    token = str(token or "")
    if not TOKEN_RE.match(token):
        raise PaymentError(MSG_CARD_DETAILS, "invalid_token")
    ctx, _payment, intent, stripe_client = _intent_for(user, facture_id)
    attempt = uuid.uuid4().hex
    try:
        if intent.status == "requires_action":
            # A 3-D Secure step left unfinished: the browser resumes it.
            return {"status": "requires_action", "client_secret": intent.client_secret or ""}
        customer = stripe_client.v1.customers.create(
            {"source": token, "email": ctx.user.email, "name": full_name(ctx.user),
             "metadata": {"firm_id": str(ctx.firm.id), "client_user_id": str(ctx.user.id)}},
            {"idempotency_key": f"espace-cus-{intent.id}-{attempt}"},
        )
        source = customer.default_source  # the card's id (not expanded)
        intent = stripe_client.v1.payment_intents.update(
            intent.id, {"payment_method": cast(str, source), "customer": customer.id},
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
        return {"status": cast(ConfirmStatus, intent.status), "client_secret": intent.client_secret or ""}
    error = getattr(intent, "last_payment_error", None) or {}
    code = error.get("code") if hasattr(error, "get") else None
    _record_decline(ctx, code or "not_paid")
    raise PaymentError(message_for(code), "not_paid")


def facture_paid(user: User, facture_id: object) -> bool:
    """Has this client's invoice been marked paid (by the webhook)?"""
    with session_scope() as s:
        return _visible_facture(s, user, facture_id).facture.status == FactureStatus.payee
