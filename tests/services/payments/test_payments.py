"""Online invoice payment against a real localstripe server: intents built from the
database, reuse, refusals (firm off, not payable, paid, other client, other firm),
cards (paid, declined, 3-D Secure), network failure, and the webhook: signature,
tolerance window, replay, unknown intents; receipt email and audit."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from espace.config import settings
from espace.db import session_scope
from espace.domain.french import fdate
from espace.models import (
    AuditEvent,
    Facture,
    FactureStatus,
    Firm,
    OutboxEmail,
    Payment,
    StripeEvent,
    User,
    utcnow,
)
from espace.services import AccessDenied, payments
from espace.services.client import dossier_view, lists
from espace.services.crypto import decrypt_secret, encrypt_secret
from espace.services.mail import mailer
from tests.admin_helpers import user as _user
from tests.localstripe_helper import start_localstripe

SECRETS = {1: "whsec_test_firm_one", 2: "whsec_test_firm_two"}
VISA, DECLINED, CHARGE_DECLINED, THREE_DS = ("4242424242424242", "4000000000000002", "4000000000000341",
                                            "4000002500003155")


class _Receiver(BaseHTTPRequestHandler):
    """Stands for the app's webhook route: forwards what localstripe posts to the service."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        firm_id = self.path.rstrip("/").split("/")[-1]
        try:
            payments.handle_webhook(body, self.headers.get("stripe-signature", ""), firm_id)
            status = 200
        except payments.WebhookRejected:
            status = 400
        except Exception:
            status = 500
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def stripe_server(tmp_path_factory):
    server = start_localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    # Like production: the firm's webhook address carries its id, events signed with its secret.
    server.register_webhook("firm-1", f"http://127.0.0.1:{receiver.server_port}/api/stripe/webhook/1", SECRETS[1])
    yield server
    receiver.shutdown()
    server.stop()


@pytest.fixture
def shop(demo, stripe_server, monkeypatch):
    """Demo data with online payment on for firm 1 (and firm 2's own keys)."""
    monkeypatch.setattr(settings, "stripe_api_base", stripe_server.url)
    monkeypatch.setattr(settings, "stripe_js_url", stripe_server.js_url)
    with session_scope() as s:
        for fid in (demo["firm_id"], demo["other_firm_id"]):
            firm = s.get(Firm, fid)
            n = 1 if fid == demo["firm_id"] else 2
            firm.payments_enabled = True
            firm.stripe_publishable_key = f"pk_test_firm{n}"
            firm.stripe_secret_key_enc = encrypt_secret(f"sk_test_firm{n}")
            firm.stripe_webhook_secret_enc = encrypt_secret(SECRETS[n])
            s.add(firm)
        s.commit()
    return {**demo, "stripe": stripe_server, "facture_id": _facture_id("FA-2024-0042")}


def _facture_id(number: str) -> int:
    with session_scope() as s:
        return s.exec(select(Facture.id).where(Facture.number == number)).one()


def _facture(fid: int) -> Facture:
    with session_scope() as s:
        return s.get(Facture, fid)


def _payments(fid: int) -> list[Payment]:
    with session_scope() as s:
        return s.exec(select(Payment).where(Payment.facture_id == fid).order_by(Payment.id)).all()


def _receipts() -> list[OutboxEmail]:
    with session_scope() as s:
        return s.exec(select(OutboxEmail).where(OutboxEmail.template == "payment_receipt")).all()


def _audits() -> list[AuditEvent]:
    with session_scope() as s:
        return s.exec(select(AuditEvent).where(AuditEvent.action == "paiement")).all()


def _set_firm(firm_id: int, **values) -> None:
    with session_scope() as s:
        firm = s.get(Firm, firm_id)
        for k, v in values.items():
            setattr(firm, k, v)
        s.add(firm)
        s.commit()


def _set_facture(fid: int, **values) -> None:
    with session_scope() as s:
        f = s.get(Facture, fid)
        for k, v in values.items():
            setattr(f, k, v)
        s.add(f)
        s.commit()


def _wait_paid(fid: int, seconds: float = 15) -> Facture:
    end = time.time() + seconds
    while time.time() < end:
        f = _facture(fid)
        if f.status == FactureStatus.payee:
            return f
        time.sleep(0.2)
    raise AssertionError("the webhook did not mark the invoice paid")


def _intent_id(client_secret: str) -> str:
    return client_secret.split("_secret_")[0]


def _sign(payload: bytes, secret: str, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    sig = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={sig}"


def _event(intent_id: str, amount: int, *, event_id: str = "evt_test_1", kind: str = "payment_intent.succeeded",
           status: str = "succeeded") -> bytes:
    return json.dumps({
        "id": event_id, "object": "event", "type": kind, "created": int(time.time()),
        "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": amount, "currency": "eur",
                            "status": status}},
    }).encode()


# ------------------------------------------------------------------ intents


def test_intent_amount_currency_and_metadata_come_from_the_database(shop):
    luce = _user(shop["client_user_id"])
    started = payments.start_payment(luce, shop["facture_id"])
    assert started["publishable_key"] == "pk_test_firm1"
    assert started["stripe_js_url"] == shop["stripe"].js_url
    status, intent = shop["stripe"].request("GET", f"/v1/payment_intents/{_intent_id(started['client_secret'])}",
                                            key="sk_test_firm1")
    assert status == 200
    assert intent["amount"] == 144000 and intent["currency"] == "eur"
    assert intent["metadata"]["firm_id"] == str(shop["firm_id"])
    assert intent["metadata"]["facture_id"] == str(shop["facture_id"])
    assert intent["metadata"]["client_user_id"] == str(luce.id)
    [row] = _payments(shop["facture_id"])
    assert row.amount_cents == 144000 and row.status == "open" and row.user_id == luce.id


def test_open_intent_is_reused_by_a_second_tab_and_follows_the_amount(shop):
    luce = _user(shop["client_user_id"])
    first = payments.start_payment(luce, shop["facture_id"])
    second = payments.start_payment(luce, shop["facture_id"])
    assert first["client_secret"] == second["client_secret"]
    assert len(_payments(shop["facture_id"])) == 1
    # The firm corrects the amount: the same intent now asks for the new one.
    _set_facture(shop["facture_id"], amount_cents=150000)
    third = payments.start_payment(luce, shop["facture_id"])
    assert third["client_secret"] == first["client_secret"]
    _, intent = shop["stripe"].request("GET", f"/v1/payment_intents/{_intent_id(third['client_secret'])}",
                                       key="sk_test_firm1")
    assert int(intent["amount"]) == 150000


def test_two_tabs_at_once_share_one_intent(shop):
    luce = _user(shop["client_user_id"])
    results, errors = [], []

    def start():
        try:
            results.append(payments.start_payment(luce, shop["facture_id"])["client_secret"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 1
    assert len(_payments(shop["facture_id"])) == 1


def test_refused_when_firm_payments_are_off(shop):
    luce = _user(shop["client_user_id"])
    _set_firm(shop["firm_id"], payments_enabled=False)
    assert not payments.payable(luce, shop["facture_id"])
    with pytest.raises(payments.PaymentError) as exc:
        payments.start_payment(luce, shop["facture_id"])
    assert exc.value.message == payments.MSG_UNAVAILABLE
    with pytest.raises(payments.PaymentError):
        payments.confirm_payment(luce, shop["facture_id"], shop["stripe"].card_token(VISA))
    assert _payments(shop["facture_id"]) == []
    # No payment control in the lists either.
    assert all(r.pay == "" for r in lists.list_category(luce, "factures").rows)


def test_refused_when_invoice_not_payable_online_or_already_paid(shop):
    luce = _user(shop["client_user_id"])
    _set_facture(shop["facture_id"], payable_online=False)
    with pytest.raises(payments.PaymentError):
        payments.start_payment(luce, shop["facture_id"])
    assert all(r.pay == "" for r in lists.list_category(luce, "factures").rows)
    _set_facture(shop["facture_id"], payable_online=True, status=FactureStatus.payee, paid_at=utcnow())
    with pytest.raises(payments.PaymentError) as exc:
        payments.start_payment(luce, shop["facture_id"])
    assert exc.value.message == payments.MSG_ALREADY_PAID
    assert _payments(shop["facture_id"]) == []


def test_refused_for_another_clients_invoice_a_hidden_one_and_another_firm(shop):
    luce = _user(shop["client_user_id"])
    marc = _user(shop["other_client_user_id"])
    paul = _user(shop["other_firm_client_user_id"])
    lawyer = _user(shop["lawyer_id"])
    marc_facture = _facture_id("FA-2024-0050")
    hidden = _facture_id("FA-2024-0051")
    with session_scope() as s:
        paul_facture = Facture(dossier_id=shop["other_firm_dossier_id"], number="LER-1", date=date(2026, 11, 1),
                               amount_cents=9900, payable_online=True, shared_at=utcnow())
        s.add(paul_facture)
        s.commit()
        paul_fid = paul_facture.id
    for user, fid in [(luce, marc_facture), (marc, shop["facture_id"]), (luce, hidden), (luce, paul_fid),
                      (paul, shop["facture_id"]), (lawyer, shop["facture_id"]), (luce, "1 OR 1=1"), (luce, -1)]:
        with pytest.raises(AccessDenied):
            payments.start_payment(user, fid)
        with pytest.raises(AccessDenied):
            payments.payment_view(user, fid)
        with pytest.raises((AccessDenied, payments.PaymentError)):
            payments.confirm_payment(user, fid, "tok_abc")
        assert not payments.payable(user, fid)
    assert _payments(marc_facture) == [] and _payments(paul_fid) == [] and _payments(shop["facture_id"]) == []
    # Paul pays his own invoice with his firm's keys.
    assert payments.start_payment(paul, paul_fid)["publishable_key"] == "pk_test_firm2"


def test_each_firm_uses_its_own_keys(shop):
    luce = _user(shop["client_user_id"])
    # Firm 1's secret key is wrong: Stripe refuses it, firm 2 is not affected.
    _set_firm(shop["firm_id"], stripe_secret_key_enc=encrypt_secret("not-a-key"))
    with pytest.raises(payments.PaymentError) as exc:
        payments.start_payment(luce, shop["facture_id"])
    assert exc.value.message == payments.MSG_SERVICE
    with session_scope() as s:
        stored = s.get(Firm, shop["other_firm_id"])
    assert "sk_test_firm2" not in stored.stripe_secret_key_enc
    assert decrypt_secret(stored.stripe_secret_key_enc) == "sk_test_firm2"


def test_lists_show_payer_en_ligne_only_on_payable_invoices(shop):
    luce = _user(shop["client_user_id"])
    marc = _user(shop["other_client_user_id"])
    [row] = lists.list_category(luce, "factures").rows
    assert row.pay == f"/factures/{shop['facture_id']}/paiement"
    tab = dossier_view.dossier_tab(luce, shop["dossier_ids"][0], "factures").rows
    assert [r.pay for r in tab] == [f"/factures/{shop['facture_id']}/paiement"]
    # Rows of every category keep the same keys.
    keys = {frozenset(dataclasses.asdict(r)) for key in ("documents", "dossiers", "rdv", "factures", "frais")
            for r in lists.list_category(luce, key).rows}
    assert len(keys) == 1
    assert all(r.pay != f"/factures/{shop['facture_id']}/paiement"
               for r in lists.list_category(marc, "factures").rows)


# ------------------------------------------------------------------ paying


def test_card_payment_marked_paid_by_the_signed_webhook_with_receipt_and_audit(shop):
    luce = _user(shop["client_user_id"])
    fid = shop["facture_id"]
    payments.start_payment(luce, fid)
    outcome = payments.confirm_payment(luce, fid, shop["stripe"].card_token(VISA))
    assert outcome["status"] == "succeeded"
    facture = _wait_paid(fid)
    assert facture.paid_at is not None
    [payment] = _payments(fid)
    assert payment.status == "succeeded" and payment.succeeded_at is not None
    [receipt] = _receipts()
    assert receipt.to == "academy@secib.fr" and receipt.firm_id == shop["firm_id"]
    context = json.loads(receipt.context_json)
    assert context["number"] == "FA-2024-0042"
    assert context["amount"].replace("\u202f", " ").replace("\xa0", " ") == "1 440,00 €"
    assert context["dossier"].endswith("ALEXANDER / AGENCE IMMO")
    assert context["date"] == fdate(facture.paid_at) and len(context["date"]) == 10
    html, text = mailer._render("payment_receipt", context)
    for needle in ("FA-2024-0042", context["amount"], context["date"], "ALEXANDER / AGENCE IMMO",
                   payment.stripe_payment_intent_id):
        assert needle in text and needle in html
    [event] = _audits()
    assert event.firm_id == shop["firm_id"] and event.user_id == luce.id and payment.stripe_payment_intent_id in event.detail
    # The firm sees it; another firm and a client do not.
    [row] = payments.list_payments(_user(shop["lawyer_id"]))
    assert row.stripe_id == payment.stripe_payment_intent_id and row.status == "Réussi"
    assert row.facture == "Facture n° FA-2024-0042" and row.client == "Luce ALEXANDER"
    with session_scope() as s:
        claire = s.exec(select(User).where(User.email == "claire.leroy@example.com")).one()
    assert payments.list_payments(claire) == []
    with pytest.raises(AccessDenied):
        payments.list_payments(luce)
    # Paid: no more payment control, handlers refuse.
    assert lists.list_category(luce, "factures").rows[0].pay == ""
    with pytest.raises(payments.PaymentError) as exc:
        payments.start_payment(luce, fid)
    assert exc.value.message == payments.MSG_ALREADY_PAID


def test_second_tab_cannot_charge_again_while_the_webhook_is_on_its_way(shop):
    luce = _user(shop["client_user_id"])
    fid = shop["facture_id"]
    payments.start_payment(luce, fid)
    assert payments.confirm_payment(luce, fid, shop["stripe"].card_token(VISA))["status"] == "succeeded"
    with pytest.raises(payments.PaymentError) as exc:
        payments.confirm_payment(luce, fid, shop["stripe"].card_token(VISA))
    assert exc.value.code in ("in_progress", "already_paid")
    _wait_paid(fid)
    _status, charges = shop["stripe"].request("GET", "/v1/charges", key="sk_test_firm1")
    intent = _payments(fid)[0].stripe_payment_intent_id
    assert len([c for c in charges["data"] if c.get("payment_intent") == intent and c["status"] == "succeeded"]) == 1
    assert len(_receipts()) == 1


def test_declined_card_leaves_the_invoice_payable_then_another_card_pays(shop):
    luce = _user(shop["client_user_id"])
    fid = shop["facture_id"]
    first = payments.start_payment(luce, fid)
    with pytest.raises(payments.PaymentError) as exc:
        payments.confirm_payment(luce, fid, shop["stripe"].card_token(DECLINED))
    assert exc.value.message == payments.MSG_DECLINED
    assert "refusée" in exc.value.message
    assert _facture(fid).status == FactureStatus.a_regler and payments.payable(luce, fid)
    assert payments.confirm_payment(luce, fid, shop["stripe"].card_token(VISA))["status"] == "succeeded"
    _wait_paid(fid)
    assert [p.stripe_payment_intent_id for p in _payments(fid)] == [_intent_id(first["client_secret"])]


def test_charge_declined_by_the_bank_keeps_one_intent(shop):
    luce = _user(shop["client_user_id"])
    fid = shop["facture_id"]
    first = payments.start_payment(luce, fid)
    with pytest.raises(payments.PaymentError) as exc:
        payments.confirm_payment(luce, fid, shop["stripe"].card_token(CHARGE_DECLINED))
    assert exc.value.message == payments.MSG_DECLINED
    # localstripe then sends payment_intent.payment_failed: recorded, invoice unchanged.
    end = time.time() + 10
    while _payments(fid)[0].status != "failed" and time.time() < end:
        time.sleep(0.2)
    assert _payments(fid)[0].status == "failed"
    assert _facture(fid).status == FactureStatus.a_regler
    again = payments.start_payment(luce, fid)
    assert again["client_secret"] == first["client_secret"] and _payments(fid)[0].status == "open"


def test_three_d_secure_failed_then_completed(shop):
    luce = _user(shop["client_user_id"])
    fid = shop["facture_id"]
    payments.start_payment(luce, fid)
    outcome = payments.confirm_payment(luce, fid, shop["stripe"].card_token(THREE_DS))
    assert outcome["status"] == "requires_action"
    failed = shop["stripe"].authenticate(outcome["client_secret"], success=False)
    assert failed["status"] == "requires_payment_method"
    assert payments.message_for(failed["last_payment_error"]["code"]) == payments.MSG_AUTHENTICATION
    assert _facture(fid).status == FactureStatus.a_regler and payments.payable(luce, fid)
    outcome = payments.confirm_payment(luce, fid, shop["stripe"].card_token(THREE_DS))
    assert outcome["status"] == "requires_action"
    assert shop["stripe"].authenticate(outcome["client_secret"], success=True)["status"] == "succeeded"
    _wait_paid(fid)


def test_network_failure_gives_a_french_message_and_changes_nothing(shop, monkeypatch):
    luce = _user(shop["client_user_id"])
    monkeypatch.setattr(settings, "stripe_api_base", "http://127.0.0.1:9")
    monkeypatch.setattr(payments.common, "STRIPE_TIMEOUT", 2)
    with pytest.raises(payments.PaymentError) as exc:
        payments.start_payment(luce, shop["facture_id"])
    assert exc.value.message == payments.MSG_NETWORK
    assert _payments(shop["facture_id"]) == [] and payments.payable(luce, shop["facture_id"])


def test_browser_error_codes_have_french_messages():
    assert payments.message_for("network") == payments.MSG_NETWORK
    assert payments.message_for("", "api_connection_error") == payments.MSG_NETWORK
    assert payments.message_for("card_declined") == payments.MSG_DECLINED
    assert payments.message_for("payment_intent_authentication_failure") == payments.MSG_AUTHENTICATION
    assert payments.message_for("incomplete_number", "validation_error") == payments.MSG_CARD_DETAILS
    assert payments.message_for("whatever") == payments.MSG_FAILED


def test_token_must_look_like_a_token(shop):
    luce = _user(shop["client_user_id"])
    for bad in ("", "4242424242424242", "tok_x; DROP", "pm_card_visa", "tok_" + "a" * 500):
        with pytest.raises(payments.PaymentError):
            payments.confirm_payment(luce, shop["facture_id"], bad)
    assert _payments(shop["facture_id"]) == []


# ------------------------------------------------------------------ webhook


def _open_payment(shop) -> Payment:
    payments.start_payment(_user(shop["client_user_id"]), shop["facture_id"])
    return _payments(shop["facture_id"])[0]


def _state(fid: int):
    f = _facture(fid)
    return (f.status, f.paid_at, [(p.status, p.succeeded_at) for p in _payments(fid)], len(_receipts()),
            len(_audits()))


def test_webhook_valid_event_pays_once_and_a_replay_changes_nothing(shop):
    payment = _open_payment(shop)
    fid = shop["facture_id"]
    body = _event(payment.stripe_payment_intent_id, 144000)
    assert payments.handle_webhook(body, _sign(body, SECRETS[1]), shop["firm_id"]) == "paid"
    after = _state(fid)
    assert after[0] == FactureStatus.payee and after[3] == 1 and after[4] == 1
    # The same event again (a replay, or Stripe retrying): nothing changes.
    assert payments.handle_webhook(body, _sign(body, SECRETS[1]), shop["firm_id"]) == "duplicate"
    # Another event for the already-paid invoice: ignored.
    other = _event(payment.stripe_payment_intent_id, 144000, event_id="evt_test_2")
    assert payments.handle_webhook(other, _sign(other, SECRETS[1]), shop["firm_id"]) == "ignored"
    assert _state(fid) == after


@pytest.mark.parametrize("case", ["wrong_secret", "other_firm_secret", "old_timestamp", "tampered", "no_header",
                                  "wrong_firm_url"])
def test_webhook_rejected_without_a_valid_signature(shop, case):
    payment = _open_payment(shop)
    fid = shop["facture_id"]
    before = _state(fid)
    body = _event(payment.stripe_payment_intent_id, 144000)
    firm = shop["firm_id"]
    header = {
        "wrong_secret": _sign(body, "whsec_guess"),
        "other_firm_secret": _sign(body, SECRETS[2]),
        "old_timestamp": _sign(body, SECRETS[1], at=int(time.time()) - settings.stripe_webhook_tolerance_seconds - 60),
        "tampered": _sign(body, SECRETS[1]),
        "no_header": "",
        "wrong_firm_url": _sign(body, SECRETS[1]),
    }[case]
    if case == "tampered":
        body = body.replace(b"144000", b"100")
    if case == "wrong_firm_url":
        firm = shop["other_firm_id"]
    with pytest.raises(payments.WebhookRejected):
        payments.handle_webhook(body, header, firm)
    assert _state(fid) == before
    with session_scope() as s:
        assert s.exec(select(StripeEvent)).all() == []


def test_webhook_for_unknown_or_other_firms_intent_is_ignored(shop):
    payment = _open_payment(shop)
    fid = shop["facture_id"]
    before = _state(fid)
    unknown = _event("pi_unknown", 144000, event_id="evt_unknown")
    assert payments.handle_webhook(unknown, _sign(unknown, SECRETS[1]), shop["firm_id"]) == "ignored"
    # Firm 2's correctly signed event naming firm 1's intent: not firm 2's payment.
    cross = _event(payment.stripe_payment_intent_id, 144000, event_id="evt_cross")
    assert payments.handle_webhook(cross, _sign(cross, SECRETS[2]), shop["other_firm_id"]) == "ignored"
    # An amount that is not the one recorded: not taken as payment.
    wrong = _event(payment.stripe_payment_intent_id, 100, event_id="evt_amount")
    assert payments.handle_webhook(wrong, _sign(wrong, SECRETS[1]), shop["firm_id"]) == "ignored"
    other = _event(payment.stripe_payment_intent_id, 144000, event_id="evt_other", kind="charge.refunded")
    assert payments.handle_webhook(other, _sign(other, SECRETS[1]), shop["firm_id"]) == "ignored"
    assert _state(fid) == before


def test_webhook_route_answers_400_on_bad_signature_and_200_when_handled(shop):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from espace.http.payments import routes

    payment = _open_payment(shop)
    client = TestClient(Starlette(routes=routes))
    body = _event(payment.stripe_payment_intent_id, 144000)
    url = f"/api/stripe/webhook/{shop['firm_id']}"
    assert client.post(url, content=body, headers={"Stripe-Signature": _sign(body, "whsec_guess")}).status_code == 400
    assert client.post("/api/stripe/webhook/999", content=body,
                       headers={"Stripe-Signature": _sign(body, SECRETS[1])}).status_code == 400
    assert client.post(url, content=b"x" * (600 * 1024), headers={"Stripe-Signature": "t=1,v1=x"}).status_code == 413
    assert _facture(shop["facture_id"]).status == FactureStatus.a_regler
    ok = client.post(url, content=body, headers={"Stripe-Signature": _sign(body, SECRETS[1])})
    assert ok.status_code == 200 and ok.json()["outcome"] == "paid"
    again = client.post(url, content=body, headers={"Stripe-Signature": _sign(body, SECRETS[1])})
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert client.get(url).status_code == 405


def test_payment_view_of_the_client(shop):
    luce = _user(shop["client_user_id"])
    view = payments.payment_view(luce, shop["facture_id"])
    assert view.number == "FA-2024-0042" and view.payable and not view.paid
    assert view.dossier.endswith("ALEXANDER / AGENCE IMMO") and view.status == "À régler"
    assert view.amount.replace("\u202f", " ").replace("\xa0", " ") == "1 440,00 €"


def test_demo_configuration_against_a_local_server(demo, stripe_server, monkeypatch):
    monkeypatch.setattr(settings, "stripe_api_base", stripe_server.url)
    message = payments.configure_demo()
    assert "activé" in message
    with session_scope() as s:
        firm = s.get(Firm, demo["firm_id"])
    assert firm.payments_enabled and firm.stripe_publishable_key.startswith("pk_test")
    assert decrypt_secret(firm.stripe_secret_key_enc).startswith("sk_test")
    # Re-registering keeps firm 1's module webhook working for the other tests.
    stripe_server.register_webhook("espace-firm-1", "http://127.0.0.1:9/none", "whsec_unused")
    monkeypatch.setattr(settings, "stripe_api_base", "https://api.stripe.com")
    assert payments.configure_demo() == ""
