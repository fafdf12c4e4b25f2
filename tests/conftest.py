"""Shared fixtures.

Database tests run on SQLite always, and on PostgreSQL when ``CHUHAI_TEST_PG_URL`` is set.
Under ``CI=true`` an unreachable PostgreSQL or Redis is a failure, not a skip. Each test runs
inside one transaction per store, rolled back at the end, so tests never see each other.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from chuhai.app import create_app
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.migrate import upgrade_all

PG_URL = os.environ.get("CHUHAI_TEST_PG_URL")
REDIS_URL = os.environ.get("CHUHAI_TEST_REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_KEY = "test-signing-key-not-secret"


def _unavailable(what: str, why: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but unavailable: {why}")
    pytest.skip(f"{what} not available ({why}); set the env var to run these tests")


def pg_url_or_skip() -> str:
    if not PG_URL:
        _unavailable("PostgreSQL", "CHUHAI_TEST_PG_URL is not set")
    assert PG_URL is not None

    async def ping() -> None:
        engine = create_async_engine(PG_URL)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("select 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(ping())
    except Exception as exc:
        _unavailable("PostgreSQL", f"{PG_URL}: {exc}")
    return PG_URL


def redis_url_or_skip() -> str:
    if not REDIS_URL:
        _unavailable("Redis", "CHUHAI_TEST_REDIS_URL is not set")
    assert REDIS_URL is not None
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        _unavailable("Redis", f"{REDIS_URL}: {exc}")
    return REDIS_URL


BACKENDS = ["sqlite", "postgres"] if (PG_URL or IN_CI) else ["sqlite"]


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_settings(request: pytest.FixtureRequest,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings whose stores exist and are migrated, once per backend per test session."""
    data_dir = tmp_path_factory.mktemp(f"var-{request.param}")
    if request.param == "postgres":
        url = pg_url_or_skip()
        prefix = f"t{uuid.uuid4().hex[:8]}_"
        settings = Settings(data_dir=data_dir, database_url=url, schema_prefix=prefix,
                            secret_key=TEST_KEY)
    else:
        prefix = ""
        settings = Settings(data_dir=data_dir, secret_key=TEST_KEY)

    async def migrate() -> None:
        stores = Stores(settings)
        try:
            await upgrade_all(stores)
        finally:
            await stores.dispose()

    asyncio.run(migrate())
    yield settings
    if request.param == "postgres":
        async def drop() -> None:
            engine = create_async_engine(settings.database_url or "")
            async with engine.begin() as conn:
                for name in ("global", *settings.regions):
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{prefix}{name}" CASCADE'))
            await engine.dispose()

        asyncio.run(drop())


@pytest.fixture
def backend(migrated_settings: Settings) -> str:
    return "postgres" if migrated_settings.database_url else "sqlite"


@pytest.fixture
async def stores(migrated_settings: Settings) -> AsyncIterator[Stores]:
    """Stores whose every session joins a per-test transaction that is rolled back."""
    the_stores = Stores(migrated_settings)
    conns: list[AsyncConnection] = []
    try:
        for name, engine in the_stores.engines.items():
            conn = await engine.connect()
            await conn.begin()
            conns.append(conn)
            the_stores.bind_to(name, conn)
        yield the_stores
    finally:
        for conn in conns:
            await conn.rollback()
            await conn.close()
        await the_stores.dispose()


@pytest.fixture
def settings(migrated_settings: Settings) -> Settings:
    return migrated_settings


@pytest.fixture
async def app_client(stores: Stores, migrated_settings: Settings
                     ) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(migrated_settings, stores=stores)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    """Fresh, unmigrated SQLite settings for tests that exercise migration itself."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_KEY)
