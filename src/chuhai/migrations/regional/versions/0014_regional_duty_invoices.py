"""What carriers actually charged for duty and tax per order (beside the order, in its
region); order events indexed by status and time for the rollups.

Revision ID: 0014_regional
Revises: 0013_regional
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0014_regional'
down_revision: str | None = '0013_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
UTC = chuhai.core.clock.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'duty_invoices',
        sa.Column('order_id', sa.String(length=40), nullable=False),
        sa.Column('region', sa.String(length=16), nullable=False),
        sa.Column('org_id', sa.String(length=40), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('duty_minor', sa.BigInteger(), nullable=False),
        sa.Column('tax_minor', sa.BigInteger(), nullable=False),
        sa.Column('quoted_minor', sa.BigInteger(), nullable=False),
        sa.Column('reference', sa.String(length=80), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('recorded_by', sa.String(length=40), nullable=False),
        sa.Column('recorded_at', UTC(), nullable=False),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_duty_invoices')),
    )
    op.create_index(op.f('ix_duty_invoices_org_id'), 'duty_invoices', ['org_id'])
    op.create_index(op.f('ix_duty_invoices_recorded_at'), 'duty_invoices', ['recorded_at'])
    op.create_index('ix_order_events_status_at', 'order_events', ['to_status', 'at'])


def downgrade() -> None:
    op.drop_index('ix_order_events_status_at', table_name='order_events')
    op.drop_index(op.f('ix_duty_invoices_recorded_at'), table_name='duty_invoices')
    op.drop_index(op.f('ix_duty_invoices_org_id'), table_name='duty_invoices')
    op.drop_table('duty_invoices')
