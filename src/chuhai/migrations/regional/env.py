"""Alembic environment; chuhai.core.migrate runs it with a live connection."""

from alembic import context

from chuhai.core.migrate import run_migrations

run_migrations(context)
