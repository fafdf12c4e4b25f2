"""Attribution and holdouts: the cart's last touch, the org's reporting currency and
attribution windows, and experiments (randomized holdouts).

Revision ID: 0014_global
Revises: 0013_global
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0014_global'
down_revision: str | None = '0013_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
UTC = chuhai.core.clock.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('carts') as batch:
        batch.add_column(sa.Column('touch', sa.JSON(), nullable=True))
    with op.batch_alter_table('orgs') as batch:
        batch.add_column(sa.Column('reporting_currency', sa.String(length=3), nullable=True))
        batch.add_column(sa.Column('attribution_click_days', sa.Integer(), nullable=False,
                                   server_default='7'))
        batch.add_column(sa.Column('attribution_view_days', sa.Integer(), nullable=False,
                                   server_default='1'))
    op.create_table(
        'experiments',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('org_id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('share_bp', sa.Integer(), nullable=False),
        sa.Column('salt', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('started_at', UTC(), nullable=False),
        sa.Column('stopped_at', UTC(), nullable=True),
        sa.Column('created_by', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.id'],
                                name=op.f('fk_experiments_org_id_orgs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_experiments')),
    )
    op.create_index(op.f('ix_experiments_org_id'), 'experiments', ['org_id'])
    op.create_index('uq_experiments_running', 'experiments', ['org_id', 'kind'], unique=True,
                    postgresql_where=sa.text("status = 'running'"),
                    sqlite_where=sa.text("status = 'running'"))


def downgrade() -> None:
    op.drop_index('uq_experiments_running', table_name='experiments')
    op.drop_index(op.f('ix_experiments_org_id'), table_name='experiments')
    op.drop_table('experiments')
    with op.batch_alter_table('orgs') as batch:
        batch.drop_column('attribution_view_days')
        batch.drop_column('attribution_click_days')
        batch.drop_column('reporting_currency')
    with op.batch_alter_table('carts') as batch:
        batch.drop_column('touch')
