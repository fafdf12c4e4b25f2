"""The video a person's analytics event was about (regional, with consent only).

Revision ID: 0012_regional
Revises: 0011_regional
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_regional'
down_revision: str | None = '0011_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('analytics_events') as batch:
        batch.add_column(sa.Column('video_id', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('analytics_events') as batch:
        batch.drop_column('video_id')
