"""Data compliance (global): the hash-chained audit log and its head.

Revision ID: 0007_global
Revises: 0006_global
Create Date: 2026-11-25 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_global'
down_revision: str | None = '0006_global'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'audit_log',
        sa.Column('seq', sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(40), nullable=False),
        sa.Column('org_id', sa.String(40), nullable=True),
        sa.Column('action', sa.String(40), nullable=False),
        sa.Column('subject', sa.String(40), nullable=False),
        sa.Column('region', sa.String(16), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('prev_hash', sa.String(64), nullable=False),
        sa.Column('hash', sa.String(64), nullable=False),
    )
    op.create_index('ix_audit_log_action', 'audit_log', ['action'])
    op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(64), nullable=False),
    )
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")


def downgrade() -> None:
    op.drop_table('audit_head')
    op.drop_table('audit_log')
