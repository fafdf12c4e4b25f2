"""Seller trust figures per day, market and host (counts and histograms only, with the
step times of buyers with analytics consent); each room's
peak concurrent viewers and watch time, kept when it ends.

Revision ID: 0016_global
Revises: 0015_global
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0016_global'
down_revision: str | None = '0015_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'trust_days',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('org_id', sa.String(length=40), nullable=False),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('host_id', sa.String(length=40), nullable=False),
        sa.Column('questions', sa.Integer(), nullable=False),
        sa.Column('answered', sa.Integer(), nullable=False),
        sa.Column('answer_hist', sa.JSON(), nullable=False),
        sa.Column('delivered', sa.Integer(), nullable=False),
        sa.Column('on_time', sa.Integer(), nullable=False),
        sa.Column('returned', sa.Integer(), nullable=False),
        sa.Column('refunds', sa.Integer(), nullable=False),
        sa.Column('refund_hist', sa.JSON(), nullable=False),
        sa.Column('paid_orders', sa.Integer(), nullable=False),
        sa.Column('repeat_orders', sa.Integer(), nullable=False),
        sa.Column('landed_checked', sa.Integer(), nullable=False),
        sa.Column('landed_held', sa.Integer(), nullable=False),
        sa.Column('touch_hist', sa.JSON(), nullable=False),
        sa.Column('pay_hist', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_days')),
        sa.UniqueConstraint('day', 'org_id', 'market', 'host_id',
                            name=op.f('uq_trust_days_day_org_id_market_host_id')),
    )
    op.create_index('ix_trust_days_org_host_day', 'trust_days', ['org_id', 'host_id', 'day'])
    op.create_table(
        'trust_dirty_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('marked_at', chuhai.core.clock.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_trust_dirty_days')),
    )
    with op.batch_alter_table('rooms') as batch:
        batch.add_column(sa.Column('peak_viewers', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('watch_seconds', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rooms') as batch:
        batch.drop_column('watch_seconds')
        batch.drop_column('peak_viewers')
    op.drop_table('trust_dirty_days')
    op.drop_index('ix_trust_days_org_host_day', table_name='trust_days')
    op.drop_table('trust_days')
