"""The search index (search/models.py): documents, and their full-text index — an FTS5
table kept in step by triggers on SQLite, a generated tsvector with a GIN index on
PostgreSQL.

Revision ID: 0011_global
Revises: 0010_global
Create Date: 2026-12-06 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0011_global'
down_revision: str | None = '0010_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'search_documents',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('listing_id', sa.String(length=40), nullable=False),
        sa.Column('product_id', sa.String(length=40), nullable=False),
        sa.Column('org_id', sa.String(length=40), nullable=False),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('image', sa.String(length=500), nullable=False),
        sa.Column('hs_chapter', sa.String(length=2), nullable=False),
        sa.Column('landed_minor', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('popularity', sa.Integer(), nullable=False),
        sa.Column('title_tokens', sa.Text(), nullable=False),
        sa.Column('body_tokens', sa.Text(), nullable=False),
        sa.Column('words', sa.Text(), nullable=False),
        sa.Column('source_updated_at', chuhai.core.clock.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('indexed_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('listing_id'),
    )
    op.create_index(op.f('ix_search_documents_product_id'), 'search_documents',
                    ['product_id'])
    op.create_index(op.f('ix_search_documents_source_updated_at'), 'search_documents',
                    ['source_updated_at'])
    op.create_index('ix_search_documents_popular', 'search_documents',
                    ['market', 'popularity'])
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title_tokens, body_tokens, "
                   "content='search_documents', content_rowid='id', "
                   "tokenize='unicode61 remove_diacritics 0')")
        op.execute("CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents "
                   "BEGIN INSERT INTO search_fts(rowid, title_tokens, body_tokens) VALUES "
                   "(new.id, new.title_tokens, new.body_tokens); END")
        op.execute("CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents "
                   "BEGIN INSERT INTO search_fts(search_fts, rowid, title_tokens, "
                   "body_tokens) VALUES ('delete', old.id, old.title_tokens, "
                   "old.body_tokens); END")
        op.execute("CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents "
                   "BEGIN INSERT INTO search_fts(search_fts, rowid, title_tokens, "
                   "body_tokens) VALUES ('delete', old.id, old.title_tokens, "
                   "old.body_tokens); INSERT INTO search_fts(rowid, title_tokens, "
                   "body_tokens) VALUES (new.id, new.title_tokens, new.body_tokens); END")
    else:
        op.execute("ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
                   "(setweight(to_tsvector('simple', title_tokens), 'A') || "
                   "setweight(to_tsvector('simple', body_tokens), 'B')) STORED")
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")
    op.create_index('ix_products_updated_at', 'products', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_products_updated_at', table_name='products')
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in ('ai', 'ad', 'au'):
            op.execute(f"DROP TRIGGER IF EXISTS search_documents_{trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table('search_documents')
