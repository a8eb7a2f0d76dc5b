"""Fixtures for service tests: a fresh DATA_DIR and database per test.

The demo data set (with its PDFs) is built once per session into a template
DATA_DIR; each test that asks for `demo` gets its own copy of it (database and
documents), so every test still starts from the same fresh demo.

With `ESPACE_TEST_SCALE=1` (`make test-scale`) the databases are on PostgreSQL
(tests/infra.py, `ESPACE_TEST_PG`): an empty template database migrated with Alembic
(as `python -m espace migrate` does, never `create_all`) and a demo template made
from it are built once per session; each test gets its own database copied from one
of them (`CREATE DATABASE … TEMPLATE …`, about 0.1 s) and dropped afterwards. A
PostgreSQL that does not answer fails the run.
"""
from __future__ import annotations

import copy
import os
import shutil
import warnings
from pathlib import Path

import pytest
from sqlmodel import SQLModel, create_engine

from tests import infra

warnings.filterwarnings("ignore", category=DeprecationWarning)

SCALE = os.environ.get("ESPACE_TEST_SCALE") == "1"


def _point_settings_at(path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str | None = None) -> None:
    from espace import db
    from espace.config import settings

    monkeypatch.setattr(settings, "data_dir", path)
    monkeypatch.setattr(settings, "db_url", db_url)
    monkeypatch.setattr(settings, "smtp_host", None)
    settings.__dict__.pop("secret", None)
    db.reset_engine()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    from espace import db
    from espace.config import settings

    _point_settings_at(tmp_path / "var", monkeypatch)
    yield settings.data_dir
    db.reset_engine()


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory):
    """An empty database with every table, created once per session: a SQLite file
    (create_all), or with ESPACE_TEST_SCALE=1 the name of a PostgreSQL database
    migrated with Alembic."""
    import espace.models  # noqa: F401

    if SCALE:
        name, url = infra.create_database("espace_test_schema")
        try:
            infra.migrate(url)
            yield name
        finally:
            infra.drop_database(name)
        return
    path = tmp_path_factory.mktemp("schema-template") / "espace.db"
    eng = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(eng)
    eng.dispose()
    yield path


@pytest.fixture
def pg_copy(monkeypatch):
    """With ESPACE_TEST_SCALE=1: `pg_copy(template)` gives the test a PostgreSQL
    database copied from `template` (settings point at it); dropped after the test."""
    from espace import db
    from espace.config import settings

    made: list[str] = []

    def copy_of(template: str) -> str:
        name, url = infra.create_database("espace_test", template=template)
        made.append(name)
        monkeypatch.setattr(settings, "db_url", url)
        db.reset_engine()
        return url

    yield copy_of
    db.reset_engine()
    for name in made:
        infra.drop_database(name)


@pytest.fixture
def engine(data_dir, schema_template, pg_copy):
    """The test's own empty database (a copy of the session's empty schema)."""
    from espace.db import get_engine

    data_dir.mkdir(parents=True, exist_ok=True)
    if SCALE:
        pg_copy(schema_template)
        return get_engine()
    if not (data_dir / "espace.db").exists():
        shutil.copyfile(schema_template, data_dir / "espace.db")
    eng = get_engine()
    SQLModel.metadata.create_all(eng)  # no-op on a copy; kept for a database made earlier in the test
    return eng


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, schema_template):
    """The demo loaded once: a DATA_DIR (database, documents) and the ids `load_demo`
    returned; with ESPACE_TEST_SCALE=1 the database is a PostgreSQL template (its name
    is in the ids under "_pg_template")."""
    import sqlalchemy as sa

    import espace.models  # noqa: F401
    from espace import db
    from espace import demo as demo_module

    path = tmp_path_factory.mktemp("demo-template") / "var"
    pg_name = None
    with pytest.MonkeyPatch.context() as monkeypatch:
        if SCALE:
            pg_name, url = infra.create_database("espace_test_demo", template=schema_template)
            _point_settings_at(path, monkeypatch, db_url=url)
            ids = demo_module.load_demo()
        else:
            _point_settings_at(path, monkeypatch)
            eng = db.get_engine()
            SQLModel.metadata.create_all(eng)
            ids = demo_module.load_demo()
            with eng.connect() as conn:  # everything into espace.db itself, no -wal file to copy
                conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.reset_engine()
    # Each test keeps its own random app secret, as before.
    (path / "secret.key").unlink(missing_ok=True)
    try:
        yield path, ids, pg_name
    finally:
        if pg_name:
            infra.drop_database(pg_name)


@pytest.fixture
def demo(data_dir, demo_template, pg_copy):
    """The demo data set (Luce ALEXANDER, Fabien DELMAS, a second client and firm)."""
    from espace import db
    from espace.config import settings

    template, ids, pg_name = demo_template
    db.reset_engine()  # an engine opened earlier in this test (the `engine` fixture) lets go of its file
    for leftover in ("espace.db", "espace.db-wal", "espace.db-shm"):
        (data_dir / leftover).unlink(missing_ok=True)
    shutil.copytree(template, data_dir, dirs_exist_ok=True)
    if pg_name:
        pg_copy(pg_name)
    settings.__dict__.pop("secret", None)
    return copy.deepcopy(ids)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 server (moto_server, a process of its own) for the session."""
    from tests.s3server import moto_server

    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server, data_dir, monkeypatch) -> str:
    """The documents go to a fresh bucket of the S3 server (settings and AWS credentials)."""
    from espace.config import settings

    bucket = s3_server.new_bucket()
    env = s3_server.env(bucket)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setattr(settings, "s3_bucket", env["S3_BUCKET"])
    monkeypatch.setattr(settings, "s3_endpoint_url", env["S3_ENDPOINT_URL"])
    monkeypatch.setattr(settings, "s3_region", env["S3_REGION"])
    monkeypatch.setattr(settings, "s3_prefix", env["S3_PREFIX"])
    return bucket


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no hit counted by the in-memory rate limiters (login events,
    password and code checks, passkey options): they count per process and per minute, so
    a test would otherwise inherit the checks of the tests run before it on the same
    accounts and addresses (127.0.0.1)."""
    from espace.services.accounts import check_limits, login_guard

    for module in (check_limits, login_guard):
        for limiter in vars(module).values():
            if isinstance(limiter, login_guard.RateLimiter):
                with limiter._lock:
                    limiter._hits.clear()
    yield
