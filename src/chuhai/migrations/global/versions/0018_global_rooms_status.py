"""Rooms by status: the sell-out watch reads the live rooms every few seconds on every node,
and the feed reads the live and scheduled ones; without an index each read scans every room
ever created.

Revision ID: 0018_global
Revises: 0017_global
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0018_global'
down_revision: str | None = '0017_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rooms') as batch:
        batch.create_index(batch.f('ix_rooms_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rooms') as batch:
        batch.drop_index(batch.f('ix_rooms_status'))
