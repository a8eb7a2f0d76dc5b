"""Online invoice payment in the browser, end to end against localstripe: the app
uses it as Stripe (STRIPE_API_BASE, STRIPE_JS_URL: its fake Stripe.js card element)
and localstripe posts its signed webhooks to the app. Each test pays an invoice of a
fresh client, so the demo's counts stay as the other tests expect them."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid

from playwright.sync_api import expect

from tests.e2e.appserver import ROOT
from tests.e2e.conftest import LAWYER, MARC, assert_no_horizontal_scroll, login, sign_in

PASSWORD = "Paiement-Mot2passe"
VISA, DECLINED, THREE_DS = "4242424242424242", "4000000000000002", "4000002500003155"

_ADD_INVOICE = """
import sys
from datetime import date
from sqlmodel import select
from espace.db import session_scope
from espace.models import Dossier, Facture, utcnow
from espace.services.shared import counters
reference, number, cents = sys.argv[1], sys.argv[2], int(sys.argv[3])
with session_scope() as s:
    d = s.exec(select(Dossier).where(Dossier.reference == reference)).one()
    f = Facture(dossier_id=d.id, number=number, date=date(2026, 11, 20), amount_cents=cents,
                payable_online=True, shared_at=utcnow())
    s.add(f)
    s.flush()
    counters.item_shared(s, f, 1)  # as the sharing service: the clients' counts
    s.commit()
    print(f.id)
"""

_SET_PAYMENTS = """
import sys
from espace.db import session_scope
from espace.models import Firm
with session_scope() as s:
    firm = s.get(Firm, 1)
    firm.payments_enabled = sys.argv[1] == "1"
    s.add(firm)
    s.commit()
"""

_FACTURE_ID = """
import sys
from sqlmodel import select
from espace.db import session_scope
from espace.models import Facture
with session_scope() as s:
    print(s.exec(select(Facture.id).where(Facture.number == sys.argv[1])).one())
"""

_DECLINES = """
import sys
from sqlmodel import func, select
from espace.db import session_scope
from espace.models import PaymentDecline, User
with session_scope() as s:
    print(s.exec(select(func.count()).select_from(PaymentDecline).join(User, User.id == PaymentDecline.user_id)
                 .where(User.email == sys.argv[1])).one())
"""


def _python(server, code: str, *args: str) -> str:
    """Run a snippet against the app's database (its DATA_DIR), as an administrator would."""
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=server.env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def _client_with_invoice(server, cents: int = 25000) -> tuple[str, str, str, str]:
    """A fresh client of the demo firm, a dossier, one shared invoice payable online."""
    tag = uuid.uuid4().hex[:8]
    email = f"paiement-{tag}@example.com"
    reference, label, number = f"2026PAY/{tag}", f"PAYEUR / {tag.upper()}", f"FA-E2E-{tag}"
    server.cli("create-client", "--firm-id", "1", "--email", email, "--nom", "PAYEUR", "--prenom", "Claude",
               "--password", PASSWORD)
    server.cli("create-dossier", "--firm-id", "1", "--reference", reference, "--label", label,
               "--interlocutor-email", LAWYER[0], "--client-email", email)
    fid = _python(server, _ADD_INVOICE, reference, number, str(cents))
    return email, number, label, fid


def _flat(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _open_payment_page(page, email: str, number: str):
    login(page, email, PASSWORD)
    expect(page.get_by_role("link", name="Factures (1)")).to_be_visible()
    page.get_by_role("link", name="Factures (1)").click()
    # The home lists the invoice too (« Nouveautés », « À venir »): read the list page's row.
    expect(page.get_by_role("heading", name="Factures (1)")).to_be_visible()
    row = page.get_by_role("listitem").filter(has_text=f"Facture n° {number}")
    expect(row).to_contain_text("À régler")
    row.get_by_role("link", name="Payer en ligne").click()
    expect(page.get_by_role("heading", name=f"Facture n° {number}")).to_be_visible()
    expect(page.locator("#carte-paiement input").first).to_be_visible()


def _type_card(page, number: str) -> None:
    """localstripe's card element: its inputs are named by their placeholders."""
    card = page.locator("#carte-paiement")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("30")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("34000")


def _pay_button(page):
    return page.get_by_role("button", name=re.compile(r"^Payer "))


def _wait_email(server, address: str, seconds: float = 30):
    end = time.time() + seconds
    while time.time() < end:
        msgs = [m for m in server.emails_to(address) if "Reçu de paiement" in str(m["Subject"])]
        if msgs:
            return msgs
        time.sleep(0.5)
    raise AssertionError(f"no receipt email to {address}")


def test_pay_with_a_card_the_page_shows_payee_without_reload_and_a_receipt_is_sent(page, server):
    email, number, label, _ = _client_with_invoice(server)
    _open_payment_page(page, email, number)
    status = page.get_by_role("status").filter(has_text="Statut")
    expect(status).to_contain_text("À régler")
    expect(page.get_by_text("250,00", exact=False).first).to_be_visible()
    _type_card(page, VISA)
    assert_no_horizontal_scroll(page)
    page.evaluate("window.__samePage = true")
    _pay_button(page).click()
    # Marked paid only by localstripe's signed webhook; the open page follows.
    expect(status).to_contain_text("Payée", timeout=30000)
    expect(page.get_by_text("votre paiement a été reçu")).to_be_visible()
    assert page.evaluate("window.__samePage === true"), "the page was reloaded"
    expect(_pay_button(page)).to_have_count(0)
    assert_no_horizontal_scroll(page)
    # The receipt: invoice number, amount, date, dossier.
    [receipt] = _wait_email(server, email)
    text = _flat(receipt.get_body(preferencelist=("plain",)).get_content())
    assert f"n° {number}" in text and "250,00 €" in text and label in text
    assert re.search(r"Date du paiement : \d{2}/\d{2}/\d{4}", text)
    # The list now says Payée, without a payment control.
    page.get_by_role("link", name="‹ Factures").click()
    row = page.get_by_role("listitem").filter(has_text=f"Facture n° {number}")
    expect(row).to_contain_text("Payée")
    expect(row.get_by_role("link", name="Payer en ligne")).to_have_count(0)


def test_declined_card_gives_a_french_error_and_the_invoice_stays_payable(page, server):
    email, number, label, _ = _client_with_invoice(server, cents=9900)
    _open_payment_page(page, email, number)
    _type_card(page, DECLINED)
    _pay_button(page).click()
    expect(page.get_by_role("alert")).to_contain_text("Votre carte a été refusée")
    expect(page.get_by_role("status").filter(has_text="Statut")).to_contain_text("À régler")
    expect(_pay_button(page)).to_be_enabled()
    assert_no_horizontal_scroll(page)
    # Still payable from the dossier's Factures tab.
    page.get_by_role("link", name=label).click()
    expect(page.get_by_role("heading", name=label)).to_be_visible()
    page.get_by_role("tab", name=re.compile(r"^Factures")).click()
    panel = page.get_by_role("tabpanel")
    expect(panel).to_contain_text("À régler")
    expect(panel.get_by_role("link", name="Payer en ligne")).to_be_visible()
    assert not [m for m in server.emails_to(email) if "Reçu de paiement" in str(m["Subject"])]


def test_too_many_declined_cards_stop_the_payment_for_an_hour(desktop, server):
    """Card testing: after PAYMENT_MAX_DECLINES_PER_HOUR (5) declined cards, a French
    message and no card form; reloading the page does not bring it back."""
    email, number, _, _ = _client_with_invoice(server, cents=1500)
    _open_payment_page(desktop, email, number)
    alert = desktop.get_by_role("alert")
    for attempt in range(1, 6):
        _type_card(desktop, DECLINED)
        _pay_button(desktop).click()
        expect(alert).to_contain_text("Votre carte a été refusée")
        # The same message each time: wait until the server has counted this decline.
        deadline = time.time() + 20
        while int(_python(server, _DECLINES, email)) < attempt:
            assert time.time() < deadline, f"decline {attempt} not recorded"
            time.sleep(0.3)
        expect(_pay_button(desktop)).to_be_enabled()
    _type_card(desktop, VISA)
    _pay_button(desktop).click()
    expect(desktop.get_by_role("alert")).to_contain_text(
        "Trop de paiements refusés pour cette facture. Réessayez dans une heure ou contactez votre cabinet.")
    expect(_pay_button(desktop)).to_have_count(0)
    expect(desktop.get_by_role("status").filter(has_text="Statut")).to_contain_text("À régler")
    desktop.reload()
    expect(desktop.get_by_role("alert")).to_contain_text("Trop de paiements refusés pour cette facture.")
    expect(desktop.locator("#carte-paiement input")).to_have_count(0)
    assert_no_horizontal_scroll(desktop)
    assert not [m for m in server.emails_to(email) if "Reçu de paiement" in str(m["Subject"])]


def test_three_d_secure_refused_then_completed(desktop, server):
    email, number, _, _ = _client_with_invoice(server, cents=4200)
    _open_payment_page(desktop, email, number)
    _type_card(desktop, THREE_DS)
    _pay_button(desktop).click()
    desktop.get_by_role("button", name="Fail authentication").click()  # localstripe's 3-D Secure prompt
    expect(desktop.get_by_role("alert")).to_contain_text("L'authentification 3-D Secure")
    expect(desktop.get_by_role("status").filter(has_text="Statut")).to_contain_text("À régler")
    _type_card(desktop, THREE_DS)
    _pay_button(desktop).click()
    desktop.get_by_role("button", name="Complete authentication").click()
    expect(desktop.get_by_role("status").filter(has_text="Statut")).to_contain_text("Payée", timeout=30000)


def test_network_failure_gives_a_french_error(desktop, server):
    email, number, _, _ = _client_with_invoice(server, cents=3000)
    _open_payment_page(desktop, email, number)
    _type_card(desktop, VISA)
    desktop.route("**/v1/tokens", lambda route: route.abort("internetdisconnected"))
    _pay_button(desktop).click()
    expect(desktop.get_by_role("alert")).to_contain_text("La connexion avec la plateforme de paiement a échoué")
    expect(desktop.get_by_role("status").filter(has_text="Statut")).to_contain_text("À régler")
    desktop.unroute("**/v1/tokens")
    _pay_button(desktop).click()
    expect(desktop.get_by_role("status").filter(has_text="Statut")).to_contain_text("Payée", timeout=30000)


def test_no_payment_control_for_another_clients_invoice(desktop, server):
    luce_invoice = _python(server, _FACTURE_ID, "FA-2024-0042")
    sign_in(desktop, server, *MARC)
    expect(desktop.get_by_role("link", name=re.compile(r"^Factures"))).to_be_visible()
    desktop.goto(f"/factures/{luce_invoice}/paiement")
    expect(desktop.get_by_role("heading", name="Facture introuvable")).to_be_visible()
    expect(desktop.locator("#carte-paiement")).to_have_count(0)
    expect(_pay_button(desktop)).to_have_count(0)


def test_no_payment_control_when_the_firm_turns_payment_off(desktop, server):
    email, number, _, fid = _client_with_invoice(server, cents=1500)
    _python(server, _SET_PAYMENTS, "0")
    try:
        login(desktop, email, PASSWORD)
        desktop.get_by_role("link", name="Factures (1)").click()
        expect(desktop.get_by_role("heading", name="Factures (1)")).to_be_visible()
        row = desktop.get_by_role("listitem").filter(has_text=f"Facture n° {number}")
        expect(row).to_contain_text("À régler")
        expect(row.get_by_role("link", name="Payer en ligne")).to_have_count(0)
        desktop.goto(f"/factures/{fid}/paiement")
        expect(desktop.get_by_text("Le paiement en ligne n'est pas proposé pour cette facture.")).to_be_visible()
        expect(desktop.locator("#carte-paiement")).to_have_count(0)
        expect(_pay_button(desktop)).to_have_count(0)
    finally:
        _python(server, _SET_PAYMENTS, "1")


def test_the_firm_sees_the_payment_in_admin(desktop, server):
    email, number, _, _ = _client_with_invoice(server, cents=7700)
    _open_payment_page(desktop, email, number)
    _type_card(desktop, VISA)
    _pay_button(desktop).click()
    expect(desktop.get_by_role("status").filter(has_text="Statut")).to_contain_text("Payée", timeout=30000)
    desktop.context.clear_cookies()
    sign_in(desktop, server, *LAWYER)
    expect(desktop).to_have_url(re.compile(r"/admin/?$"))
    desktop.goto("/admin/paiements")
    expect(desktop.get_by_role("heading", name="Paiements en ligne")).to_be_visible()
    item = desktop.get_by_role("listitem").filter(has_text=f"Facture n° {number}")
    expect(item).to_contain_text("77,00")
    expect(item).to_contain_text("Réussi")
    expect(item).to_contain_text(re.compile(r"Stripe : pi_\w+"))
    expect(item).to_contain_text("Claude PAYEUR")
