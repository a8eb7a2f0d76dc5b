"""login_failure: failed logins per device cookie, per identifier (untrusted browsers), per address

Revision ID: d4e7a1c9b2f3
Revises: f2a7c3d9e1b4
Create Date: 2026-11-30 06:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'd4e7a1c9b2f3'
down_revision: Union[str, Sequence[str], None] = 'f2a7c3d9e1b4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_scope_key_at', ['scope', 'key', 'at'], unique=False)
        batch_op.create_index('ix_login_failure_at', ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_at')
        batch_op.drop_index('ix_login_failure_scope_key_at')
    op.drop_table('login_failure')
