"""Fixtures for service tests: a fresh DATA_DIR and database per test."""
from __future__ import annotations

import warnings

import pytest
from sqlmodel import SQLModel

warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    from espace import db
    from espace.config import settings

    monkeypatch.setattr(settings, "data_dir", tmp_path / "var")
    monkeypatch.setattr(settings, "db_url", None)
    monkeypatch.setattr(settings, "smtp_host", None)
    settings.__dict__.pop("secret", None)
    db.reset_engine()
    yield settings.data_dir
    db.reset_engine()


@pytest.fixture
def engine(data_dir):
    import espace.models  # noqa: F401
    from espace.db import get_engine

    eng = get_engine()
    SQLModel.metadata.create_all(eng)
    return eng


@pytest.fixture
def demo(engine):
    """The demo data set (Luce ALEXANDER, DELMAS Fabien, a second client and firm)."""
    from espace import demo as demo_module

    return demo_module.load_demo()
