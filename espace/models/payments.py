"""Online payment of invoices: Stripe PaymentIntents, handled webhook events, declined cards."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from espace.models.base import utcnow


class Payment(SQLModel, table=True):
    """A Stripe PaymentIntent for an invoice: one open intent per invoice, reused."""

    # ix_payment_firm_created: the firm's list (/admin/paiements) in display order,
    # newest first, one keyset page at a time (services/payments/firm_list.py).
    __table_args__ = (Index("ix_payment_facture", "facture_id"),
                      Index("ix_payment_firm_created", "firm_id", "created_at", "id"))
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    facture_id: int = Field(foreign_key="facture.id")
    user_id: int = Field(foreign_key="user.id")
    stripe_payment_intent_id: str = Field(unique=True)
    amount_cents: int
    currency: str = "eur"
    status: str = "open"  # open | succeeded | failed | canceled
    created_at: datetime = Field(default_factory=utcnow)
    succeeded_at: datetime | None = None


class StripeEvent(SQLModel, table=True):
    """Stripe events already handled (webhook idempotency)."""

    __tablename__ = "stripe_event"
    id: str = Field(primary_key=True)
    firm_id: int | None = Field(default=None, foreign_key="firm.id")
    type: str
    received_at: datetime = Field(default_factory=utcnow)


class PaymentDecline(SQLModel, table=True):
    """A card declined while a client paid an invoice online: counted per client and
    per invoice over the last hour to stop card testing (services/payments.py)."""

    __tablename__ = "payment_decline"
    __table_args__ = (
        Index("ix_payment_decline_user_at", "user_id", "at"),
        Index("ix_payment_decline_facture_at", "facture_id", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    facture_id: int = Field(foreign_key="facture.id")
    user_id: int = Field(foreign_key="user.id")
    code: str = ""
    at: datetime = Field(default_factory=utcnow)
