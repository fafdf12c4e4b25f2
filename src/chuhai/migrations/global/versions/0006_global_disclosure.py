"""Live rooms (global): a room's disclosure of a material connection (paid partnership).

Revision ID: 0006_global
Revises: 0005_global
Create Date: 2026-11-24 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_global'
down_revision: str | None = '0005_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rooms') as batch:
        batch.add_column(sa.Column('disclosure', sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rooms') as batch:
        batch.drop_column('disclosure')
