"""Faults through the running app, on PostgreSQL (its own database), with a real SMTP server
(aiosmtpd) that is down at first:

- SMTP down for a while, then back: every queued email is retried and delivered exactly once.
- Database blips while a logged-in client browses: every backend connection of the app is
  killed (pg_terminate_backend) several times, also in the middle of a page load and in the
  middle of a write: the page load is retried transparently, the write gets a French message
  and nothing of it is in the database; sending again works.
- The same signed Stripe webhook POSTed twice at the same time: applied once.

To hit the middle of a handler for sure (no timing), the test holds a table lock from its own
connection, waits until PostgreSQL shows the app's backend waiting on it, kills the app's
connections, then lets go. Each scenario prints what happened."""
from __future__ import annotations

import concurrent.futures
import email
import email.policy
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter

import psycopg
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.e2e.appserver import start_app, stop_app
from tests.e2e.conftest import LUCE, VIEWPORTS, login
from tests.infra import create_database, drop_database, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.production_path]

SECRET_KEY = "cle-de-test-des-pannes-" + "0" * 32
WEBHOOK_SECRET = "whsec_faults"
DB_LOST = "La connexion à la base de données a été interrompue"
ENGLISH = re.compile(r"An error occurred|Contact the website administrator|Error:", re.IGNORECASE)


class Collector:
    """An SMTP server's mailbox: every message accepted, in order."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def count(self, to: str, subject_part: str) -> int:
        return sum(1 for m in self.messages if to in str(m["To"]) and subject_part in str(m["Subject"]))


class Faulty:
    """The app on its own PostgreSQL database, an SMTP port nobody listens on (yet)."""

    def __init__(self, srv, dbname: str, dsn: str, smtp_port: int):
        self.srv, self.dbname, self.dsn, self.smtp_port = srv, dbname, dsn, smtp_port
        self.smtp: Controller | None = None
        self.mailbox = Collector()

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def one(self, query: str, params: tuple = ()):
        return self.sql(query, params)[0][0]

    def start_smtp(self) -> None:
        if self.smtp is None:
            self.smtp = Controller(self.mailbox, hostname="127.0.0.1", port=self.smtp_port)
            self.smtp.start()

    def kill_app_connections(self, spare: int | None = None) -> int:
        """pg_terminate_backend of every connection of the app to its database (not `spare`,
        the test's lock holder): how many were killed."""
        rows = self.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                        "AND pid <> pg_backend_pid() AND pid IS DISTINCT FROM %s", (self.dbname, spare))
        return sum(1 for (ok,) in rows if ok)

    def wait_for_lock_waiters(self, count: int, holder: int, query: str = "") -> int:
        """Wait until `count` app connections wait on the test's lock (with `query`: only
        statements that start so, e.g. the handler's INSERT and not the outbox worker's poll)."""
        deadline = time.time() + 30
        waiting = 0
        while time.time() < deadline:
            waiting = self.one("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> %s "
                               "AND wait_event_type = 'Lock' AND query ILIKE %s", (self.dbname, holder, query + "%"))
            if waiting >= count:
                return waiting
            time.sleep(0.05)
        raise AssertionError(f"{waiting} app connections wait on the lock, {count} expected")

    def log_count(self, text: str) -> int:
        """Lines of the app's log that contain `text`."""
        return sum(text in line for line in (self.srv.data_dir / "server.log").read_text().splitlines())

    def witness(self, timeout: float = 60) -> None:
        """Queue one more email (to a witness address) and wait until the SMTP server has it.
        The outbox sends in queue order: once the witness is delivered, the workers have made
        their passes over every email queued before it, so an email sent twice would be in
        the mailbox by now (a wait on what the app does, not on a time)."""
        address = f"temoin-{len(self.mailbox.messages)}-{time.monotonic_ns()}@example.com"
        self.sql("INSERT INTO outbox_email (\"to\", subject, template, context_json, status, attempts, "
                 "next_attempt_at, created_at) VALUES (%s, 'Témoin', 'password_reset', "
                 "'{\"link\": \"http://localhost/reinitialiser?jeton=t\", \"name\": \"Témoin\"}', 'pending', 0, "
                 "now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')", (address,))
        deadline = time.time() + timeout
        while not self.mailbox.count(address, "Témoin"):
            if time.time() > deadline:
                raise AssertionError("the witness email was never delivered")
            time.sleep(0.1)

    def wait_until(self, query: str, params: tuple, what: str, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while not self.one(query, params):
            if time.time() > deadline:
                raise AssertionError(f"never happened: {what}")
            time.sleep(0.25)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("faults")
    dbname, url = create_database()
    smtp_port = free_port()
    try:
        srv, proc = start_app(data_dir, extra_env={
            "REFLEX_DB_URL": url, "SECRET_KEY": SECRET_KEY,
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_TLS": "false", "SMTP_SSL": "false",
            "OUTBOX_POLL_SECONDS": "0.5", "OUTBOX_BACKOFF_SECONDS": "0.5",
        })
        app = Faulty(srv, dbname, url.replace("postgresql+psycopg://", "postgresql://"), smtp_port)
        try:
            yield app
        finally:
            stop_app(proc)
            if app.smtp is not None:
                app.smtp.stop()
    finally:
        drop_database(dbname)


@pytest.fixture
def luce(browser, faulty):
    context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=faulty.srv.url)
    context.set_default_timeout(30000)
    page = context.new_page()
    login(page, *LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    yield page
    context.close()


def _no_english_error(page) -> None:
    assert not ENGLISH.search(page.locator("body").inner_text())


def _luce_dossier(faulty: Faulty) -> int:
    return faulty.one("SELECT d.id FROM dossier d JOIN dossier_client dc ON dc.dossier_id = d.id "
                      "JOIN client c ON c.id = dc.client_id WHERE c.email = %s ORDER BY d.id LIMIT 1", (LUCE[0],))


# ------------------------------------------------------------------------------------------ SMTP

def test_smtp_down_for_a_while_then_back_each_email_delivered_once(faulty, luce):
    first = faulty.one("SELECT COALESCE(MAX(id), 0) FROM outbox_email")
    subject = f"Panne SMTP {uuid.uuid4().hex[:6]}"
    luce.goto(f"/contacter?dossier={_luce_dossier(faulty)}")
    luce.get_by_label("Objet").fill(subject)
    luce.get_by_label("Message").fill("Message envoyé pendant la panne du serveur de messagerie.")
    luce.get_by_role("button", name="Envoyer").click()
    expect(luce.get_by_text("Votre message a été envoyé")).to_be_visible()
    for identifier in ("marc.bertrand@example.com", "paul.martin@example.com"):
        luce.goto("/mot-de-passe-oublie")
        luce.get_by_label("Identifiant").fill(identifier)
        luce.get_by_role("button", name="Envoyer le lien").click()
        expect(luce.get_by_role("status")).to_contain_text("Si un compte correspond à cet identifiant")
    ours = ("id > %s AND (subject LIKE %s OR (template = 'password_reset' AND \"to\" IN "
            "('marc.bertrand@example.com', 'paul.martin@example.com')))")
    args = (first, f"%{subject}%")
    rows = faulty.sql(f"SELECT id, \"to\", subject FROM outbox_email WHERE {ours} ORDER BY id", args)
    assert len(rows) >= 3, rows
    n = len(rows)
    # SMTP is down: every one of them is tried, refused, and scheduled again (several times).
    faulty.wait_until(f"SELECT count(*) = %s FROM outbox_email WHERE {ours} AND status = 'pending' "
                      "AND attempts >= 3", (n, *args), "three attempts per email while SMTP is down")
    before = faulty.sql(f"SELECT attempts, last_error FROM outbox_email WHERE {ours} ORDER BY id", args)
    assert faulty.mailbox.messages == []
    faulty.start_smtp()
    faulty.wait_until(f"SELECT count(*) = %s FROM outbox_email WHERE {ours} AND status = 'sent'", (n, *args),
                      "every email sent once SMTP is back")
    faulty.witness()  # later passes of the workers: nothing was sent a second time
    attempts = faulty.sql(f"SELECT attempts FROM outbox_email WHERE {ours} ORDER BY id", args)
    delivered = Counter((to, subj) for _, to, subj in rows
                        for m in faulty.mailbox.messages if to in str(m["To"]) and str(m["Subject"]) == subj)
    print(f"\nSMTP outage: {n} emails queued; failed attempts each while down: "
          f"{[a for a, _ in before]} (last error: {before[0][1]!r}); attempts counted at delivery: "
          f"{[a for (a,) in attempts]}; delivered: {dict(delivered)}")
    assert len(delivered) == n and set(delivered.values()) == {1}


# ------------------------------------------------------------------------------- database blips

LOST = "lost its database connection ref="  # a handler failed: the user got DB_LOST
RETRIED = "read again"  # or "run again": a read retried on a new connection


def _no_error_shown(page) -> None:
    expect(page.get_by_text(DB_LOST)).to_have_count(0)
    expect(page.get_by_text("Une erreur est survenue")).to_have_count(0)
    _no_english_error(page)


def test_database_blips_while_browsing(faulty, luce):
    seen = []
    failed = faulty.log_count(LOST)
    # Idle connections killed between clicks: the pool replaces them (the server's notice on their socket).
    for link, heading in (("Dossiers (4)", "Dossiers (4)"), ("Documents (45)", "Documents (45)"),
                          ("RDV (9)", "RDV (9)")):
        killed = faulty.kill_app_connections()
        luce.goto("/accueil")
        luce.get_by_role("link", name=link).click()
        expect(luce.get_by_role("heading", name=heading)).to_be_visible()
        _no_error_shown(luce)
        seen.append(f"{killed} connections killed before « {link} »: page shown")
    assert faulty.log_count(LOST) == failed, "a handler failed after idle connections were killed"

    # Killed in the middle of a page load (it waits on a lock the test holds): loaded again.
    luce.goto("/accueil")
    expect(luce.get_by_role("link", name="Documents (45)")).to_be_visible()
    reloaded = faulty.log_count("page load lost its database connection, run again: ListState.load")
    with psycopg.connect(faulty.dsn) as holder:
        holder_pid = holder.info.backend_pid
        holder.execute("LOCK TABLE document IN ACCESS EXCLUSIVE MODE")
        luce.get_by_role("link", name="Documents (45)").click()
        faulty.wait_for_lock_waiters(1, holder_pid)
        killed = faulty.kill_app_connections(spare=holder_pid)
        holder.rollback()
    expect(luce.get_by_role("heading", name="Documents (45)")).to_be_visible()
    _no_error_shown(luce)
    assert faulty.log_count(LOST) == failed
    assert faulty.log_count("page load lost its database connection, run again: ListState.load") > reloaded
    seen.append(f"{killed} connections killed during the load of /documents: page shown (the load ran again)")

    # Killed in the middle of a write (the message is inserted, its email waits on a lock).
    counts = ("SELECT (SELECT count(*) FROM message), (SELECT count(*) FROM outbox_email), "
              "(SELECT count(*) FROM audit_event WHERE action = 'message_envoye')")
    before = faulty.sql(counts)[0]
    subject = f"Coupure {uuid.uuid4().hex[:6]}"
    luce.goto(f"/contacter?dossier={_luce_dossier(faulty)}")
    luce.get_by_label("Objet").fill(subject)
    luce.get_by_label("Message").fill("Envoyé pendant une coupure de la base.")
    with psycopg.connect(faulty.dsn) as holder:
        holder_pid = holder.info.backend_pid
        holder.execute("LOCK TABLE outbox_email IN ACCESS EXCLUSIVE MODE")
        luce.get_by_role("button", name="Envoyer").click()
        # The handler's email insert (the outbox worker's poll waits on the lock too).
        faulty.wait_for_lock_waiters(1, holder_pid, query="INSERT INTO outbox_email")
        killed = faulty.kill_app_connections(spare=holder_pid)
        holder.rollback()
    expect(luce.get_by_text(DB_LOST)).to_be_visible()
    toast = luce.get_by_text(DB_LOST).first.inner_text()
    _no_english_error(luce)
    assert faulty.sql(counts)[0] == before, "half of the message was written"
    assert faulty.one("SELECT count(*) FROM message WHERE subject = %s", (subject,)) == 0
    assert faulty.log_count(LOST) == failed + 1
    seen.append(f"{killed} connections killed while sending a message: « {toast} »; nothing written")
    # Sending again works, once.
    luce.get_by_role("button", name="Envoyer").click()
    expect(luce.get_by_text("Votre message a été envoyé")).to_be_visible()
    assert faulty.one("SELECT count(*) FROM message WHERE subject = %s", (subject,)) == 1
    seen.append("sent again: stored once")

    # And once more during the update of the contact details.
    luce.goto("/mon-compte/coordonnees")
    expect(luce.get_by_label("Ville")).not_to_have_value("")
    before = faulty.one("SELECT count(*) FROM contact_request")
    luce.get_by_label("Ville").fill("MONTPELLIER")
    with psycopg.connect(faulty.dsn) as holder:
        holder_pid = holder.info.backend_pid
        holder.execute("LOCK TABLE outbox_email IN ACCESS EXCLUSIVE MODE")
        luce.get_by_role("button", name="Envoyer").click()
        # The handler's email insert (the outbox worker's poll waits on the lock too).
        faulty.wait_for_lock_waiters(1, holder_pid, query="INSERT INTO outbox_email")
        killed = faulty.kill_app_connections(spare=holder_pid)
        holder.rollback()
    expect(luce.get_by_text(DB_LOST)).to_be_visible()
    _no_english_error(luce)
    assert faulty.one("SELECT count(*) FROM contact_request") == before, "half of the request was written"
    assert faulty.log_count(LOST) == failed + 2
    seen.append(f"{killed} connections killed while sending a contact-details request: French message; "
                "nothing written")
    seen.append(f"reads run again on a new connection (app log): {faulty.log_count(RETRIED)} + "
                f"{faulty.log_count('run again')} page loads")
    print("\nDatabase blips:\n  " + "\n  ".join(seen))


# ------------------------------------------------------------------------------ Stripe webhook

def _post(url: str, body: bytes, signature: str) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, {}


def test_the_same_webhook_twice_at_once_is_applied_once(faulty, monkeypatch):
    from espace.config import settings
    from espace.services.crypto import encrypt_secret

    monkeypatch.setattr(settings, "secret_key", SECRET_KEY)  # the app's key: the secret is stored encrypted
    settings.__dict__.pop("secret", None)
    try:
        secret_enc = encrypt_secret(WEBHOOK_SECRET)
    finally:
        settings.__dict__.pop("secret", None)
    faulty.start_smtp()
    firm_id = faulty.one("SELECT id FROM firm ORDER BY id LIMIT 1")
    faulty.sql("UPDATE firm SET payments_enabled = true, stripe_webhook_secret_enc = %s WHERE id = %s",
               (secret_enc, firm_id))
    facture_id, luce_id = faulty.sql(
        "SELECT f.id, u.id FROM facture f, \"user\" u WHERE f.number = 'FA-2024-0042' AND u.email = %s "
        "AND u.firm_id = %s", (LUCE[0], firm_id))[0]
    payment_id = faulty.one(
        "INSERT INTO payment (firm_id, facture_id, user_id, stripe_payment_intent_id, amount_cents, currency, "
        "status, created_at) VALUES (%s, %s, %s, 'pi_faults_twice', 144000, 'eur', 'open', now()) RETURNING id",
        (firm_id, facture_id, luce_id))
    body = json.dumps({"id": "evt_faults_twice", "object": "event", "type": "payment_intent.succeeded",
                       "created": int(time.time()),
                       "data": {"object": {"id": "pi_faults_twice", "object": "payment_intent", "amount": 144000,
                                           "currency": "eur", "status": "succeeded"}}}).encode()
    at = int(time.time())
    signature = f"t={at},v1={hmac.new(WEBHOOK_SECRET.encode(), f'{at}.'.encode() + body, hashlib.sha256).hexdigest()}"
    url = f"{faulty.srv.url}/api/stripe/webhook/{firm_id}"
    with psycopg.connect(faulty.dsn) as holder, concurrent.futures.ThreadPoolExecutor(2) as pool:
        holder_pid = holder.info.backend_pid
        holder.execute("SELECT id FROM payment WHERE id = %s FOR UPDATE", (payment_id,))
        deliveries = [pool.submit(_post, url, body, signature) for _ in range(2)]
        waiting = faulty.wait_for_lock_waiters(2, holder_pid)  # both deliveries are in, at the same time
        holder.rollback()
        answers = sorted((status, answer.get("outcome")) for status, answer in (d.result() for d in deliveries))
    assert answers == [(200, "duplicate"), (200, "paid")]
    applied = faulty.sql(
        "SELECT (SELECT status FROM facture WHERE id = %s), (SELECT status FROM payment WHERE id = %s), "
        "(SELECT count(*) FROM audit_event WHERE action = 'paiement'), "
        "(SELECT count(*) FROM outbox_email WHERE template = 'payment_receipt'), "
        "(SELECT count(*) FROM stripe_event WHERE id = 'evt_faults_twice')", (facture_id, payment_id))[0]
    assert applied == ("payee", "succeeded", 1, 1, 1)
    faulty.wait_until("SELECT count(*) = 1 FROM outbox_email WHERE template = 'payment_receipt' AND status = 'sent'",
                      (), "the receipt email sent")
    faulty.witness()  # later passes of the workers: the receipt was not sent again
    receipts = faulty.mailbox.count(LUCE[0], "Reçu de paiement")
    print(f"\nStripe webhook twice at once: {waiting} deliveries waiting together; answers {answers}; "
          f"invoice/payment {applied[:2]}, audit entries {applied[2]}, receipts queued {applied[3]}, "
          f"receipts delivered {receipts}")
    assert receipts == 1
