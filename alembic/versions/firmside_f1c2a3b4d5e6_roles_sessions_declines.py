"""firm roles (admin), auth_session.user_agent, payment_decline

Every firm gets an administrator: its earliest lawyer (or, without one, its
earliest staff member).

Revision ID: f1c2a3b4d5e6
Revises: d4e7a1c9b2f3
Create Date: 2026-11-30 06:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'f1c2a3b4d5e6'
down_revision: Union[str, Sequence[str], None] = 'd4e7a1c9b2f3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('auth_session') as batch:
        batch.add_column(sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                   server_default=''))
    op.create_table(
        'payment_decline',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('facture_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id']),
        sa.ForeignKeyConstraint(['facture_id'], ['facture.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_payment_decline_user_at', 'payment_decline', ['user_id', 'at'])
    op.create_index('ix_payment_decline_facture_at', 'payment_decline', ['facture_id', 'at'])
    # The role column is a non-native enum (VARCHAR(10)): 'admin' fits without a type change.
    # Each firm without an administrator: its earliest lawyer becomes one (else its earliest staff member).
    bind = op.get_bind()
    firms = [row[0] for row in bind.execute(sa.text(
        "SELECT id FROM firm WHERE id NOT IN (SELECT firm_id FROM \"user\" WHERE role = 'admin')"))]
    for firm_id in firms:
        for role in ('lawyer', 'staff'):
            found = bind.execute(sa.text(
                "SELECT id FROM \"user\" WHERE firm_id = :f AND role = :r ORDER BY created_at, id LIMIT 1"),
                {"f": firm_id, "r": role}).first()
            if found:
                bind.execute(sa.text("UPDATE \"user\" SET role = 'admin' WHERE id = :u"), {"u": found[0]})
                break


def downgrade() -> None:
    op.execute("UPDATE \"user\" SET role = 'lawyer' WHERE role = 'admin'")
    op.drop_index('ix_payment_decline_facture_at', table_name='payment_decline')
    op.drop_index('ix_payment_decline_user_at', table_name='payment_decline')
    op.drop_table('payment_decline')
    with op.batch_alter_table('auth_session') as batch:
        batch.drop_column('user_agent')
