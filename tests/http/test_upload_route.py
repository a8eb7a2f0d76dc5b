"""The streaming deposit routes: session, CSRF header, access, size limits, a
successful deposit visible in the dossier, the end-of-drop email, disconnects."""
from __future__ import annotations

import asyncio
import json
import warnings
from urllib.parse import quote

import pytest
from sqlmodel import func, select
from starlette.applications import Starlette

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace.config import settings
from espace.db import session_scope
from espace.demo import LUCE_EMAIL, LUCE_PASSWORD, make_pdf
from espace.domain.outcome import Outcome, Refusal
from espace.http import uploads as api_uploads
from espace.models import Direction, Document
from espace.services.accounts import auth
from espace.services.client import dossier_view
from espace.services.deposits import filetypes, receive
from espace.services.mail import outbox

XRW = {"X-Requested-With": "espace"}


@pytest.fixture
def app():
    return Starlette(routes=api_uploads.routes)


@pytest.fixture
def http(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def token(demo):
    result = auth.login(LUCE_EMAIL, LUCE_PASSWORD, "127.0.0.1")
    assert result.ok
    opened = auth.open_session(result.ticket, result.browser_key)
    assert opened is not None
    return opened[0]


def headers(token: str | None, name: str = "pièce.pdf", **extra) -> dict[str, str]:
    h = {**XRW, "X-Filename": quote(name)}
    if token:
        h["Cookie"] = f"espace_session={token}"
    return {**h, **extra}


def stored_files() -> set[str]:
    root = settings.documents_dir
    return {p.name for p in root.iterdir()} if root.exists() else set()


def deposited_count() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(Document).where(Document.direction == Direction.depose)).one()


def luce(demo):
    from espace.models import User

    with session_scope() as s:
        return s.get(User, demo["client_user_id"])


def test_without_session_401(http, demo):
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=make_pdf("x"), headers=headers(None))
    assert r.status_code == 401 and r.json()["ok"] is False
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=make_pdf("x"),
                  headers=headers(None, Cookie="espace_session=inconnu"))
    assert r.status_code == 401


def test_without_csrf_header_403(http, demo, token):
    h = headers(token)
    del h["X-Requested-With"]
    before = stored_files()
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=make_pdf("x"), headers=h)
    assert r.status_code == 403
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=make_pdf("x"),
                  headers={**h, "X-Requested-With": "XMLHttpRequest"})
    assert r.status_code == 403
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}/termine", json={"names": ["x"]}, headers=h)
    assert r.status_code == 403
    assert stored_files() == before


def test_other_clients_dossier_404(http, demo, token):
    before, rows = stored_files(), deposited_count()
    for did in (demo["other_dossier_id"], demo["other_firm_dossier_id"], 999999):
        r = http.post(f"/api/depots/{did}", content=make_pdf("x"), headers=headers(token))
        assert r.status_code == 404, did
        assert r.json()["error"] == "Dossier introuvable."
        r = http.post(f"/api/depots/{did}/termine", json={"names": ["x.pdf"]}, headers=headers(token))
        assert r.status_code == 404
    assert stored_files() == before and deposited_count() == rows
    # Announcing a huge body does not tell whether the dossier exists: still 404.
    r = http.post(f"/api/depots/{demo['other_dossier_id']}", content=b"%PDF-1.4",
                  headers=headers(token, "gros.pdf", **{"Content-Length": str(10**12)}))
    assert r.status_code == 404


def test_declared_length_too_big_413_without_reading(http, demo, token, monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    before = stored_files()
    body = b"%PDF-1.4\n" + b"\x00" * (1536 * 1024)
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=body, headers=headers(token, "gros.pdf"))
    assert r.status_code == 413
    assert r.json() == {"ok": False, "name": "gros.pdf", "error": "« gros.pdf » : fichier trop volumineux (1 Mo maximum)"}
    assert stored_files() == before
    # A small body announced as huge is refused on the header alone.
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=b"%PDF-1.4",
                  headers=headers(token, "gros.pdf", **{"Content-Length": str(50 * 1024 * 1024)}))
    assert r.status_code == 413


def test_lying_or_absent_length_still_limited_while_streaming(http, demo, token, monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    before, rows = stored_files(), deposited_count()

    def body():  # no Content-Length: sent chunked
        for _ in range(24):
            yield b"%PDF" + b"\x00" * (64 * 1024 - 4)

    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=body(), headers=headers(token, "gros.pdf"))
    assert r.status_code == 413
    assert "fichier trop volumineux (1 Mo maximum)" in r.json()["error"]
    assert stored_files() == before and deposited_count() == rows


def test_refused_type_415(http, demo, token):
    before, rows = stored_files(), deposited_count()
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=b"MZ\x90\x00" + b"\x00" * 100,
                  headers=headers(token, "rapport.pdf"))
    assert r.status_code == 415
    assert r.json() == {
        "ok": False, "name": "rapport.pdf",
        "error": "« rapport.pdf » : type de fichier non autorisé (programme ou script)",
    }
    assert stored_files() == before and deposited_count() == rows


def test_success_then_one_email_for_the_drop(http, demo, token):
    did = demo["dossier_ids"][0]
    names = []
    for name in ("Évaluation finale.pdf", "C:\\Users\\luce\\relevé.pdf"):
        r = http.post(f"/api/depots/{did}", content=make_pdf(name), headers=headers(token, name))
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["ok"] is True and isinstance(data["id"], int)
        names.append(data["name"])
    assert names == ["Évaluation finale.pdf", "relevé.pdf"]
    deposes = dossier_view.dossier_tab(luce(demo), did, "deposes").rows
    assert {"Évaluation finale.pdf", "relevé.pdf"} <= {row.name for row in deposes}

    r = http.post(f"/api/depots/{did}/termine", json={"names": names}, headers=headers(token))
    assert r.status_code == 200 and r.json() == {"ok": True}
    outbox.run_once()  # the outbox worker writes the queued email
    mails = list(settings.outbox_dir.glob("*deposit_notice.eml"))
    assert len(mails) == 1
    text = mails[0].read_text()
    assert "fabien.delmas@example.com" in text

    r = http.post(f"/api/depots/{did}/termine", content=b"pas du json", headers=headers(token))
    assert r.status_code == 400
    r = http.post(f"/api/depots/{did}/termine", json={"names": "x"}, headers=headers(token))
    assert r.status_code == 400


def test_client_disconnect_leaves_nothing(app, demo, token):
    did = demo["dossier_ids"][0]
    before, rows = stored_files(), deposited_count()
    events = [
        {"type": "http.request", "body": make_pdf("début") + b"\x00" * 70000, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent = []

    async def receive():
        return events.pop(0) if events else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": f"/api/depots/{did}", "raw_path": f"/api/depots/{did}".encode(),
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
        "headers": [
            (b"host", b"testserver"),
            (b"x-requested-with", b"espace"),
            (b"x-filename", b"interrompu.pdf"),
            (b"cookie", f"espace_session={token}".encode()),
            (b"transfer-encoding", b"chunked"),
        ],
    }
    asyncio.run(app(scope, receive, send))
    assert stored_files() == before
    assert not list(settings.documents_dir.glob(".*.part"))
    assert deposited_count() == rows
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    body = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    assert body["ok"] is False


# --------------------------------------------------------------------------- outcome → HTTP status
@pytest.mark.parametrize("refusal, status", [
    (Refusal.too_large, 413), (Refusal.unsupported, 415), (Refusal.failed, 400), (Refusal.invalid, 400),
    (Refusal.not_found, 404), (Refusal.conflict, 409), (Refusal.throttled, 429), (Refusal.unavailable, 503),
])
def test_a_refused_outcome_has_the_status_of_its_refusal(refusal, status):
    assert api_uploads.status_of(Outcome.refused("« x.pdf » : raison", receive.Upload("x.pdf"), refusal)) == status


def test_every_refusal_has_a_status():
    assert set(api_uploads.STATUS) == set(Refusal)


def test_a_done_outcome_is_200_and_a_refusal_without_kind_400():
    assert api_uploads.status_of(Outcome.done(receive.Upload("x.pdf", 3))) == 200
    assert api_uploads.status_of(Outcome(False, {"form": "Refusé."})) == 400


def test_upload_answer_bodies():
    done = api_uploads.upload_answer(Outcome.done(receive.Upload("acte.pdf", 7)))
    assert done.status_code == 200 and json.loads(done.body) == {"ok": True, "id": 7, "name": "acte.pdf"}
    assert done.headers["cache-control"] == "no-store"
    error = "« outil.exe » : " + filetypes.REASON_PROGRAM
    refused = api_uploads.upload_answer(Outcome.refused(error, receive.Upload("outil.exe"), Refusal.unsupported))
    assert refused.status_code == 415
    assert json.loads(refused.body) == {"ok": False, "name": "outil.exe", "error": error}


def test_archives_holding_programs_or_encrypted_are_refused_415(http, demo, token):
    """Issue 22, item 4, through the route a browser posts to: the refusal names the
    entry; an encrypted archive gets its own message; nothing is stored."""
    from tests.services.deposits.test_archives import PE, zip_of, zipcrypto_bytes

    before, rows = stored_files(), deposited_count()
    cases = {
        "pièces.zip": (zip_of({"dossier.zip": zip_of({"setup.exe": PE})}),
                       "archive contenant un programme ou un script (« dossier.zip › setup.exe »), non autorisée"),
        "relevés.zip": (zipcrypto_bytes("releve.pdf", make_pdf("Relevé"), b"secret"),
                        "archive protégée par un mot de passe : son contenu ne peut pas être vérifié ; "
                        "déposez-la sans mot de passe ou déposez les fichiers un à un"),
        "report.pdf": (b"Bonjour\n", "ce fichier porte l'extension .pdf mais n'est pas un PDF"),
    }
    for name, (data, error) in cases.items():
        r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=data, headers=headers(token, name))
        assert r.status_code == 415, name
        assert r.json() == {"ok": False, "name": name, "error": f"« {name} » : {error}"}
    assert stored_files() == before and deposited_count() == rows
