"""What every part of online payment shares: the French messages, the errors, the
Stripe client built with a firm's own secret key.

Each firm has its own keys, stored encrypted (crypto.encrypt_secret); the secret
key and the webhook secret never leave this package, are never logged."""
from __future__ import annotations

from typing import Any, cast

import stripe

from espace.config import settings
from espace.domain.ids import parse_id
from espace.domain.online_payment import accepts_online_payments
from espace.models import Firm
from espace.services import AccessDenied
from espace.services.crypto import decrypt_secret

CURRENCY = "eur"
STRIPE_DEFAULT_API = "https://api.stripe.com"
STRIPE_TIMEOUT = 20  # seconds per request to Stripe
HANDLED_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")

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
_DECLINE_CODES = {"card_declined", "insufficient_funds", "lost_card", "stolen_card", "fraudulent",
                  "do_not_honor", "generic_decline", "processing_error"}


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
    if code in _DECLINE_CODES or kind == "card_error":
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


def stripe_client_for(firm: Firm) -> stripe.StripeClient:
    """A Stripe client with this firm's secret key, for one request's needs."""
    if not firm.stripe_secret_key_enc:
        raise PaymentError(MSG_UNAVAILABLE, "not_configured")
    return stripe.StripeClient(
        decrypt_secret(firm.stripe_secret_key_enc),
        base_addresses={"api": settings.stripe_api_base.rstrip("/")},
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT),
    )


def configured(firm: Firm | None) -> bool:
    """Does this firm take online payments (turned on, its keys stored)?"""
    return accepts_online_payments(firm)


def required_id(raw: object) -> int:
    """A database id from the browser, or AccessDenied."""
    value = parse_id(raw)
    if value is None:
        raise AccessDenied()
    return value


def cents(value: object) -> int | None:
    """An amount in cents as Stripe sends it, or None when it is not a number."""
    try:
        return int(cast(Any, value))  # whatever Stripe sent: int() raises TypeError/ValueError
    except (TypeError, ValueError):
        return None
