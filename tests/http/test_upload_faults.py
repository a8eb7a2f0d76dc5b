"""The deposit route under faults that must never lose nor duplicate a client's work:

- a retry with the same `Idempotency-Key` (the browser's, after a worker died before it
  answered) answers the first deposit and stores no second copy; another person's key means
  nothing; a malformed key is refused;
- a deposit the documents' disk has no room for is refused up front with a French message
  (507), and a disk that fills up mid-stream (ENOSPC) gives the same message and leaves no
  partial file. The full disk is a real one: a 2 MiB tmpfs mounted on the documents' folder
  (the tests run as root, as CI does; a run that cannot mount fails, it never skips).

The database outage (a French 503 on these routes) is tested against a real PostgreSQL that
is stopped: tests/e2e/test_database_outage.py."""
from __future__ import annotations

import os
import warnings
from urllib.parse import quote

import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace.config import settings
from espace.db import session_scope
from espace.demo import LUCE_EMAIL, LUCE_PASSWORD, MARC_EMAIL, MARC_PASSWORD, make_pdf
from espace.domain import faults
from espace.http import faults as http_faults
from espace.http import uploads as api_uploads
from espace.models import Document
from tests import infra
from tests.admin_helpers import session_token

KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def http():
    app = Starlette(routes=api_uploads.routes, exception_handlers=dict(http_faults.EXCEPTION_HANDLERS))
    with TestClient(app) as client:
        yield client


def headers(token: str, name: str = "pièce.pdf", **extra: str) -> dict[str, str]:
    return {"X-Requested-With": "espace", "X-Filename": quote(name), "Cookie": f"espace_session={token}", **extra}


def documents(**where) -> list[Document]:
    with session_scope() as s:
        query = select(Document)
        for name, value in where.items():
            query = query.where(col(getattr(Document, name)) == value)
        return list(s.exec(query).all())


def files() -> set[str]:
    root = settings.documents_dir
    return {p.name for p in root.iterdir()} if root.exists() else set()


# ------------------------------------------------------------------------------ idempotency

def test_a_retry_with_the_same_key_answers_the_first_deposit_and_stores_no_copy(http, demo):
    luce = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    did = demo["dossier_ids"][0]
    first = http.post(f"/api/depots/{did}", content=make_pdf("relevé"),
                      headers=headers(luce, "Relevé.pdf", **{"Idempotency-Key": KEY}))
    assert first.status_code == 200, first.text
    stored = files()
    # The worker died before the answer reached the browser: it sends the file again, same key.
    again = http.post(f"/api/depots/{did}", content=make_pdf("relevé"),
                      headers=headers(luce, "Relevé.pdf", **{"Idempotency-Key": KEY}))
    assert again.status_code == 200 and again.json() == first.json()
    rows = documents(uploaded_by_id=demo["client_user_id"], name="Relevé.pdf")
    assert [d.id for d in rows] == [first.json()["id"]] and rows[0].idempotency_key == KEY
    assert files() == stored  # no second file either

    # Another person's key means nothing: with Luce's key on her dossier, Marc learns nothing
    # (the dossier is checked first: « introuvable »); his own deposit with it is his own.
    marc = session_token(MARC_EMAIL, MARC_PASSWORD)
    r = http.post(f"/api/depots/{did}", content=make_pdf("x"),
                  headers=headers(marc, "Relevé.pdf", **{"Idempotency-Key": KEY}))
    assert r.status_code == 404 and "id" not in r.json()
    r = http.post(f"/api/depots/{demo['other_dossier_id']}", content=make_pdf("marc"),
                  headers=headers(marc, "Relevé.pdf", **{"Idempotency-Key": KEY}))
    assert r.status_code == 200 and r.json()["id"] != first.json()["id"]
    assert len(documents(idempotency_key=KEY)) == 2

    # Without a key, or with a new one, the same file is a new deposit (the person chose it again).
    r = http.post(f"/api/depots/{did}", content=make_pdf("relevé"), headers=headers(luce, "Relevé.pdf"))
    assert r.status_code == 200 and r.json()["id"] != first.json()["id"]


def test_a_key_used_for_another_dossier_is_a_conflict(http, demo):
    luce = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    first, second = demo["dossier_ids"][:2]
    assert http.post(f"/api/depots/{first}", content=make_pdf("a"),
                     headers=headers(luce, "A.pdf", **{"Idempotency-Key": KEY})).status_code == 200
    r = http.post(f"/api/depots/{second}", content=make_pdf("a"),
                  headers=headers(luce, "A.pdf", **{"Idempotency-Key": KEY}))
    assert r.status_code == 409 and "autre dossier" in r.json()["error"]
    assert len(documents(idempotency_key=KEY)) == 1


@pytest.mark.parametrize("key", ["court", "x" * 65, "avec espace 0123456789", "é" * 20, "../../0123456789abcdef"])
def test_a_malformed_key_is_refused_and_nothing_stored(http, demo, key):
    luce = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    before, rows = files(), len(documents())
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=make_pdf("x"),
                  headers=headers(luce, "X.pdf", **{"Idempotency-Key": quote(key)}))
    assert r.status_code == 400 and "clé d'envoi" in r.json()["error"]
    assert files() == before and len(documents()) == rows


# -------------------------------------------------------------------------------- full disk

@pytest.fixture
def small_disk(demo):
    """A 2 MiB tmpfs mounted on the documents' folder (the demo's files hidden under it)."""
    with infra.small_disk(settings.documents_dir, "2m") as root:
        yield root


def test_a_deposit_larger_than_the_free_space_is_refused_up_front(http, demo, small_disk, monkeypatch):
    monkeypatch.setattr(settings, "storage_reserve_mb", 1)
    luce = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    rows = len(documents())
    body = make_pdf("gros") + b"\0" * (1536 * 1024)  # 1.5 MiB: fits the disk, not with 1 MiB kept free
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=body, headers=headers(luce, "Gros.pdf"))
    assert r.status_code == 507, r.text
    assert r.json() == {"ok": False, "name": "Gros.pdf", "error": f"« Gros.pdf » : {faults.STORAGE_FULL}"}
    assert list(small_disk.iterdir()) == [] and len(documents()) == rows
    # A small one still fits.
    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=make_pdf("petit"),
                  headers=headers(luce, "Petit.pdf"))
    assert r.status_code == 200, r.text


def test_a_disk_full_mid_stream_gives_the_same_message_and_leaves_nothing(http, demo, small_disk, monkeypatch):
    """No declared size (a chunked body) and no reserve: the check up front passes, the disk
    fills up while the body is written (ENOSPC from the real filesystem)."""
    monkeypatch.setattr(settings, "storage_reserve_mb", 0)
    luce = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    rows = len(documents())
    block = b"\0" * (256 * 1024)

    def body():
        yield make_pdf("énorme")
        for _ in range(16):  # 4 MiB into 2 MiB
            yield block

    r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=body(), headers=headers(luce, "Énorme.pdf"))
    assert r.status_code == 507, r.text
    assert r.json()["error"] == f"« Énorme.pdf » : {faults.STORAGE_FULL}"
    assert [p.name for p in small_disk.iterdir()] == []  # the partial file removed
    assert len(documents()) == rows
    assert os.statvfs(small_disk).f_bfree > 0  # the room is back
