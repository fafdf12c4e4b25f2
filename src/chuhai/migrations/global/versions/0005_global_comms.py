"""Communication (global): an org's glossary and translation memory; listing price history
(for the EU's 30-day prior-price rule), seeded with each listing's current price.

Revision ID: 0005_global
Revises: 0004_global
Create Date: 2026-11-24 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_global'
down_revision: str | None = '0004_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'glossary_terms',
        sa.Column('id', sa.String(40), primary_key=True),
        sa.Column('org_id', sa.String(40), sa.ForeignKey('orgs.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('source', sa.String(120), nullable=False),
        sa.Column('source_lang', sa.String(16)),
        sa.Column('target_lang', sa.String(16)),
        sa.Column('target', sa.String(200)),
        sa.Column('case_sensitive', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('org_id', 'source', 'source_lang', 'target_lang'),
    )
    op.create_index('ix_glossary_terms_org_id', 'glossary_terms', ['org_id'])
    op.create_table(
        'translation_memory',
        sa.Column('id', sa.String(40), primary_key=True),
        sa.Column('org_id', sa.String(40), sa.ForeignKey('orgs.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('source_lang', sa.String(16), nullable=False),
        sa.Column('target_lang', sa.String(16), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('target', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_translation_memory_org_id', 'translation_memory', ['org_id'])
    op.create_table(
        'listing_prices',
        sa.Column('id', sa.String(40), primary_key=True),
        sa.Column('listing_id', sa.String(40),
                  sa.ForeignKey('listings.id', ondelete='CASCADE'), nullable=False),
        sa.Column('price_minor', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_listing_prices_listing_id', 'listing_prices', ['listing_id'])
    # The price each listing has now, known from now on (no earlier history exists).
    op.execute(
        "INSERT INTO listing_prices (id, listing_id, price_minor, currency, valid_from) "
        "SELECT 'lpr_' || id, id, price_minor, currency, CURRENT_TIMESTAMP FROM listings")


def downgrade() -> None:
    op.drop_table('listing_prices')
    op.drop_table('translation_memory')
    op.drop_table('glossary_terms')
