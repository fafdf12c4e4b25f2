"""Alembic environment; run by chuhai.core.migrate with a live connection."""

from alembic import context

from chuhai.core.migrate import target_metadata

connection = context.config.attributes["connection"]
kind = context.config.attributes["kind"]
context.configure(
    connection=connection,
    target_metadata=target_metadata(kind),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
