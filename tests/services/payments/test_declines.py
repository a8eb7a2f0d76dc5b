"""Card testing, against a real localstripe with its declined test card: at most
PAYMENT_MAX_DECLINES_PER_HOUR declined attempts per client and per invoice per hour,
counted in the database (every worker sees the same count); then a French message
and no call to Stripe at all, until the hour has passed."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select, update

from espace.config import settings
from espace.db import session_scope
from espace.models import AuditEvent, DossierClient, Facture, FactureStatus, PaymentDecline, User, utcnow
from espace.services import payments
from tests.admin_helpers import user as _user
from tests.services.payments.test_payments import CHARGE_DECLINED, DECLINED, VISA, _facture, _facture_id, _wait_paid

LIMIT = 3


@pytest.fixture
def capped(shop, monkeypatch):
    monkeypatch.setattr(settings, "payment_max_declines_per_hour", LIMIT)
    return shop


def _decline(shop, user: User, fid: int, card: str = DECLINED) -> payments.PaymentError:
    with pytest.raises(payments.PaymentError) as exc:
        payments.confirm_payment(user, fid, shop["stripe"].card_token(card))
    return exc.value


def _declines() -> list[PaymentDecline]:
    with session_scope() as s:
        return s.exec(select(PaymentDecline).order_by(PaymentDecline.id)).all()


def _second_invoice(dossier_id: int) -> int:
    with session_scope() as s:
        f = Facture(dossier_id=dossier_id, number="FA-2026-0099", date=date(2026, 11, 25), amount_cents=5000,
                    payable_online=True, shared_at=utcnow())
        s.add(f)
        s.commit()
        return f.id


def _stripe_unreachable(monkeypatch) -> None:
    """Any call to Stripe now fails with the network message: the cap must answer first."""
    monkeypatch.setattr(settings, "stripe_api_base", "http://127.0.0.1:9")


def test_declines_are_capped_per_client_then_no_call_to_stripe(capped, monkeypatch):
    luce = _user(capped["client_user_id"])
    fid = capped["facture_id"]
    for card in (DECLINED, CHARGE_DECLINED, DECLINED):
        assert _decline(capped, luce, fid, card).message == payments.MSG_DECLINED
    assert [(d.user_id, d.facture_id) for d in _declines()] == [(luce.id, fid)] * LIMIT
    token = capped["stripe"].card_token(VISA)  # a good card now: refused all the same
    _stripe_unreachable(monkeypatch)
    with pytest.raises(payments.PaymentError) as exc:
        payments.confirm_payment(luce, fid, token)
    assert exc.value.code == "too_many_declines"
    assert exc.value.message == ("Trop de paiements refusés pour cette facture. Réessayez dans une heure "
                                 "ou contactez votre cabinet.")
    with pytest.raises(payments.PaymentError) as exc:
        payments.start_payment(luce, fid)
    assert exc.value.code == "too_many_declines"
    # Per client: her other invoices too.
    with session_scope() as s:
        dossier_id = s.get(Facture, fid).dossier_id
    other = _second_invoice(dossier_id)
    with pytest.raises(payments.PaymentError) as exc:
        payments.start_payment(luce, other)
    assert exc.value.code == "too_many_declines"
    assert len(_declines()) == LIMIT  # a blocked attempt is not a decline
    assert _facture(fid).status == FactureStatus.a_regler
    with session_scope() as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.user_id == luce.id,
                                                         AuditEvent.action.in_(("paiement_refuse",
                                                                                "paiements_bloques")))).all()
    assert actions.count("paiement_refuse") == LIMIT and actions.count("paiements_bloques") == 3


def test_declines_are_capped_per_invoice_across_clients(capped, monkeypatch):
    luce = _user(capped["client_user_id"])
    marc = _user(capped["other_client_user_id"])
    fid = capped["facture_id"]
    with session_scope() as s:
        s.add(DossierClient(dossier_id=s.get(Facture, fid).dossier_id, client_id=capped["other_client_id"]))
        s.commit()
    _decline(capped, luce, fid)
    _decline(capped, marc, fid)
    _decline(capped, luce, fid)
    _stripe_unreachable(monkeypatch)
    with pytest.raises(payments.PaymentError) as exc:
        payments.start_payment(marc, fid)  # Marc has only one decline, but the invoice has three
    assert exc.value.code == "too_many_declines"


def test_another_client_and_invoice_are_not_blocked_and_the_cap_lifts_after_an_hour(capped):
    luce = _user(capped["client_user_id"])
    marc = _user(capped["other_client_user_id"])
    fid = capped["facture_id"]
    for _ in range(LIMIT):
        _decline(capped, luce, fid)
    # Marc, his own invoice: untouched by Luce's declines.
    marc_facture = _facture_id("FA-2024-0050")
    with session_scope() as s:
        f = s.get(Facture, marc_facture)
        f.payable_online = True
        s.add(f)
        s.commit()
    assert payments.start_payment(marc, marc_facture)["client_secret"]
    with pytest.raises(payments.PaymentError):
        payments.start_payment(luce, fid)
    # An hour later the declines no longer count: a good card pays.
    with session_scope() as s:
        s.exec(update(PaymentDecline).values(at=utcnow() - timedelta(minutes=61)))
        s.commit()
    assert payments.confirm_payment(luce, fid, capped["stripe"].card_token(VISA))["status"] == "succeeded"
    _wait_paid(fid)


def test_the_default_cap_is_five_per_hour(shop):
    assert settings.payment_max_declines_per_hour == 5
    luce = _user(shop["client_user_id"])
    fid = shop["facture_id"]
    for _ in range(5):
        assert _decline(shop, luce, fid).code != "too_many_declines"
    assert _decline(shop, luce, fid).code == "too_many_declines"
