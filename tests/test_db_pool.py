"""The PostgreSQL pool of each process follows DB_POOL_SIZE / DB_MAX_OVERFLOW."""
from __future__ import annotations

from sqlalchemy import text

from espace import db
from espace.config import settings
from tests.infra import postgres_database


def test_the_postgresql_pool_follows_the_settings(data_dir, monkeypatch):
    with postgres_database() as url:
        monkeypatch.setattr(settings, "db_url", url)
        monkeypatch.setattr(settings, "db_pool_size", 3)
        monkeypatch.setattr(settings, "db_max_overflow", 1)
        db.reset_engine()
        engine = db.get_engine()
        try:
            held = [engine.connect() for _ in range(4)]
            for conn in held:
                assert conn.execute(text("SELECT 1")).scalar() == 1
            assert engine.pool.size() == 3 and engine.pool.overflow() == 1
            for conn in held:
                conn.close()
        finally:
            db.reset_engine()
