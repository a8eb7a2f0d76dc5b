"""document.notified_at: each deposit is announced to the firm once

Revision ID: 9c1e5b7d2a40
Revises: 182586a34973
Create Date: 2026-11-26 10:55:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '9c1e5b7d2a40'
down_revision: Union[str, Sequence[str], None] = '182586a34973'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('document') as batch:
        batch.add_column(sa.Column('notified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Deposits made before this revision were announced already (or never will be).
    op.execute("UPDATE document SET notified_at = created_at WHERE direction = 'depose'")


def downgrade() -> None:
    with op.batch_alter_table('document') as batch:
        batch.drop_column('notified_at')
