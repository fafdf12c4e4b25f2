"""Attribution and holdouts (regional): the order's last touch and, with analytics consent,
its touchpoints; each buyer's experiment group, recorded once.

Revision ID: 0013_regional
Revises: 0012_regional
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0013_regional'
down_revision: str | None = '0012_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
UTC = chuhai.core.clock.UTCDateTime


def upgrade() -> None:
    op.create_index('ix_analytics_events_subject_at', 'analytics_events',
                    ['subject_id', 'at'])
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('touch', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('touchpoints', sa.JSON(), nullable=True))
    op.create_table(
        'experiment_assignments',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('experiment_id', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.String(length=40), nullable=False),
        sa.Column('group', sa.String(length=8), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('assigned_at', UTC(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_assignments')),
        sa.UniqueConstraint('experiment_id', 'subject_id',
                            name=op.f('uq_experiment_assignments_experiment_id_subject_id')),
    )
    op.create_index(op.f('ix_experiment_assignments_experiment_id'),
                    'experiment_assignments', ['experiment_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_experiment_assignments_experiment_id'),
                  table_name='experiment_assignments')
    op.drop_table('experiment_assignments')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('touchpoints')
        batch.drop_column('touch')
        batch.drop_column('channel')
    op.drop_index('ix_analytics_events_subject_at', table_name='analytics_events')
