"""Migrations bring every store to head, are re-runnable, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chuhai.core.db import Stores
from chuhai.core.migrate import head, target_metadata, upgrade_all


async def test_upgrade_all_is_idempotent_and_creates_each_stores_tables(tmp_settings):
    stores = Stores(tmp_settings)
    try:
        first = await upgrade_all(stores)
        again = await upgrade_all(stores)
        assert first == again
        assert first["global"] == head("global") and first["eu"] == head("regional")
        async with stores.engines["global"].connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"orgs", "products", "subjects"} <= tables and "customers" not in tables
        async with stores.engines["eu"].connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "customers" in tables and "products" not in tables
    finally:
        await stores.dispose()


def declared(obj, name, type_, reflected, compare_to) -> bool:
    """What the models declare: not the engine's own full-text objects that migration
    0011_global adds beside them (SQLite's FTS5 table and its shadow tables, PostgreSQL's
    generated tsvector and its GIN index)."""
    return not (str(name).startswith("search_fts") or name in ("tsv", "ix_search_documents_tsv"))


async def test_models_and_migrations_do_not_drift(migrated_settings):
    stores = Stores(migrated_settings)
    try:
        for store, kind in (("global", "global"), ("eu", "regional")):
            async with stores.engines[store].connect() as conn:
                diff = await conn.run_sync(lambda c, k=kind: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True,
                                                        "include_object": declared}),
                    target_metadata(k)))
            assert diff == [], f"{store}: models changed without a migration: {diff}"
    finally:
        await stores.dispose()
