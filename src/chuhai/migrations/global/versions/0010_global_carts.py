"""Carts (global): one per buyer and seller, each line holding its units through a
reservation (inventory/units.py).

Revision ID: 0010_global
Revises: 0009_global
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0010_global'
down_revision: str | None = '0009_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'carts',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('org_id', sa.String(length=40), nullable=False),
        sa.Column('buyer_id', sa.String(length=40), nullable=False),
        sa.Column('buyer_region', sa.String(length=8), nullable=False),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('created_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org_id', 'buyer_id'),
    )
    op.create_index(op.f('ix_carts_org_id'), 'carts', ['org_id'])
    op.create_index(op.f('ix_carts_buyer_id'), 'carts', ['buyer_id'])
    op.create_table(
        'cart_lines',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('cart_id', sa.String(length=40), nullable=False),
        sa.Column('sku_id', sa.String(length=40), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('warehouse_id', sa.String(length=40), nullable=False),
        sa.Column('price_minor', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('reservation_id', sa.String(length=40), nullable=True),
        sa.Column('added_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['cart_id'], ['carts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('cart_id', 'sku_id'),
    )
    op.create_index(op.f('ix_cart_lines_cart_id'), 'cart_lines', ['cart_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_cart_lines_cart_id'), table_name='cart_lines')
    op.drop_table('cart_lines')
    op.drop_index(op.f('ix_carts_buyer_id'), table_name='carts')
    op.drop_index(op.f('ix_carts_org_id'), table_name='carts')
    op.drop_table('carts')
