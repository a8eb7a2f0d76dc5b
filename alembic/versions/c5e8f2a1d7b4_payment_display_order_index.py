"""payment display-order index: the firm's payments newest first

ix_payment_firm_created (firm_id, created_at, id): /admin/paiements reads one keyset
page of the firm's payments from it in display order, instead of sorting all of
them (issue 21).

Revision ID: c5e8f2a1d7b4
Revises: b13e5a7c2d90
Create Date: 2026-12-07 23:00:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = 'c5e8f2a1d7b4'
down_revision: Union[str, Sequence[str], None] = 'b13e5a7c2d90'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_payment_firm_created", "payment", ["firm_id", "created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_payment_firm_created", table_name="payment")
