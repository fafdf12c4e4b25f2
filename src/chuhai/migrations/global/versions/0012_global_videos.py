"""Short videos (video/models.py): videos, their product tags, markets, captions, and the
resumable uploads they come from.

Revision ID: 0012_global
Revises: 0011_global
Create Date: 2026-12-06 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0012_global'
down_revision: str | None = '0011_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = chuhai.core.clock.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'videos',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('org_id', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('auto_captions', sa.Boolean(), nullable=False),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('source_key', sa.String(length=200), nullable=False),
        sa.Column('source_bytes', sa.BigInteger(), nullable=False),
        sa.Column('duration_s', sa.Float(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('rotation', sa.Integer(), nullable=False),
        sa.Column('media_prefix', sa.String(length=200), nullable=False),
        sa.Column('renditions', sa.JSON(), nullable=False),
        sa.Column('strip_frames', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=20), nullable=False),
        sa.Column('progress', sa.Float(), nullable=False),
        sa.Column('error_code', sa.String(length=40), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('lease_until', UTC(timezone=True), nullable=True),
        sa.Column('lease_owner', sa.String(length=120), nullable=True),
        sa.Column('likes', sa.Integer(), nullable=False),
        sa.Column('views', sa.Integer(), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('updated_at', UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_videos_org_id'), 'videos', ['org_id'])
    op.create_index(op.f('ix_videos_status'), 'videos', ['status'])
    op.create_table(
        'video_tags',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('video_id', sa.String(length=40), nullable=False),
        sa.Column('product_id', sa.String(length=40), nullable=False),
        sa.Column('start_s', sa.Float(), nullable=False),
        sa.Column('end_s', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_video_tags_video_id'), 'video_tags', ['video_id'])
    op.create_index(op.f('ix_video_tags_product_id'), 'video_tags', ['product_id'])
    op.create_table(
        'video_markets',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('video_id', sa.String(length=40), nullable=False),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.Column('published_at', UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('video_id', 'market'),
    )
    op.create_index(op.f('ix_video_markets_market'), 'video_markets', ['market'])
    op.create_table(
        'video_captions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('video_id', sa.String(length=40), nullable=False),
        sa.Column('lang', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=12), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('cues', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('video_id', 'lang'),
    )
    op.create_table(
        'video_uploads',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('org_id', sa.String(length=40), nullable=False),
        sa.Column('length', sa.BigInteger(), nullable=False),
        sa.Column('offset', sa.BigInteger(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('video_id', sa.String(length=40), nullable=True),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('expires_at', UTC(timezone=True), nullable=False),
        sa.Column('meta', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_video_uploads_org_id'), 'video_uploads', ['org_id'])
    op.create_index(op.f('ix_video_uploads_expires_at'), 'video_uploads', ['expires_at'])


def downgrade() -> None:
    op.drop_table('video_uploads')
    op.drop_table('video_captions')
    op.drop_table('video_markets')
    op.drop_table('video_tags')
    op.drop_table('videos')
