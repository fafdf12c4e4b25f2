"""Cross-border pricing (regional): duty, tax and fees on orders, and the quote they came from.

Revision ID: 0004_regional
Revises: 0003_regional
Create Date: 2026-11-24 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_regional'
down_revision: str | None = '0003_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('duty_minor', sa.BigInteger(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('tax_minor', sa.BigInteger(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('fees_minor', sa.BigInteger(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('landed', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        for col in ('landed', 'fees_minor', 'tax_minor', 'duty_minor'):
            batch.drop_column(col)
