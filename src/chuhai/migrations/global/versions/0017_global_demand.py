"""Demand: a room's planned duration (what a sell-out estimate counts down to) and a
warehouse's restock lead time (what a reorder suggestion covers).

Revision ID: 0017_global
Revises: 0016_global
Create Date: 2026-12-07 03:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017_global'
down_revision: str | None = '0016_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rooms') as batch:
        batch.add_column(sa.Column('planned_minutes', sa.Integer(), nullable=True))
    with op.batch_alter_table('warehouses') as batch:
        batch.add_column(sa.Column('restock_lead_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('warehouses') as batch:
        batch.drop_column('restock_lead_days')
    with op.batch_alter_table('rooms') as batch:
        batch.drop_column('planned_minutes')
