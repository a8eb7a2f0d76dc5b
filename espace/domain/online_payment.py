"""When a firm takes online payments: the rule the client's lists and the payment
flow share (services/payments), written once."""
from __future__ import annotations

from typing import Protocol


class PaymentSettings(Protocol):
    """What a firm's row says about online payment (models.Firm)."""

    @property
    def payments_enabled(self) -> bool: ...

    @property
    def stripe_publishable_key(self) -> str | None: ...

    @property
    def stripe_secret_key_enc(self) -> str | None: ...

    @property
    def stripe_webhook_secret_enc(self) -> str | None: ...


def accepts_online_payments(firm: PaymentSettings | None) -> bool:
    """Payments turned on, and the firm's three Stripe keys stored."""
    return bool(firm and firm.payments_enabled and firm.stripe_publishable_key and firm.stripe_secret_key_enc
                and firm.stripe_webhook_secret_enc)
