"""A search's text on the person's own analytics events (regional, with consent only).

Revision ID: 0010_regional
Revises: 0009_regional
Create Date: 2026-12-06 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_regional'
down_revision: str | None = '0009_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('analytics_events') as batch:
        batch.add_column(sa.Column('query', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('analytics_events') as batch:
        batch.drop_column('query')
