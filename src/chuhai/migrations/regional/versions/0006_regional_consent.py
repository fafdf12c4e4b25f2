"""Consent and its uses (regional): the consent ledger, engagement events kept with consent,
queued marketing messages, a rectification's requested values.

Revision ID: 0006_regional
Revises: 0005_regional
Create Date: 2026-11-25 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chuhai.core.clock

revision: str = '0006_regional'
down_revision: str | None = '0005_regional'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('analytics_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('market', sa.String(length=2), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('room_id', sa.String(length=40), nullable=True),
    sa.Column('product_id', sa.String(length=40), nullable=True),
    sa.Column('at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_events'))
    )
    op.create_index(op.f('ix_analytics_events_at'), 'analytics_events', ['at'], unique=False)
    op.create_index(op.f('ix_analytics_events_subject_id'), 'analytics_events', ['subject_id'], unique=False)
    op.create_table('consent_ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('market', sa.String(length=2), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('policy_version', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('declared_age', sa.Integer(), nullable=True),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_ledger'))
    )
    op.create_index(op.f('ix_consent_ledger_subject_id'), 'consent_ledger', ['subject_id'], unique=False)
    op.create_table('data_request_details',
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_data_request_details'))
    )
    op.create_index(op.f('ix_data_request_details_subject_id'), 'data_request_details', ['subject_id'], unique=False)
    op.create_table('marketing_messages',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('campaign_id', sa.String(length=40), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', chuhai.core.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_messages'))
    )
    op.create_index(op.f('ix_marketing_messages_campaign_id'), 'marketing_messages', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_marketing_messages_subject_id'), 'marketing_messages', ['subject_id'], unique=False)
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table('marketing_messages')
    op.drop_table('data_request_details')
    op.drop_table('consent_ledger')
    op.drop_table('analytics_events')
