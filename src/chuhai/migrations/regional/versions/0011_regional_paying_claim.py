"""One charge at a time per order: ``orders.paying_until`` (checkout/service.py ``pay``).

Revision ID: 0011_regional
Revises: 0010_regional
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0011_regional'
down_revision: str | None = '0010_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('paying_until',
                                   chuhai.core.clock.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('paying_until')
