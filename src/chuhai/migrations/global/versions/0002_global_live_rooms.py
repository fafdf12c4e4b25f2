"""Live rooms (global): rooms, run-of-show slots, non-personal room events for replay,
sanctions (mutes and bans, by pseudonymous id).

Revision ID: 0002_global
Revises: 0001_global
Create Date: 2026-11-24 17:15:08.884047
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_global"
down_revision: str | None = "0001_global"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "rooms",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("host_ids", sa.JSON(), nullable=False),
        sa.Column("markets", sa.JSON(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("playback_url", sa.String(length=500), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("slow_mode_s", sa.Integer(), nullable=False),
        sa.Column("followers_only", sa.Boolean(), nullable=False),
        sa.Column("pinned", sa.JSON(), nullable=False),
        sa.Column("poll", sa.JSON(), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_rooms_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
    )
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rooms_org_id"), ["org_id"], unique=False)

    op.create_table(
        "room_events",
        sa.Column("room_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_events_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("room_id", "seq", name=op.f("pk_room_events")),
    )
    op.create_table(
        "room_sanctions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("room_id", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("by_subject", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_room_sanctions_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_sanctions")),
    )
    with op.batch_alter_table("room_sanctions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_sanctions_room_id"), ["room_id"], unique=False)

    op.create_table(
        "room_slots",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("room_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("planned_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_room_slots_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_slots_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_slots")),
    )
    with op.batch_alter_table("room_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_slots_room_id"), ["room_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("room_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_slots_room_id"))

    op.drop_table("room_slots")
    with op.batch_alter_table("room_sanctions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_sanctions_room_id"))

    op.drop_table("room_sanctions")
    op.drop_table("room_events")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rooms_org_id"))

    op.drop_table("rooms")
