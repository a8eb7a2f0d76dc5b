"""identity: one account per person (login identifier, password), user = membership in one firm

Revision ID: 3d7a1f0c9b52
Revises: 9c1e5b7d2a40
Create Date: 2026-11-30 06:40:00

Every existing user gets its own account (same id, its e-mail as identifier, its
password); sessions and one-time links point at that account too.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '3d7a1f0c9b52'
down_revision: Union[str, Sequence[str], None] = '9c1e5b7d2a40'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def _account_id_to(table: str, source: str, *, user_nullable: bool) -> None:
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
    op.execute(f'UPDATE {table} SET account_id = {source}')
    with op.batch_alter_table(table) as batch:
        batch.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(f'fk_{table}_account_id_account', 'account', ['account_id'], ['id'])
        batch.create_index(f'ix_{table}_account_id', ['account_id'], unique=False)
        if user_nullable:
            batch.alter_column('user_id', existing_type=sa.Integer(), nullable=True)


def upgrade() -> None:
    op.create_table(
        'account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', TEXT(), nullable=False),
        sa.Column('password_hash', TEXT(), nullable=True),
        sa.Column('password_changed_at', UTC(), nullable=True),
        sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('created_at', UTC(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('account') as batch:
        batch.create_index('ix_account_email', ['email'], unique=True)
    # user.email was unique: one account per user, with the same id.
    op.execute(
        'INSERT INTO account (id, email, password_hash, password_changed_at, must_change_password, created_at) '
        'SELECT id, email, password_hash, password_changed_at, must_change_password, created_at FROM "user"'
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('account', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM account), 0) + 1, false)")

    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('activated_at', UTC(), nullable=True))
        batch.add_column(sa.Column('temporary_password_invite', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # A membership is activated once its person has a password of their own.
    op.execute(
        'UPDATE "user" SET account_id = id, temporary_password_invite = must_change_password, '
        'activated_at = CASE WHEN password_hash IS NOT NULL AND NOT must_change_password '
        'THEN COALESCE(last_login_at, password_changed_at, created_at) END'
    )
    with op.batch_alter_table('user') as batch:
        batch.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key('fk_user_account_id_account', 'account', ['account_id'], ['id'])
        batch.create_index('ix_user_account_id', ['account_id'], unique=False)
        batch.create_unique_constraint('uq_user_account_firm', ['account_id', 'firm_id'])
        batch.drop_index('ix_user_email')
        batch.create_index('ix_user_email', ['email'], unique=False)
        batch.drop_column('password_hash')
        batch.drop_column('password_changed_at')
        batch.drop_column('must_change_password')

    _account_id_to('auth_session', 'user_id', user_nullable=True)
    _account_id_to('one_time_token', 'user_id', user_nullable=True)


def downgrade() -> None:
    """Back to one user per e-mail: fails if a person has memberships in several firms."""
    op.execute('DELETE FROM auth_session WHERE user_id IS NULL')
    op.execute('DELETE FROM one_time_token WHERE user_id IS NULL')
    for table in ('one_time_token', 'auth_session'):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f'ix_{table}_account_id')
            batch.drop_constraint(f'fk_{table}_account_id_account', type_='foreignkey')
            batch.drop_column('account_id')
            batch.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('password_hash', TEXT(), nullable=True))
        batch.add_column(sa.Column('password_changed_at', UTC(), nullable=True))
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        'UPDATE "user" SET password_hash = (SELECT a.password_hash FROM account a WHERE a.id = "user".account_id), '
        'password_changed_at = (SELECT a.password_changed_at FROM account a WHERE a.id = "user".account_id), '
        'must_change_password = (SELECT a.must_change_password FROM account a WHERE a.id = "user".account_id), '
        'email = (SELECT a.email FROM account a WHERE a.id = "user".account_id)'
    )
    with op.batch_alter_table('user') as batch:
        batch.drop_index('ix_user_email')
        batch.create_index('ix_user_email', ['email'], unique=True)
        batch.drop_constraint('uq_user_account_firm', type_='unique')
        batch.drop_index('ix_user_account_id')
        batch.drop_constraint('fk_user_account_id_account', type_='foreignkey')
        batch.drop_column('temporary_password_invite')
        batch.drop_column('activated_at')
        batch.drop_column('account_id')
    with op.batch_alter_table('account') as batch:
        batch.drop_index('ix_account_email')
    op.drop_table('account')
