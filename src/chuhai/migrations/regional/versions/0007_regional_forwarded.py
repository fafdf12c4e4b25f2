"""A buyer's request that a seller forwarded to the platform: the buyer's own words, kept in
their region until the request closes.

Revision ID: 0007_regional
Revises: 0006_regional
Create Date: 2026-12-06 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0007_regional'
down_revision: str | None = '0006_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('forwarded_messages',
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('received_via', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_forwarded_messages'))
    )
    op.create_index(op.f('ix_forwarded_messages_subject_id'), 'forwarded_messages',
                    ['subject_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_forwarded_messages_subject_id'), table_name='forwarded_messages')
    op.drop_table('forwarded_messages')
