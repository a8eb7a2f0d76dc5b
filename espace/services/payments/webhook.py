"""Stripe's webhook: the only place where an invoice becomes `Payée`.

Each firm has its own webhook address and secret; an event is applied only when its
signature (firm's secret, tolerance window) is valid, and once (StripeEvent). The
client gets a receipt email, the firm an audit event."""
from __future__ import annotations

import json
import logging
from typing import Any, Literal

import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from espace.config import settings
from espace.db import session_scope
from espace.domain.french import fdate, fmoney
from espace.domain.names import dossier_title, full_name
from espace.models import Dossier, Facture, FactureStatus, Firm, Payment, StripeEvent, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.crypto import decrypt_secret
from espace.services.mail import outbox
from espace.services.payments.common import HANDLED_EVENTS, WebhookRejected, cents, required_id

log = logging.getLogger("espace.services.payments")

Outcome = Literal["paid", "failed", "duplicate", "ignored"]


def handle_webhook(payload: bytes | str, sig_header: str, firm_id: object) -> Outcome:
    """Verify and apply one Stripe event sent to this firm's webhook address.
    Returns what was done ("paid", "failed", "duplicate", "ignored"); raises
    WebhookRejected when the signature (firm's secret, tolerance window) or the
    body is not valid: nothing is changed then."""
    try:
        fid = required_id(firm_id)
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
        # The event's row is written first: a second delivery of the same event at the same
        # time waits here on its primary key until this transaction ends, then finds it
        # (IntegrityError: applied by the other) or, if this one failed, applies it itself.
        s.add(StripeEvent(id=event_id, firm_id=fid, type=event_type))
        try:
            s.flush()
        except IntegrityError:
            s.rollback()
            log.info("stripe event handled concurrently firm=%s event=%s", fid, event_id)
            return "duplicate"
        outcome: Outcome = "ignored"
        if event_type in HANDLED_EVENTS and isinstance(obj, dict):
            outcome = _apply(s, fid, event_type, obj, event_id)
        else:
            log.info("stripe event ignored firm=%s event=%s type=%s", fid, event_id, event_type)
        s.commit()
        return outcome


def _mark_paid(s: Session, firm_id: int, payment: Payment, facture: Facture, dossier: Dossier,
               intent_id: str) -> None:
    """The invoice paid: the payment and the invoice marked, the receipt to the payer
    queued and the trail written, in the webhook's transaction."""
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


def _apply(s: Session, firm_id: int, event_type: str, intent: dict[str, Any], event_id: str) -> Outcome:
    intent_id = str(intent.get("id", ""))
    # Locked (PostgreSQL): two events for the same intent are applied one after the other, the
    # second one reading what the first one wrote.
    payment = s.exec(
        select(Payment).where(col(Payment.stripe_payment_intent_id) == intent_id, col(Payment.firm_id) == firm_id)
        .with_for_update()
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
    received = cents(intent.get("amount_received") or intent.get("amount"))
    currency = str(intent.get("currency", "")).lower()
    if received != payment.amount_cents or currency != payment.currency or intent.get("status") != "succeeded":
        log.error("payment event does not match the intent recorded, ignored firm=%s facture=%s intent=%s "
                  "amount=%s/%s currency=%s status=%s", firm_id, facture.id, intent_id, received,
                  payment.amount_cents, currency, intent.get("status"))
        return "ignored"

    _mark_paid(s, firm_id, payment, facture, dossier, intent_id)
    return "paid"
