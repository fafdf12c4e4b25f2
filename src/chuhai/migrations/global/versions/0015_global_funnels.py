"""Seller analytics: anonymous per-hour event counts per item, the hourly funnel rollup per
room, video and product, and the rollup's lock.

Revision ID: 0015_global
Revises: 0014_global
Create Date: 2026-12-06 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0015_global'
down_revision: str | None = '0014_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
UTC = chuhai.core.clock.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'event_hours',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('hour', UTC(), nullable=False),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('item_id', sa.String(length=40), nullable=False),
        sa.Column('type', sa.String(length=24), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_hours')),
        sa.UniqueConstraint('hour', 'market', 'item_id', 'type',
                            name=op.f('uq_event_hours_hour_market_item_id_type')),
    )
    op.create_index('ix_event_hours_hour', 'event_hours', ['hour'])
    op.create_table(
        'funnel_hours',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('hour', UTC(), nullable=False),
        sa.Column('org_id', sa.String(length=40), nullable=False),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('scope_id', sa.String(length=40), nullable=False),
        sa.Column('impressions', sa.BigInteger(), nullable=False),
        sa.Column('views', sa.BigInteger(), nullable=False),
        sa.Column('clicks', sa.BigInteger(), nullable=False),
        sa.Column('cart_adds', sa.BigInteger(), nullable=False),
        sa.Column('checkouts', sa.BigInteger(), nullable=False),
        sa.Column('paid', sa.BigInteger(), nullable=False),
        sa.Column('kept', sa.BigInteger(), nullable=False),
        sa.Column('money', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_funnel_hours')),
        sa.UniqueConstraint('hour', 'org_id', 'market', 'scope', 'scope_id',
                            name=op.f('uq_funnel_hours_hour_org_id_market_scope_scope_id')),
    )
    op.create_index('ix_funnel_hours_scope_hour', 'funnel_hours',
                    ['org_id', 'scope', 'scope_id', 'hour'])
    op.create_table(
        'funnel_days',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('org_id', sa.String(length=40), nullable=False),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('scope_id', sa.String(length=40), nullable=False),
        sa.Column('impressions', sa.BigInteger(), nullable=False),
        sa.Column('views', sa.BigInteger(), nullable=False),
        sa.Column('clicks', sa.BigInteger(), nullable=False),
        sa.Column('cart_adds', sa.BigInteger(), nullable=False),
        sa.Column('checkouts', sa.BigInteger(), nullable=False),
        sa.Column('paid', sa.BigInteger(), nullable=False),
        sa.Column('kept', sa.BigInteger(), nullable=False),
        sa.Column('money', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_funnel_days')),
        sa.UniqueConstraint('day', 'org_id', 'market', 'scope', 'scope_id',
                            name=op.f('uq_funnel_days_day_org_id_market_scope_scope_id')),
    )
    op.create_index('ix_funnel_days_scope_day', 'funnel_days',
                    ['org_id', 'scope', 'scope_id', 'day'])
    op.create_table(
        'rollup_locks',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('holder', sa.String(length=40), nullable=False),
        sa.Column('until', UTC(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_rollup_locks')),
    )


def downgrade() -> None:
    op.drop_table('rollup_locks')
    op.drop_index('ix_funnel_days_scope_day', table_name='funnel_days')
    op.drop_table('funnel_days')
    op.drop_index('ix_funnel_hours_scope_hour', table_name='funnel_hours')
    op.drop_table('funnel_hours')
    op.drop_index('ix_event_hours_hour', table_name='event_hours')
    op.drop_table('event_hours')
