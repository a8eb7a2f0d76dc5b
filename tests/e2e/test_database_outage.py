"""The database down, through the running app (a private PostgreSQL of its own that the test
stops — fast shutdown, every connection cut — and starts again; a private Redis; 2 workers).
What the client sees and what is kept:

- a page opened during the outage shows « La connexion à la base de données a été
  interrompue : la page s'affichera d'elle-même dès son retour. » and then, once the database
  is back, the page itself: nobody reloads (1280 and 375 px, axe-core on the message);
- a page opened by its address during the outage: the same message, the page once it is back;
- a page load caught mid-way (it waits on a lock the test holds while the database stops
  accepting connections and the app's are cut): the same message, then the page;
- an action (sending a message) shows the promised « … votre dernière action n'a pas été
  enregistrée. Réessayez dans un instant. », nothing is written; sent again once the database
  is back, it is stored once;
- the HTTP routes answer a French 503 with Retry-After (JSON for the upload widget, a page for a
  browser's download link), never a bare 500;
- a deposit made during the outage is sent again by the widget with the same idempotency key
  and is stored once the database is back, once.

And the documents' disk full (a real 1 MiB tmpfs mounted on the app's documents folder while
it runs): a deposit larger than the free space is refused before it is stored, the client reads
why in French (1280 and 375 px, axe-core), nothing is left on the disk.

Every wait waits for what the page shows or for the database's answer."""
from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from playwright.sync_api import expect

from espace.domain import faults
from espace.web.client.listing.state import ListState
from tests.attack.reflex_socket import ReflexSocket, login_cookie
from tests.e2e.appserver import start_app, stop_app
from tests.e2e.conftest import LUCE, VIEWPORTS, login
from tests.e2e.test_accessibility import Audit
from tests.infra import PostgresServer, small_disk

pytestmark = [pytest.mark.e2e, pytest.mark.production_path]

ENGLISH = re.compile(r"An error occurred|Contact the website administrator|Internal Server Error", re.IGNORECASE)


class Outage:
    """The app on a PostgreSQL server the test may stop."""

    def __init__(self, srv, pg: PostgresServer, dsn: str):
        self.srv, self.pg, self.dsn = srv, pg, dsn

    def one(self, query: str, params: tuple = ()):
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return conn.execute(query, params).fetchone()[0]

    @contextlib.contextmanager
    def database_down(self):
        """PostgreSQL stopped for the block (started again at the end whatever happens)."""
        self.pg.stop()
        try:
            yield
        finally:
            if self.pg.proc is None:
                self.pg.start()

    def cookie(self, context) -> str:
        return next(c["value"] for c in context.cookies() if c["name"] == "espace_session")


@pytest.fixture(scope="module")
def outage():
    # Not under pytest's 0700 temporary folder: PostgreSQL runs as its own user.
    work = Path(tempfile.mkdtemp(prefix="espace-outage-"))
    work.chmod(0o711)  # PostgreSQL's user reaches its folder inside
    pg = PostgresServer(work / "pg")
    pg.start()
    try:
        with psycopg.connect(pg.dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE espace")
        url = pg.url.rsplit("/", 1)[0] + "/espace"
        srv, proc = start_app(work / "data", extra_env={"REFLEX_DB_URL": url})
        try:
            yield Outage(srv, pg, url.replace("postgresql+psycopg://", "postgresql://"))
        finally:
            stop_app(proc)
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


def _luce(browser, outage: Outage, viewport: str):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR", base_url=outage.srv.url)
    context.set_default_timeout(30000)
    page = context.new_page()
    login(page, *LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    return context, page


def _luce_dossier(outage: Outage) -> int:
    return outage.one("SELECT d.id FROM dossier d JOIN dossier_client dc ON dc.dossier_id = d.id "
                      "JOIN client c ON c.id = dc.client_id WHERE c.email = %s ORDER BY d.id LIMIT 1", (LUCE[0],))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_page_opened_during_the_outage_appears_once_the_database_is_back(browser, outage, viewport):
    context, page = _luce(browser, outage, viewport)
    try:
        link = page.get_by_role("link", name="Documents (45)")
        expect(link).to_be_visible()
        with outage.database_down():
            link.click()
            message = page.get_by_text(faults.DATABASE_DOWN_LOADING)
            expect(message).to_be_visible()
            expect(page.get_by_role("heading", name="Documents (45)")).to_have_count(0)
            assert not ENGLISH.search(page.locator("body").inner_text())
            audit = Audit(viewport)
            audit.run(page, "/documents pendant la panne")
            assert audit.blocking == []
        # Started again: the tab's own retry shows the page, and the message goes.
        expect(page.get_by_role("heading", name="Documents (45)")).to_be_visible()
        expect(message).to_have_count(0)
    finally:
        context.close()


def test_a_page_opened_by_its_address_during_the_outage_loads_itself_once_it_is_back(browser, outage):
    """A first load (the address typed, a bookmark): nothing is hydrated yet, so the tab loads
    the page again by itself every couple of seconds until the database answers."""
    context, page = _luce(browser, outage, "bureau")
    try:
        with outage.database_down():
            page.goto("/documents")
            message = page.get_by_text(faults.DATABASE_DOWN_LOADING)
            expect(message).to_be_visible()
            expect(page.get_by_role("heading", name="Documents (45)")).to_have_count(0)
            assert not ENGLISH.search(page.locator("body").inner_text())
        expect(page.get_by_role("heading", name="Documents (45)")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/documents/?$"))
    finally:
        context.close()


def test_a_page_load_caught_mid_way_shows_the_page_once_the_database_is_back(browser, outage):
    """The session check has passed (the navigation got through), the page's own load is
    waiting in PostgreSQL when the database stops taking connections and the app's are cut:
    its one quick retry fails too, the tab says so and sends the load again until it works."""
    context, page = _luce(browser, outage, "bureau")
    try:
        link = page.get_by_role("link", name="Documents (45)")
        expect(link).to_be_visible()
        log = outage.srv.data_dir / "server.log"
        sent_again = log.read_text().count("page load: database unavailable, sent again: ListState.load")
        with psycopg.connect(outage.dsn) as holder, psycopg.connect(outage.pg.dsn, autocommit=True) as admin:
            holder_pid = holder.info.backend_pid
            holder.execute("LOCK TABLE document IN ACCESS EXCLUSIVE MODE")
            link.click()
            _wait_for_lock_waiter(admin, holder_pid)
            admin.execute("ALTER DATABASE espace ALLOW_CONNECTIONS false")
            try:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'espace' "
                              "AND pid <> %s", (holder_pid,))
                holder.rollback()
                message = page.get_by_text(faults.DATABASE_DOWN_LOADING)
                expect(message).to_be_visible()
                expect(page.get_by_role("heading", name="Documents (45)")).to_have_count(0)
            finally:
                admin.execute("ALTER DATABASE espace ALLOW_CONNECTIONS true")
        expect(page.get_by_role("heading", name="Documents (45)")).to_be_visible()
        expect(message).to_have_count(0)
        assert log.read_text().count("page load: database unavailable, sent again: ListState.load") > sent_again
    finally:
        context.close()


def test_a_page_load_whose_own_session_check_finds_the_database_stopped_is_sent_again(outage):
    """A page's load is chained after its navigation on the server, and each event checks the
    session behind its cookie. The navigation's check may use the answer kept for half a
    second (auth.kept_session) while the load's, later (a loaded machine: CI saw the page's
    skeleton for 15 s and no message), has to read the stopped database: the tab gets the
    promised message and its page's chain sent again, not « … votre dernière action n'a pas
    été enregistrée » and a page that never loads. (The load event sent as the tab's chain
    sends it, through the real websocket.)"""
    cookie = login_cookie(outage.srv.url, *LUCE)
    tab = ReflexSocket(outage.srv.url, cookie=cookie, page="/documents")
    try:
        with outage.database_down():
            _wait_for_a_second_of_outage(outage)  # nothing read before the outage is still kept
            start = len(tab.frames)
            tab.send(ListState.get_full_name() + ".load", {}, "/documents")
            tab._until(lambda frame: "toast" in frame, 30)
            answer = json.dumps(tab.events_since(start))  # the toasts' texts as their scripts escape them
            assert _escaped(faults.DATABASE_DOWN_LOADING) in answer and _escaped(faults.DATABASE_DOWN) not in answer
            assert "on_load_internal" in answer  # the tab sends its page's chain again
    finally:
        tab.close()


def _escaped(text: str) -> str:
    """`text` as it is written in a script of the tab's events (JSON-encoded twice)."""
    return json.dumps(json.dumps(text)[1:-1])[1:-1]


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.05)


def _wait_for_a_second_of_outage(outage: Outage) -> None:
    """Until one app worker's email outbox has failed twice since the database stopped (its
    passes are a second apart): what the app read before the outage is no longer kept."""
    log = outage.srv.data_dir / "server.log"
    start = len(log.read_text())

    def failed_twice() -> bool:
        workers = re.findall(r"outbox pass failed worker=(\S+)", log.read_text()[start:])
        return any(workers.count(w) >= 2 for w in workers)

    _wait_for(failed_twice, "two failed outbox passes of one worker")


def _wait_for_lock_waiter(admin, holder_pid: int) -> None:
    """Until one of the app's connections waits on the test's lock (a wait on what PostgreSQL
    shows, with a deadline)."""
    deadline = time.monotonic() + 30
    while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'espace' AND pid <> %s "
                        "AND wait_event_type = 'Lock'", (holder_pid,)).fetchone()[0] == 0:
        if time.monotonic() > deadline:
            raise AssertionError("the page's load never waited on the lock")
        time.sleep(0.05)


def test_an_action_during_the_outage_is_not_recorded_then_sent_again_once(browser, outage):
    context, page = _luce(browser, outage, "bureau")
    try:
        subject = "Envoyé pendant la panne"
        page.goto(f"/contacter?dossier={_luce_dossier(outage)}")
        page.get_by_label("Objet").fill(subject)
        page.get_by_label("Message").fill("Ce message part pendant que la base de données est arrêtée.")
        with outage.database_down():
            page.get_by_role("button", name="Envoyer").click()
            expect(page.get_by_text(faults.DATABASE_DOWN)).to_be_visible()
            assert not ENGLISH.search(page.locator("body").inner_text())
            expect(page.get_by_label("Objet")).to_have_value(subject)  # what was typed is still there
        assert outage.one("SELECT count(*) FROM message WHERE subject = %s", (subject,)) == 0
        page.get_by_role("button", name="Envoyer").click()
        expect(page.get_by_text("Votre message a été envoyé")).to_be_visible()
        assert outage.one("SELECT count(*) FROM message WHERE subject = %s", (subject,)) == 1
    finally:
        context.close()


def _request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_the_routes_answer_a_french_503_during_the_outage(browser, outage):
    context, _ = _luce(browser, outage, "bureau")
    cookie = outage.cookie(context)
    context.close()
    dossier = _luce_dossier(outage)
    document = outage.one("SELECT id FROM document WHERE dossier_id = %s AND shared_at IS NOT NULL "
                          "ORDER BY id LIMIT 1", (dossier,))
    deposits = outage.one("SELECT count(*) FROM document")
    with outage.database_down():
        status, headers, body = _request(
            f"{outage.srv.url}/api/depots/{dossier}", "POST", b"%PDF-1.4\n" + b"0" * 1000,
            {"Cookie": f"espace_session={cookie}", "X-Requested-With": "espace", "X-Filename": quote("Panne.pdf"),
             "Idempotency-Key": "panne-0123456789abcdef", "Content-Type": "application/octet-stream"})
        assert status == 503 and headers.get("retry-after") == "5"
        assert json.loads(body) == {"ok": False, "error": faults.DATABASE_DOWN}
        status, headers, body = _request(f"{outage.srv.url}/api/documents/{document}",
                                         headers={"Cookie": f"espace_session={cookie}", "Accept": "text/html"})
        assert status == 503 and headers["content-type"].startswith("text/html")
        text = body.decode()
        assert "Service momentanément indisponible" in text and "base de données a été interrompue" in text
        assert not ENGLISH.search(text)
    assert outage.one("SELECT count(*) FROM document") == deposits


def _deposit_zone(page, outage: Outage):
    """The deposit zone of Luce's first dossier's page."""
    page.goto(f"/dossiers/{_luce_dossier(outage)}")
    zone = page.get_by_label("Glissez-déposez vos documents ici ou cliquez pour les sélectionner")
    expect(zone).to_be_attached()
    return zone


def test_a_deposit_during_the_outage_is_sent_again_and_stored_once(browser, outage, tmp_path):
    context, page = _luce(browser, outage, "bureau")
    try:
        zone = _deposit_zone(page, outage)
        path = tmp_path / "Attestation panne.pdf"
        path.write_bytes(b"%PDF-1.4\n" + b"attestation " * 2000)
        uploads = page.get_by_role("list", name="Envois en cours")
        with outage.database_down():
            zone.set_input_files(str(path))
            expect(uploads).to_contain_text("Nouvel essai dans un instant")
        expect(uploads).to_contain_text("Déposé", timeout=60000)
        rows = outage.one("SELECT count(*) FROM document WHERE name = 'Attestation panne.pdf'")
        keyed = outage.one("SELECT count(*) FROM document WHERE name = 'Attestation panne.pdf' "
                           "AND idempotency_key IS NOT NULL")
        assert (rows, keyed) == (1, 1)
    finally:
        context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_deposit_larger_than_the_free_space_is_refused_in_french(browser, outage, viewport, tmp_path):
    context, page = _luce(browser, outage, viewport)
    try:
        zone = _deposit_zone(page, outage)
        path = tmp_path / "Gros dossier.pdf"
        path.write_bytes(b"%PDF-1.4\n" + b"pieces " * 300_000)  # 2 MiB: more than the disk has
        before = outage.one("SELECT count(*) FROM document")
        documents = outage.srv.data_dir / "documents"
        with small_disk(documents, "1m"):  # the demo's files hidden under it
            zone.set_input_files(str(path))
            uploads = page.get_by_role("list", name="Envois en cours")
            expect(uploads).to_contain_text(f"Échec : « Gros dossier.pdf » : {faults.STORAGE_FULL}")
            assert list(documents.iterdir()) == []  # nothing written
            audit = Audit(viewport)
            audit.run(page, "dépôt refusé, disque plein")
            assert audit.blocking == []
        assert outage.one("SELECT count(*) FROM document") == before
    finally:
        context.close()
