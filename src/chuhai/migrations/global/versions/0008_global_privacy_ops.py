"""Privacy operations (global): the data-subject request queue, the transfer register's
per-person counts, anonymous engagement counts, marketing campaigns.

Revision ID: 0008_global
Revises: 0007_global
Create Date: 2026-11-25 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0008_global'
down_revision: str | None = '0007_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('analytics_counts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('market', sa.String(length=2), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('room_id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_counts')),
    sa.UniqueConstraint('day', 'market', 'type', 'room_id', 'product_id', name=op.f('uq_analytics_counts_day_market_type_room_id_product_id'))
    )
    op.create_table('data_requests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('market', sa.String(length=2), nullable=False),
    sa.Column('regime', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('received_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('verified_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verification', sa.String(length=60), nullable=True),
    sa.Column('acknowledge_by', chuhai.core.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('extension_until', chuhai.core.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('completed_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests'))
    )
    op.create_index(op.f('ix_data_requests_due_at'), 'data_requests', ['due_at'], unique=False)
    op.create_index(op.f('ix_data_requests_status'), 'data_requests', ['status'], unique=False)
    op.create_index(op.f('ix_data_requests_subject_id'), 'data_requests', ['subject_id'], unique=False)
    op.create_table('transfer_people',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('from_region', sa.String(length=16), nullable=False),
    sa.Column('to_region', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('market', sa.String(length=2), nullable=False),
    sa.Column('first_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', 'from_region', 'to_region', 'subject_id', name=op.f('pk_transfer_people'))
    )
    op.create_table('marketing_campaigns',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('markets', sa.JSON(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('created_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_marketing_campaigns_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_campaigns'))
    )
    op.create_index(op.f('ix_marketing_campaigns_org_id'), 'marketing_campaigns', ['org_id'], unique=False)
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table('marketing_campaigns')
    op.drop_table('transfer_people')
    op.drop_table('data_requests')
    op.drop_table('analytics_counts')
