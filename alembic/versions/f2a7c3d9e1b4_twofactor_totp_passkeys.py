"""twofactor: authenticator app (TOTP), recovery codes, passkeys, WebAuthn challenges,
pending logins and the firm's two-factor policy

Revision ID: f2a7c3d9e1b4
Revises: 3d7a1f0c9b52 (identity)
Create Date: 2026-11-30 06:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'f2a7c3d9e1b4'
down_revision: Union[str, Sequence[str], None] = '3d7a1f0c9b52'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Second factors belong to the login identity.
ACCOUNT = 'account.id'
DT = sqlmodel.sql.sqltypes.UTCDateTime
S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'totp_factor',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey(ACCOUNT), nullable=False, unique=True),
        sa.Column('secret_enc', S(), nullable=True),
        sa.Column('enabled_at', DT(), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=True),
        sa.Column('pending_secret_enc', S(), nullable=True),
        sa.Column('pending_at', DT(), nullable=True),
    )
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey(ACCOUNT), nullable=False),
        sa.Column('code_hash', S(), nullable=False),
        sa.Column('created_at', DT(), nullable=False),
        sa.Column('used_at', DT(), nullable=True),
    )
    op.create_index('ix_recovery_code_account_id', 'recovery_code', ['account_id'])
    op.create_table(
        'passkey',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey(ACCOUNT), nullable=False),
        sa.Column('credential_id', S(), nullable=False, unique=True),
        sa.Column('public_key', S(), nullable=False),
        sa.Column('sign_count', sa.Integer(), nullable=False),
        sa.Column('transports', S(), nullable=False),
        sa.Column('name', S(), nullable=False),
        sa.Column('created_at', DT(), nullable=False),
        sa.Column('last_used_at', DT(), nullable=True),
    )
    op.create_index('ix_passkey_account_id', 'passkey', ['account_id'])
    op.create_table(
        'webauthn_challenge',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('challenge_hash', S(), nullable=False, unique=True),
        sa.Column('purpose', S(), nullable=False),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey(ACCOUNT), nullable=True),
        sa.Column('pending_login_id', sa.Integer(), nullable=True),
        sa.Column('expires_at', DT(), nullable=False),
    )
    op.create_index('ix_webauthn_challenge_expires_at', 'webauthn_challenge', ['expires_at'])
    op.create_table(
        'pending_login',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey(ACCOUNT), nullable=False),
        sa.Column('token_hash', S(), nullable=False, unique=True),
        sa.Column('ip', S(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', DT(), nullable=False),
        sa.Column('expires_at', DT(), nullable=False),
        sa.Column('used_at', DT(), nullable=True),
    )
    op.create_index('ix_pending_login_expires_at', 'pending_login', ['expires_at'])
    op.create_table(
        'firm_two_factor_policy',
        sa.Column('firm_id', sa.Integer(), sa.ForeignKey('firm.id'), primary_key=True),
        sa.Column('require_staff', sa.Boolean(), nullable=False),
        sa.Column('require_clients', sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('firm_two_factor_policy')
    op.drop_index('ix_pending_login_expires_at', 'pending_login')
    op.drop_table('pending_login')
    op.drop_index('ix_webauthn_challenge_expires_at', 'webauthn_challenge')
    op.drop_table('webauthn_challenge')
    op.drop_index('ix_passkey_account_id', 'passkey')
    op.drop_table('passkey')
    op.drop_index('ix_recovery_code_account_id', 'recovery_code')
    op.drop_table('recovery_code')
    op.drop_table('totp_factor')
