"""news, read receipts and calendar feeds (issue 13)

item_seen: the first time a person opened a shared item (« nouveau » until then; the
firm's read receipt); calendar_feed: a client's revocable RDV subscription address;
user.previous_login_at: the home's « depuis votre dernière visite ».

Revision ID: b13e5a7c2d90
Revises: a7c41e9d3b20
Create Date: 2026-11-30 19:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'b13e5a7c2d90'
down_revision: Union[str, Sequence[str], None] = 'a7c41e9d3b20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "item_seen",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "kind", "item_id", name="uq_item_seen_user_kind_item"),
    )
    op.create_index("ix_item_seen_kind_item", "item_seen", ["kind", "item_id"])
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_calendar_feed_user_id", "calendar_feed", ["user_id"])
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("previous_login_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("previous_login_at")
    op.drop_index("ix_calendar_feed_user_id", table_name="calendar_feed")
    op.drop_table("calendar_feed")
    op.drop_index("ix_item_seen_kind_item", table_name="item_seen")
    op.drop_table("item_seen")
