"""A fresh SQLite database at a given Alembic revision, for the migration tests: the
project's alembic.ini and scripts, pointed at a file of the test's own (the app's
settings follow it, as env.py reads them)."""
from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config

from espace.config import settings

ROOT = Path(__file__).resolve().parents[1]


def alembic_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Config, str]:
    """(the Alembic config, its database URL) for `tmp_path / "m.db"`."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    monkeypatch.setattr(settings, "db_url", url)
    return cfg, url
