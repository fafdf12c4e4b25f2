"""Idempotency (global): a bid keeps the fingerprint of the body that placed it, so a key
replayed with another amount is refused (core/idempotency.py). Older bids have none.

Revision ID: 0009_global
Revises: 0008_global
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_global'
down_revision: str | None = '0008_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('bids') as batch:
        batch.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bids') as batch:
        batch.drop_column('request_hash')
