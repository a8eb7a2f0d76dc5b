"""step-up: a session's « confirmed until », its failed confirmations; an account's
passkeys to confirm after a password change or reset

Revision ID: e8b3d5f1a2c7
Revises: e8d1c4a7f2b9
Create Date: 2026-12-08 01:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'e8b3d5f1a2c7'
down_revision: Union[str, Sequence[str], None] = 'e8d1c4a7f2b9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_up_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('step_up_failures', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passkeys_to_confirm', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('passkeys_to_confirm')
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_column('step_up_failures')
        batch_op.drop_column('step_up_until')
