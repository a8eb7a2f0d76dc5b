"""Online invoice payment with Stripe (PRODUCT.md item 7), in three parts:

- checkout.py: the client's flow (payment page, PaymentIntent, card confirmation);
- webhook.py: Stripe's signed events, the only place where an invoice becomes `Payée`;
- firm_list.py: the firm's list of its clients' payments;
and what they share (common.py: messages, errors, the firm's Stripe client;
declines.py: the cap on declined cards; demo.py: demo mode with a local Stripe).

`from espace.services import payments` then `payments.start_payment(...)` keeps working:
the public names are re-exported here.
"""
from espace.services.payments.checkout import (
    REUSABLE,
    TOKEN_RE,
    ConfirmOutcome,
    PaymentView,
    StartedPayment,
    confirm_payment,
    facture_paid,
    firm_accepts_payments,
    payable,
    payment_view,
    start_payment,
)
from espace.services.payments.common import (
    CURRENCY,
    HANDLED_EVENTS,
    MSG_ALREADY_PAID,
    MSG_AUTHENTICATION,
    MSG_CARD_DETAILS,
    MSG_DECLINED,
    MSG_EXPIRED,
    MSG_FAILED,
    MSG_IN_PROGRESS,
    MSG_NETWORK,
    MSG_SERVICE,
    MSG_TOO_MANY_DECLINES,
    MSG_UNAVAILABLE,
    STRIPE_DEFAULT_API,
    PaymentError,
    WebhookRejected,
    message_for,
)
from espace.services.payments.declines import DECLINE_WINDOW, declines_exceeded
from espace.services.payments.demo import configure_demo, uses_local_stripe
from espace.services.payments.firm_list import (
    STATUS_LABELS,
    PaymentFilters,
    PaymentPage,
    PaymentRow,
    list_payments,
    payments_page,
)
from espace.services.payments.webhook import handle_webhook

__all__ = [
    "CURRENCY",
    "DECLINE_WINDOW",
    "HANDLED_EVENTS",
    "MSG_ALREADY_PAID",
    "MSG_AUTHENTICATION",
    "MSG_CARD_DETAILS",
    "MSG_DECLINED",
    "MSG_EXPIRED",
    "MSG_FAILED",
    "MSG_IN_PROGRESS",
    "MSG_NETWORK",
    "MSG_SERVICE",
    "MSG_TOO_MANY_DECLINES",
    "MSG_UNAVAILABLE",
    "REUSABLE",
    "STATUS_LABELS",
    "STRIPE_DEFAULT_API",
    "TOKEN_RE",
    "ConfirmOutcome",
    "PaymentError",
    "PaymentFilters",
    "PaymentPage",
    "PaymentRow",
    "PaymentView",
    "StartedPayment",
    "WebhookRejected",
    "configure_demo",
    "confirm_payment",
    "declines_exceeded",
    "facture_paid",
    "firm_accepts_payments",
    "handle_webhook",
    "list_payments",
    "message_for",
    "payable",
    "payment_view",
    "payments_page",
    "start_payment",
    "uses_local_stripe",
]
