"""Order lines (regional): an order holds several SKUs, each with its own reservation; the
ship-to address gains the state or prefecture and a phone number.

Revision ID: 0009_regional
Revises: 0008_regional
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_regional'
down_revision: str | None = '0008_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'order_lines',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('region', sa.String(length=16), nullable=False),
        sa.Column('order_id', sa.String(length=40), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('sku_id', sa.String(length=40), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
        sa.Column('reservation_id', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('reservation_id'),
    )
    op.create_index(op.f('ix_order_lines_order_id'), 'order_lines', ['order_id'])
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('ship_region', sa.String(length=100), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('ship_phone', sa.String(length=20), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('ship_phone')
        batch.drop_column('ship_region')
    op.drop_index(op.f('ix_order_lines_order_id'), table_name='order_lines')
    op.drop_table('order_lines')
