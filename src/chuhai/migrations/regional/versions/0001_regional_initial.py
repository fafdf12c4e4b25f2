"""Regional store, first schema: staff profiles and customers — the personal data that
must stay in its owner's region (see core/datamap.py).

Revision ID: 0001_regional
Revises: (none)
Create Date: 2026-11-24 16:48:42.227210
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_regional"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("home_country", sa.String(length=2), nullable=False),
        sa.Column("preferred_language", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("email", name=op.f("uq_customers_email")),
    )
    op.create_table(
        "staff_profiles",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_profiles")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_profiles_email")),
    )
    with op.batch_alter_table("staff_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_profiles_org_id"), ["org_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("staff_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_profiles_org_id"))

    op.drop_table("staff_profiles")
    op.drop_table("customers")
