"""shown_in_order indexes: each kind's shared items by dossier in display order

ix_<table>_shown (dossier_id, date column, id, shared_at) WHERE shared_at IS NOT NULL,
and ix_document_shown_direction (dossier_id, direction, doc_date, id, shared_at) for the
documents' two tabs: a client's dossier tab page reads its index in order, a keyset list
page picks its ids from the index alone (issue 11).

Revision ID: a7c41e9d3b20
Revises: f1c2a3b4d5e6
Create Date: 2026-11-30 12:45:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'a7c41e9d3b20'
down_revision: Union[str, Sequence[str], None] = 'f1c2a3b4d5e6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SHOWN = {
    "document": ["doc_date"],
    "document:shown_direction": ["direction", "doc_date"],
    "rdv": ["starts_at"],
    "facture": ["date"],
    "tache": ["date"],
    "temps_passe": ["date"],
    "frais": ["date"],
}


def upgrade() -> None:
    shared = sa.text("shared_at IS NOT NULL")
    for key, columns in SHOWN.items():
        table, _, name = key.partition(":")
        op.create_index(f"ix_{table}_{name or 'shown'}", table, ["dossier_id", *columns, "id", "shared_at"],
                        unique=False, sqlite_where=shared, postgresql_where=shared)


def downgrade() -> None:
    for key in SHOWN:
        table, _, name = key.partition(":")
        op.drop_index(f"ix_{table}_{name or 'shown'}", table_name=table)
