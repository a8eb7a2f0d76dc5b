"""The firm's side of online payment: the list of its clients' payments (/admin/paiements)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from espace.db import session_scope
from espace.domain.french import fdatetime, fmoney
from espace.domain.names import dossier_title, formal_name
from espace.models import Dossier, Facture, Payment, User
from espace.services.access import require_staff

STATUS_LABELS = {"open": "En cours", "succeeded": "Réussi", "failed": "Échoué", "canceled": "Annulé"}


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """One online payment as the firm's list shows it (French display strings)."""

    id: str
    date: str
    amount: str
    status: str
    stripe_id: str
    facture: str
    client: str
    dossier: str


def list_payments(user: User, limit: int = 200) -> list[PaymentRow]:
    """The firm's online payments, newest first (date, amount, Stripe id, invoice, client)."""
    with session_scope() as s:
        require_staff(s, user)
        rows = s.exec(
            select(Payment, Facture, Dossier, User)
            .join(Facture, col(Facture.id) == col(Payment.facture_id))
            .join(Dossier, col(Dossier.id) == col(Facture.dossier_id))
            .join(User, col(User.id) == col(Payment.user_id))
            .where(col(Payment.firm_id) == user.firm_id, col(Dossier.firm_id) == user.firm_id)
            .order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
            .limit(limit)
        ).all()
        return [
            PaymentRow(
                id=str(p.id),
                date=fdatetime(p.succeeded_at or p.created_at),
                amount=fmoney(p.amount_cents),
                status=STATUS_LABELS.get(p.status, p.status),
                stripe_id=p.stripe_payment_intent_id,
                facture=f"Facture n° {f.number}",
                client=formal_name(u),
                dossier=dossier_title(d),
            )
            for p, f, d, u in rows
        ]
