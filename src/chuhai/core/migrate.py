"""Alembic for every store: the global tree on the global store, the regional tree on each
regional store. PostgreSQL stores sharing one server get their schema created first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from chuhai.core.db import GLOBAL, GlobalBase, RegionalBase, Stores

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def target_metadata(kind: str) -> MetaData:
    # Import every models module so both metadata objects are complete.
    import chuhai.accounts.models
    import chuhai.analytics.models
    import chuhai.catalog.models
    import chuhai.checkout.models
    import chuhai.comms.models
    import chuhai.core.outbox
    import chuhai.inventory.models
    import chuhai.live.models
    import chuhai.marketing.models
    import chuhai.privacy.models
    import chuhai.search.models
    import chuhai.shop.models
    import chuhai.video.models
    import chuhai.webhooks.models  # noqa: F401

    return GlobalBase.metadata if kind == GLOBAL else RegionalBase.metadata


def run_migrations(context: Any) -> None:
    """The body of both trees' env.py: configure on the connection we were handed."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata(context.config.attributes["kind"]),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def kind_of(store: str) -> str:
    return GLOBAL if store == GLOBAL else "regional"


def alembic_config(kind: str, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("script_location", str(MIGRATIONS / kind))
    cfg.set_main_option("version_locations", str(MIGRATIONS / kind / "versions"))
    cfg.attributes["kind"] = kind
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head(kind: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(kind)).get_current_head()


async def _with_connection(stores: Stores, store: str,
                           fn: Callable[[Connection], Any]) -> Any:
    spec = stores.specs[store]
    engine = stores.engines[store]
    async with engine.begin() as conn:
        if spec.is_postgres and spec.schema:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{spec.schema}"'))
    async with engine.begin() as conn:
        return await conn.run_sync(fn)


async def upgrade_all(stores: Stores, progress: Callable[[str], None] = lambda _m: None
                      ) -> dict[str, str | None]:
    """Bring every store to head; returns store → revision."""
    done: dict[str, str | None] = {}
    for store in stores.specs:
        kind = kind_of(store)
        progress(f"migrating {store} store ({kind}) …")
        def _upgrade(conn: Connection, k: str = kind) -> None:
            command.upgrade(alembic_config(k, conn), "head")

        await _with_connection(stores, store, _upgrade)
        done[store] = await current(stores, store)
    return done


async def current(stores: Stores, store: str) -> str | None:
    def _rev(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    return await _with_connection(stores, store, _rev)  # type: ignore[no-any-return]
