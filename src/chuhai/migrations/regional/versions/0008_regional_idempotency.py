"""Idempotency (regional): orders and payments keep the fingerprint of the body that made
them, so a key replayed with another body is refused (core/idempotency.py). Older rows have
none and accept any replay, as before.

Revision ID: 0008_regional
Revises: 0007_regional
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_regional'
down_revision: str | None = '0007_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ('orders', 'payments'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in ('payments', 'orders'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('request_hash')
