"""The database around a backup: its Alembic revision, the migrations, its row
count, PostgreSQL's sequences after explicit ids."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from espace import db
from espace.config import settings
from espace.services.backup.archive import BackupError, tables

ROOT = Path(__file__).resolve().parents[3]


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()
    if head is None:
        raise BackupError("Aucune migration Alembic trouvée.")
    return head


def current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    if settings.database_url.startswith("sqlite"):
        db.get_engine()  # DATA_DIR 0700 and the database file 0600 before Alembic opens it
    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")



def count_rows(conn: Connection) -> int:
    return sum(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables())


def reset_sequences(conn: Connection) -> None:
    """After explicit ids, PostgreSQL's sequences start past the largest id of each table."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and isinstance(column.type, sa.Integer)
                                                and len(table.primary_key.columns) == 1):
                seq = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                   {"t": f'"{table.name}"', "c": column.name}).scalar()
                if seq:
                    conn.execute(sa.text(
                        f'SELECT setval(:seq, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 1), '
                        f'(SELECT MAX("{column.name}") FROM "{table.name}") IS NOT NULL)'), {"seq": seq})

