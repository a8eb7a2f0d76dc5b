"""What counts as « the database is unavailable » (db.database_unavailable), on real engines:
a SQLite file that cannot be opened, a PostgreSQL port nobody listens on, a pool with no free
connection — and what the deposit route answers then: the French 503, not a bare 500.
(The whole outage through the running app, PostgreSQL stopped: tests/e2e/test_database_outage.py.)"""
from __future__ import annotations

import asyncio
import warnings
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from starlette.applications import Starlette

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace import db
from espace.config import settings
from espace.demo import LUCE_EMAIL, LUCE_PASSWORD, make_pdf
from espace.domain import faults
from espace.http import faults as http_faults
from espace.http import uploads as api_uploads
from tests.admin_helpers import session_token
from tests.infra import free_port


def _raised(engine) -> BaseException:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return exc
    raise AssertionError("the database answered")


def test_sqlite_that_cannot_be_opened(tmp_path):
    assert db.database_unavailable(_raised(create_engine(f"sqlite:///{tmp_path}/absent/espace.db")))


def test_postgresql_that_does_not_answer():
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres",
                           connect_args={"connect_timeout": 2})
    assert db.database_unavailable(_raised(engine))


def test_a_pool_with_no_free_connection(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/espace.db", pool_size=1, max_overflow=0, pool_timeout=0.1)
    with engine.connect():
        assert db.database_unavailable(_raised(engine))


def test_a_bug_is_not_an_outage(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/espace.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert not db.database_unavailable(caught.value)
    assert not db.database_unavailable(ValueError("x"))


def test_the_deposit_route_answers_a_french_503_when_the_database_is_down(demo, monkeypatch):
    token = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    # The database goes away: the app's engine now points at a server nobody runs.
    monkeypatch.setattr(settings, "db_url", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/espace")
    db.reset_engine()
    try:
        app = Starlette(routes=api_uploads.routes, exception_handlers=dict(http_faults.EXCEPTION_HANDLERS))
        with TestClient(app) as http:
            r = http.post(f"/api/depots/{demo['dossier_ids'][0]}", content=make_pdf("x"),
                          headers={"X-Requested-With": "espace", "X-Filename": quote("Panne.pdf"),
                                   "Cookie": f"espace_session={token}"})
    finally:
        db.reset_engine()
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json() == {"ok": False, "error": faults.DATABASE_DOWN}


def test_two_sends_at_once_with_the_same_key_record_one_document(demo, caplog):
    """Both pass the « already stored? » check before either is recorded: the unique index
    refuses the second row, its file is removed, and it answers the first document."""
    from sqlmodel import col, select

    from espace.db import session_scope
    from espace.models import Document, User
    from espace.services.client import deposit

    with session_scope() as s:
        luce = s.get(User, demo["client_user_id"])
    key = "simultane-0123456789"

    async def chunks():
        for part in (make_pdf("double"), b"\0" * 70000):
            await asyncio.sleep(0)
            yield part

    async def both():
        return await asyncio.gather(*(deposit.deposit_stream(luce, demo["dossier_ids"][0], "Double.pdf", chunks(),
                                                             key=key) for _ in range(2)))

    files_before = {p.name for p in settings.documents_dir.iterdir()}
    with caplog.at_level("INFO", logger="espace.services.deposits"):
        answers = asyncio.run(both())
    assert "stored at the same time under the same key" in caplog.text  # the unique index decided
    assert all(a.ok for a in answers) and answers[0].value == answers[1].value
    with session_scope() as s:
        rows = s.exec(select(Document).where(col(Document.idempotency_key) == key)).all()
    assert [r.id for r in rows] == [answers[0].value.id]
    assert {p.name for p in settings.documents_dir.iterdir()} - files_before == {rows[0].storage_key}
