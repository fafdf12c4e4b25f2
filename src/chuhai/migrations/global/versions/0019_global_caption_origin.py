"""Captions remember what they were translated from, and whether that source has been
corrected since: a correction in the source language carries into its translations.

Revision ID: 0019_global
Revises: 0018_global
Create Date: 2026-12-07 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019_global'
down_revision: str | None = '0018_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('video_captions') as batch:
        batch.add_column(sa.Column('from_lang', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('stale', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # translations made before this kept no source: the video's own language is the likeliest
    # one (speech recognition and the seller's first captions are in it)
    op.execute("UPDATE video_captions SET from_lang = (SELECT videos.language FROM videos "
               "WHERE videos.id = video_captions.video_id) "
               "WHERE source = 'translation' AND from_lang IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('video_captions') as batch:
        batch.drop_column('stale')
        batch.drop_column('from_lang')
