"""Card testing: declined card attempts are counted per client and per invoice, in
the database (all workers agree); past the cap, no call reaches Stripe for an hour."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, col, func, select

from espace.config import settings
from espace.db import session_scope
from espace.models import PaymentDecline, User, utcnow
from espace.services import audit
from espace.services.payments.common import MSG_TOO_MANY_DECLINES, PaymentError

log = logging.getLogger("espace.services.payments")

DECLINE_WINDOW = timedelta(hours=1)


def declines_exceeded(s: Session, user_id: int, facture_id: int) -> bool:
    """Has this client, or this invoice, had PAYMENT_MAX_DECLINES_PER_HOUR declined
    card attempts in the last hour? Counted in the database: all workers agree."""
    since = utcnow() - DECLINE_WINDOW
    by_user, by_facture = s.exec(
        select(
            func.count().filter(col(PaymentDecline.user_id) == user_id),
            func.count().filter(col(PaymentDecline.facture_id) == facture_id),
        ).where(col(PaymentDecline.at) >= since,
                (col(PaymentDecline.user_id) == user_id) | (col(PaymentDecline.facture_id) == facture_id))
    ).one()
    limit = settings.payment_max_declines_per_hour
    return bool(by_user >= limit or by_facture >= limit)


def check_declines(user: User, firm_id: int, facture_id: int, number: str) -> None:
    """Refuse before any call to Stripe once the decline cap is reached."""
    with session_scope() as s:
        if not declines_exceeded(s, _id(user), facture_id):
            return
        audit.record(s, user, "paiements_bloques", f"facture {number}", subject_user_id=user.id)
        s.commit()
    log.warning("payment refused: too many declined cards firm=%s facture=%s user=%s", firm_id, facture_id, user.id)
    raise PaymentError(MSG_TOO_MANY_DECLINES, "too_many_declines")


def record_decline(user: User, firm_id: int, facture_id: int, number: str, code: str) -> None:
    """Count one declined card attempt (and write it in the audit trail)."""
    with session_scope() as s:
        s.add(PaymentDecline(firm_id=firm_id, facture_id=facture_id, user_id=_id(user), code=(code or "")[:64]))
        audit.record(s, user, "paiement_refuse", f"facture {number} ({code or 'refus'})", subject_user_id=user.id)
        s.commit()


def _id(user: User) -> int:
    assert user.id is not None  # a user read from the database
    return user.id
