"""A crash during an upload: the app (every process of it) is killed with SIGKILL while
a 40 MB deposit is half-way through the real upload route, then started again. The
interrupted upload's `.part` file is gone, the client sees nothing of the file, and
`check-storage` finds nothing wrong; the client then deposits the same file."""
from __future__ import annotations

import hashlib
import http.client
import os
import re
import signal
import time
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.appserver import restart_app, start_app, stop_app
from tests.e2e.conftest import VIEWPORTS, login

# Starts its own PostgreSQL / Redis / S3 apps: run once, by `make test` (not again by test-scale).
# Local files on the embedded path, the shared database on the production path: both.
pytestmark = [pytest.mark.production_path, pytest.mark.embedded]

MB = 1024 * 1024
SIZE = 40 * MB


def _body(size: int) -> bytes:
    block = hashlib.sha256(b"crash").digest() * (MB // 32)
    return (b"%PDF-1.4\n" + block * (size // MB + 1))[:size]


def _new_client(srv) -> tuple[str, str, str]:
    identifier, password = "crash@example.com", "Depot-Mot2passe"
    srv.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", "CRASH", "--prenom", "Alex",
            "--password", password)
    out = srv.cli("create-dossier", "--firm-id", "1", "--reference", "2026CRASH/1", "--label", "CRASH / ESSAI",
                  "--client-email", identifier, "--interlocutor-email", "fabien.delmas@example.com")
    return identifier, password, re.search(r"n° (\d+)", out).group(1)


def _session_cookie(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "espace_session")


def _wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError(f"still waiting for: {what}")
        time.sleep(0.1)


def test_upload_interrupted_by_a_crash_leaves_nothing_after_restart(browser, tmp_path):
    data_dir = tmp_path / "data"
    srv, proc = start_app(data_dir)
    documents = data_dir / "documents"
    try:
        identifier, password, dossier_id = _new_client(srv)
        files_before = sorted(p.name for p in documents.iterdir())
        context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=srv.url)
        page = context.new_page()
        login(page, identifier, password)
        expect(page).to_have_url(re.compile(r"/accueil/?$"))
        cookie = _session_cookie(context)

        # Half of a 40 MB deposit, then the whole app is killed.
        body = _body(SIZE)
        conn = http.client.HTTPConnection("127.0.0.1", int(srv.url.rsplit(":", 1)[1]), timeout=30)
        conn.putrequest("POST", f"/api/depots/{dossier_id}")
        for name, value in {"Cookie": f"espace_session={cookie}", "X-Requested-With": "espace",
                            "X-Filename": quote("Relevé interrompu.pdf"), "Content-Type": "application/octet-stream",
                            "Content-Length": str(SIZE)}.items():
            conn.putheader(name, value)
        conn.endheaders()
        for i in range(0, SIZE // 2, MB):
            conn.send(body[i:i + MB])

        def part_files():
            return [p for p in documents.glob(".*.part")]

        _wait(lambda: any(p.stat().st_size >= 10 * MB for p in part_files()), "the upload's .part file")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        conn.close()
        leftovers = part_files()
        assert len(leftovers) == 1 and leftovers[0].stat().st_size >= 10 * MB  # what the crash left

        srv, proc = restart_app(srv, proc)  # same DATA_DIR and database
        assert part_files() == []  # removed at start, before the app answered
        assert sorted(p.name for p in documents.iterdir()) == files_before
        out = srv.cli("check-storage")  # exit code 0: nothing wrong
        assert "Dépôts interrompus : 0" in out and "Fichiers sans ligne en base : 0" in out
        assert "Résultat : aucune anomalie." in out

        # The client (same session) sees no trace of the file, and deposits it again.
        page.goto(f"{srv.url}/dossiers/{dossier_id}")
        expect(page.get_by_role("heading", name="CRASH / ESSAI")).to_be_visible()
        expect(page.get_by_role("tab", name=re.compile(r"^Documents déposés"))).to_have_count(0)
        expect(page.get_by_text("Relevé interrompu.pdf")).to_have_count(0)
        (tmp_path / "Relevé interrompu.pdf").write_bytes(body)
        page.get_by_label("Glissez-déposez vos documents ici ou cliquez pour les sélectionner").set_input_files(
            str(tmp_path / "Relevé interrompu.pdf"))
        expect(page.get_by_role("list", name="Envois en cours")).to_contain_text("Déposé", timeout=120000)
        tab = page.get_by_role("tab", name=re.compile(r"^Documents déposés \(1\)"))
        expect(tab).to_have_attribute("aria-selected", "true")
        with page.expect_download() as download:
            page.get_by_role("link", name="Télécharger Relevé interrompu.pdf").click()
        assert hashlib.sha256(download.value.path().read_bytes()).hexdigest() == hashlib.sha256(body).hexdigest()
        context.close()
        assert "Résultat : aucune anomalie." in srv.cli("check-storage")
    finally:
        stop_app(proc)
