"""membership consent: a firm that adds a person who already has an account waits for them

user.consent: "pending" until the person accepts the firm's invitation at their next
login (then NULL), "refused" if they refuse; NULL for every existing membership
(issue 22, item 6).

Revision ID: e8d1c4a7f2b9
Revises: c5e8f2a1d7b4
Create Date: 2026-12-08 01:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'e8d1c4a7f2b9'
down_revision: Union[str, Sequence[str], None] = 'c5e8f2a1d7b4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("consent", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("consent")
