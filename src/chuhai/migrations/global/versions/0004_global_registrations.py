"""Cross-border pricing (global): the tax registrations an org holds.

Revision ID: 0004_global
Revises: 0003_global
Create Date: 2026-11-24 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_global'
down_revision: str | None = '0003_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orgs') as batch:
        batch.add_column(sa.Column('registrations', sa.JSON(), server_default='[]',
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('orgs') as batch:
        batch.drop_column('registrations')
