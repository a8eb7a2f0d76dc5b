"""documents: the uploader's idempotency key, unique per uploader (a retried deposit is
never stored twice)

Revision ID: c4f9a2e7d1b3
Revises: e8b3d5f1a2c7
Create Date: 2026-12-08 04:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'c4f9a2e7d1b3'
down_revision: Union[str, Sequence[str], None] = 'e8b3d5f1a2c7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index('ux_document_uploader_idempotency', ['uploaded_by_id', 'idempotency_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ux_document_uploader_idempotency')
        batch_op.drop_column('idempotency_key')
