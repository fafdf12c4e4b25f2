"""Anonymous per-day engagement counts per feed item (video, room or product), what the
feed's popularity and its exploration read.

Revision ID: 0013_global
Revises: 0012_global
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_global'
down_revision: str | None = '0012_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'item_counts',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('item_id', sa.String(length=40), nullable=False),
        sa.Column('type', sa.String(length=24), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_item_counts')),
        sa.UniqueConstraint('day', 'market', 'item_id', 'type',
                            name=op.f('uq_item_counts_day_market_item_id_type')),
    )
    op.create_index(op.f('ix_item_counts_market_day'), 'item_counts', ['market', 'day'])


def downgrade() -> None:
    op.drop_index(op.f('ix_item_counts_market_day'), table_name='item_counts')
    op.drop_table('item_counts')
