"""Live rooms (regional): chat lines and questions in the author's region, and follows.

Revision ID: 0002_regional
Revises: 0001_regional
Create Date: 2026-11-24 17:15:08.936269
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_regional"
down_revision: str | None = "0001_regional"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "follows",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("customer_id", "org_id", name=op.f("uq_follows_customer_id_org_id")),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follows_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "room_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("room_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("author_id", sa.String(length=40), nullable=False),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_messages")),
        sa.UniqueConstraint("room_id", "seq", name=op.f("uq_room_messages_room_id_seq")),
    )
    with op.batch_alter_table("room_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_messages_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_room_messages_room_id"), ["room_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("room_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_messages_room_id"))
        batch_op.drop_index(batch_op.f("ix_room_messages_author_id"))

    op.drop_table("room_messages")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follows_customer_id"))

    op.drop_table("follows")
