"""client counts: each client's shared / unseen items per kind, dossiers, unread answers

ix_document_news, ix_facture_to_pay: the home's « Nouveautés » and « À régler » read
from an index, not from every shared row of the client's dossiers.

client_count (client_id, kind, shared, unseen): what the client's home tiles, « N
nouveaux » badges, list totals and header's unread count read in one indexed row per
kind instead of counting everything shared (issue 21). Maintained by
espace/services/shared/counters.py in the transaction of each write that changes
them; backfilled here from the truth (the same rule: a client's dossiers are the
dossiers of their firm they are linked to); `python -m espace recount` checks and
repairs them.

Revision ID: f3c9a6d2b8e1
Revises: c4f9a2e7d1b3
Create Date: 2026-12-08 04:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'f3c9a6d2b8e1'
down_revision: Union[str, Sequence[str], None] = 'c4f9a2e7d1b3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The item kinds at this revision: registry key → table (espace/domain/items.py).
KINDS = {"documents": "document", "rdv": "rdv", "factures": "facture", "taches": "tache",
         "temps-passes": "temps_passe", "frais": "frais"}

LINKS = ("SELECT c.id AS client_id, c.user_id AS user_id, c.firm_id AS firm_id, dc.dossier_id AS dossier_id "
         "FROM client c JOIN dossier_client dc ON dc.client_id = c.id "
         "JOIN dossier d ON d.id = dc.dossier_id AND d.firm_id = c.firm_id")


SHARED = sa.text("shared_at IS NOT NULL")


def upgrade() -> None:
    # « Nouveautés » (a client's newest received documents) and « À régler » (their invoices
    # to pay, soonest due first) read their few rows from these alone.
    op.create_index("ix_document_news", "document", ["dossier_id", "direction", "shared_at"],
                    sqlite_where=SHARED, postgresql_where=SHARED)
    op.create_index("ix_facture_to_pay", "facture", ["dossier_id", "status", "due_date", "date", "id", "shared_at"],
                    sqlite_where=SHARED, postgresql_where=SHARED)
    op.create_table(
        "client_count",
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("client.id"), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("shared", sa.Integer(), nullable=False),
        sa.Column("unseen", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "kind"),
    )
    insert = "INSERT INTO client_count (client_id, kind, shared, unseen) "
    # every client has a row per key (zeros included)
    for key in ("dossiers", *KINDS, "messages"):
        op.execute(sa.text(insert + "SELECT id, :k, 0, 0 FROM client").bindparams(k=key))
    op.execute(sa.text(
        f"UPDATE client_count SET shared = (SELECT count(*) FROM ({LINKS}) l WHERE l.client_id = client_count.client_id) "
        "WHERE kind = 'dossiers'"))
    for key, table in KINDS.items():
        news = " AND i.direction = 'recu'" if table == "document" else ""
        op.execute(sa.text(
            f"UPDATE client_count SET "
            f"shared = (SELECT count(*) FROM ({LINKS}) l JOIN {table} i ON i.dossier_id = l.dossier_id "
            f"WHERE l.client_id = client_count.client_id AND i.shared_at IS NOT NULL), "
            f"unseen = (SELECT count(*) FROM ({LINKS}) l JOIN {table} i ON i.dossier_id = l.dossier_id "
            f"WHERE l.client_id = client_count.client_id AND i.shared_at IS NOT NULL{news} AND NOT EXISTS "
            f"(SELECT 1 FROM item_seen s WHERE s.user_id = l.user_id AND s.kind = :k AND s.item_id = i.id)) "
            f"WHERE kind = :k").bindparams(k=key))
    op.execute(sa.text(
        f"UPDATE client_count SET unseen = (SELECT count(*) FROM ({LINKS}) l JOIN message m "
        "ON m.dossier_id = l.dossier_id AND m.firm_id = l.firm_id "
        "WHERE l.client_id = client_count.client_id AND m.direction = 'cabinet' AND m.read_at IS NULL) "
        "WHERE kind = 'messages'"))


def downgrade() -> None:
    op.drop_table("client_count")
    op.drop_index("ix_facture_to_pay", table_name="facture")
    op.drop_index("ix_document_news", table_name="document")
