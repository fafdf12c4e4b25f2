"""Communication (regional): machine translations of a chat line, kept beside the line.

Revision ID: 0005_regional
Revises: 0004_regional
Create Date: 2026-11-24 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_regional'
down_revision: str | None = '0004_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('room_messages') as batch:
        batch.add_column(sa.Column('translations', sa.JSON(), server_default='{}',
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('room_messages') as batch:
        batch.drop_column('translations')
