"""Shared fixtures, and the rules for tests that need PostgreSQL or Redis.

Database tests run on SQLite always, and on PostgreSQL when ``CHUHAI_TEST_PG_URL`` is set.
Each test runs inside one transaction per store, rolled back at the end, so tests never see
each other.

**Fail instead of skip under CI.** ``CI`` set to a true-ish value — ``true``, ``1`` or
``yes``, in any case, surrounding blanks ignored — means CI (``IN_CI``): a PostgreSQL or
Redis that is not configured or not reachable fails the tests that need it instead of
skipping them (and so do the other CI-only requirements that import ``IN_CI``: nginx for
tests/live/test_nginx_rtmp.py, Chromium for tests/e2e). Any other value, or no ``CI``, means
skip with the reason. ``.ci/run`` sets ``CI=true``.

**Markers.** Every test that needs PostgreSQL carries the ``pg`` marker and every test that
needs Redis the ``redis`` marker, so ``pytest -m "not pg and not redis"`` runs what needs
neither. The ``postgres`` parameter of ``migrated_settings`` (``BACKENDS``) carries ``pg``, so
every test on the PostgreSQL backend has it. Beyond that, ``pytest_collection_modifyitems``
adds the marker to any test that reaches a server through ``pg_url_or_skip``,
``redis_url_or_skip``, ``PG_URL`` or ``REDIS_URL`` — in its own body, in a helper function
of the test modules it calls, or in a fixture it uses — so a test cannot forget it. A
parametrized fixture whose params choose a server marks those params itself
(``pytest.param("redis", marks=pytest.mark.redis)``). tests/test_markers.py checks all of
this against the collected suite.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import types
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from chuhai.app import create_app
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.migrate import upgrade_all

# No test reaches the ECB: servers started by tests (in process or as subprocesses) keep the
# shipped rates; tests/crossborder/test_fx_refresh.py serves its own feed.
os.environ["CHUHAI_FX_REFRESH_URL"] = ""
os.environ["CHUHAI_FEED_SNAPSHOT_S"] = "0"  # the feed reads what a test just wrote
os.environ["CHUHAI_ROOM_SALES_CACHE_S"] = "0"  # so do a room's sales
PG_URL = os.environ.get("CHUHAI_TEST_PG_URL")
REDIS_URL = os.environ.get("CHUHAI_TEST_REDIS_URL")
TRUE_ISH = frozenset({"true", "1", "yes"})


def is_ci(value: str | None) -> bool:
    """The one rule for ``CI``: true, 1 or yes (any case, blanks ignored) means CI."""
    return (value or "").strip().lower() in TRUE_ISH


IN_CI = is_ci(os.environ.get("CI"))
TEST_KEY = "test-signing-key-not-secret"


def _unavailable(what: str, why: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required under CI ({os.environ.get('CI')!r}) but "
                    f"unavailable: {why}")
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


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.pg)] if (PG_URL or IN_CI) \
    else ["sqlite"]

# Names through which a test reaches a server, and the marker each one calls for.
SERVER_NAMES = {"pg_url_or_skip": "pg", "PG_URL": "pg",
                "redis_url_or_skip": "redis", "REDIS_URL": "redis"}


def _servers_of(func: Callable[..., Any], seen: set[int] | None = None) -> set[str]:
    """The markers ``func`` calls for: server names its code mentions, directly or through
    the plain functions of the test suite it calls (followed by name, once each)."""
    seen = set() if seen is None else seen
    func = inspect.unwrap(func)
    code = getattr(func, "__code__", None)
    if code is None or id(code) in seen:
        return set()
    seen.add(id(code))
    names: set[str] = set()
    todo = [code]
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        todo += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    found = {SERVER_NAMES[n] for n in names if n in SERVER_NAMES}
    glob = getattr(func, "__globals__", {})
    for n in names - SERVER_NAMES.keys():
        helper = glob.get(n)
        if isinstance(helper, types.FunctionType) and \
                helper.__module__.startswith("tests.") and helper.__module__ != __name__:
            found |= _servers_of(helper, seen)
    return found


def servers_needed(item: pytest.Item) -> set[str]:
    """``pg``/``redis`` for what the test's own code and its unparametrized fixtures use
    (parametrized fixtures mark the params that need a server)."""
    needs = set()
    if isinstance(item, pytest.Function):
        needs |= _servers_of(item.function)
        for name in item.fixturenames:
            for fixturedef in item._fixtureinfo.name2fixturedefs.get(name, ()):
                if not fixturedef.params:
                    needs |= _servers_of(fixturedef.func)
    return needs


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        have = {m.name for m in item.iter_markers()}
        for marker in sorted(servers_needed(item) - have):
            item.add_marker(marker)
    if os.environ.get("MUTANT_UNDER_TEST", "").startswith("chuhai."):
        _fastest_first(items)


def _fastest_first(items: list[pytest.Item]) -> None:
    """Under mutmut, run a mutant's tests fastest first (mutmut stops at the first failure
    but runs them in file order): most mutants are killed by some quick test, and finding
    it first is most of ``make mutation``'s time. Durations are mutmut's own, from its
    stats run."""
    import json

    try:
        durations = json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))


def _migrated_template() -> Path:
    """Where migrated, empty SQLite stores are kept between test sessions, named by the
    migration scripts' contents so a changed migration makes a new one. Migrating the six
    stores costs seconds; mutmut starts a test session per mutant, so copying the files
    instead is what keeps ``make mutation`` inside its time bound."""
    import hashlib
    import tempfile

    import chuhai

    digest = hashlib.sha256()
    for f in sorted((Path(chuhai.__file__).parent / "migrations").rglob("*.py")):
        digest.update(f.name.encode() + f.read_bytes())
    return Path(tempfile.gettempdir()) / f"chuhai-migrated-{digest.hexdigest()[:16]}"


def _copy_migrated_sqlite(data_dir: Path) -> bool:
    import shutil

    template = _migrated_template()
    if not (template / "complete").exists():
        return False
    for f in template.glob("*.db*"):
        shutil.copyfile(f, data_dir / f.name)
    return True


def _keep_migrated_sqlite(data_dir: Path) -> None:
    import shutil

    template = _migrated_template()
    staging = template.with_name(f"{template.name}.{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    for f in data_dir.glob("*.db*"):
        shutil.copyfile(f, staging / f.name)
    (staging / "complete").touch()
    try:
        staging.rename(template)  # atomic: a racing session's copy wins, this one is dropped
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


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

    if request.param == "postgres" or not _copy_migrated_sqlite(data_dir):
        asyncio.run(migrate())
        if request.param != "postgres":
            _keep_migrated_sqlite(data_dir)
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
