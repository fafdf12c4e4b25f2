"""Stores: one global store and named regional stores, each an async SQLAlchemy engine.

The global store holds what is not personal (orgs, catalog, tokens, directories of
pseudonymous ids). Each regional store holds the personal data of people whose home is in
that region. A ``before_flush`` guard refuses to write a row into the wrong kind of store, or
a person's row into a region other than theirs, so residency is a property of the code path
rather than a promise in a document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    AsyncTransaction,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session

from chuhai.core.config import Settings
from chuhai.core.errors import DomainError, ResidencyViolation

GLOBAL = "global"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class GlobalBase(DeclarativeBase):
    """Tables of the global store: no personal data, pseudonymous ids only."""

    metadata = MetaData(naming_convention=NAMING)


class RegionalBase(DeclarativeBase):
    """Tables of every regional store: the home of personal data."""

    metadata = MetaData(naming_convention=NAMING)


def pd(category: str) -> dict[str, Any]:
    """Column ``info`` declaring the fideslang data category a column holds."""
    return {"pd": category}


NOT_PERSONAL = pd("system.operations")
PSEUDONYMOUS_ID = pd("user.unique_id.pseudonymous")


class UnknownStore(DomainError):
    status = 400
    title = "Unknown store"

    def __init__(self, name: str) -> None:
        super().__init__(message=f"no store named {name!r}", code="unknown_region")


@dataclass(frozen=True)
class StoreSpec:
    name: str
    url: str
    schema: str | None = None

    @property
    def is_postgres(self) -> bool:
        return make_url(self.url).get_backend_name() == "postgresql"

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"


def store_specs(settings: Settings) -> dict[str, StoreSpec]:
    """Resolve the URL (and PostgreSQL schema) of the global and every regional store."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    base = settings.database_url or f"sqlite+aiosqlite:///{settings.data_dir / 'global.db'}"
    shared_pg = make_url(base).get_backend_name() == "postgresql"
    specs = {
        GLOBAL: StoreSpec(GLOBAL, base, f"{settings.schema_prefix}global" if shared_pg else None)
    }
    for region in settings.regions:
        if region in settings.region_urls:
            specs[region] = StoreSpec(region, settings.region_urls[region])
        elif shared_pg:
            specs[region] = StoreSpec(region, base, f"{settings.schema_prefix}{region}")
        else:
            url = f"sqlite+aiosqlite:///{settings.data_dir / f'region_{region}.db'}"
            specs[region] = StoreSpec(region, url)
    return specs


def _make_engine(spec: StoreSpec, echo: bool) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo}
    if spec.is_postgres and spec.schema:
        kwargs["connect_args"] = {"server_settings": {"search_path": spec.schema}}
    if spec.is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_async_engine(spec.url, **kwargs)
    if spec.is_sqlite:
        _sqlite_tuning(engine)
    return engine


def _sqlite_tuning(engine: AsyncEngine) -> None:
    """Foreign keys on, WAL, secure delete, and driver-level BEGIN so SAVEPOINTs work
    (SQLAlchemy docs)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        # Deleted rows are overwritten with zeros instead of lingering in free pages: an
        # erased person's data must not stay readable in the file (privacy.erasure).
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


class StoreSession(Session):
    """A session that knows which store it writes to (``info['store']``)."""


@event.listens_for(StoreSession, "before_flush")
def _residency_guard(session: Session, _ctx: Any, _instances: Any) -> None:
    store = session.info.get("store")
    if store is None:
        return
    for obj in list(session.new) + list(session.dirty):
        check_residency(store, obj)


def check_residency(store: str, obj: object) -> None:
    """Refuse a row in the wrong kind of store, or a person's row in a foreign region."""
    if isinstance(obj, RegionalBase):
        if store == GLOBAL:
            raise ResidencyViolation(f"{type(obj).__name__} holds personal data; not global")
        region = getattr(obj, "region", None)
        if region is not None and region != store:
            raise ResidencyViolation(
                f"{type(obj).__name__} of region {region!r} written to store {store!r}"
            )
    elif isinstance(obj, GlobalBase) and store != GLOBAL:
        raise ResidencyViolation(f"{type(obj).__name__} belongs in the global store")


class CoreTx:
    """One Core transaction on a connection (or a SAVEPOINT of a test's transaction)."""

    def __init__(self, conn: AsyncConnection, savepoint: AsyncTransaction | None) -> None:
        self.conn = conn
        self._savepoint = savepoint

    async def commit(self) -> None:
        if self._savepoint is not None:
            await self._savepoint.commit()
        else:
            await self.conn.commit()

    async def rollback(self) -> None:
        if self._savepoint is not None:
            if self._savepoint.is_active:
                await self._savepoint.rollback()
        else:
            await self.conn.rollback()


class Stores:
    """The engines and session factories of every store, built from one ``Settings``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.specs = store_specs(settings)
        self.engines: dict[str, AsyncEngine] = {
            name: _make_engine(spec, settings.sql_echo) for name, spec in self.specs.items()
        }
        self._makers: dict[str, async_sessionmaker[AsyncSession]] = {
            name: self._maker(name, engine) for name, engine in self.engines.items()
        }
        self._bound: dict[str, AsyncConnection] = {}

    @staticmethod
    def _maker(name: str, bind: AsyncEngine | AsyncConnection) -> async_sessionmaker[AsyncSession]:
        extra: dict[str, Any] = {}
        if isinstance(bind, AsyncConnection):
            extra["join_transaction_mode"] = "create_savepoint"
        return async_sessionmaker(
            bind, expire_on_commit=False, sync_session_class=StoreSession,
            info={"store": name}, **extra,
        )

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(n for n in self.specs if n != GLOBAL)

    def check(self, name: str) -> str:
        if name not in self.specs:
            raise UnknownStore(name)
        return name

    def session(self, name: str = GLOBAL) -> AsyncSession:
        return self._makers[self.check(name)]()

    def bind_to(self, name: str, conn: AsyncConnection) -> None:
        """Make sessions of ``name`` join ``conn``'s transaction (tests roll it back)."""
        self._makers[name] = self._maker(name, conn)
        self._bound[name] = conn

    @asynccontextmanager
    async def core(self, name: str = GLOBAL) -> AsyncIterator[CoreTx]:
        """A Core transaction without an ORM session, for the hottest paths (a drop's
        reservation): commit or roll back explicitly; an open one rolls back on exit.
        A store bound for tests runs it in a SAVEPOINT of the bound transaction."""
        bound = self._bound.get(self.check(name))
        if bound is not None:
            savepoint = await bound.begin_nested()
            tx = CoreTx(bound, savepoint)
            try:
                yield tx
            finally:
                if savepoint.is_active:
                    await savepoint.rollback()
            return
        async with self.engines[name].connect() as conn:
            yield CoreTx(conn, None)

    async def dispose(self) -> None:
        for engine in self.engines.values():
            await engine.dispose()


class UnitOfWork:
    """The sessions one request or command uses, committed together at the end.

    Stores are separate databases, so a commit spanning several is not atomic; callers write
    the regional (personal) part first and the global directory entry last, so a crash leaves
    at worst an unreferenced regional row, never a directory entry pointing at nothing.
    """

    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self._sessions: dict[str, AsyncSession] = {}

    @property
    def global_(self) -> AsyncSession:
        return self.store(GLOBAL)

    def store(self, name: str) -> AsyncSession:
        if name not in self._sessions:
            self._sessions[name] = self.stores.session(name)
        return self._sessions[name]

    def region(self, region: str) -> AsyncSession:
        if region == GLOBAL:
            raise UnknownStore(region)
        return self.store(region)

    async def commit(self) -> None:
        for name in sorted(self._sessions, key=lambda n: n == GLOBAL):
            await self._sessions[name].commit()

    async def rollback(self) -> None:
        for s in self._sessions.values():
            await s.rollback()

    async def close(self) -> None:
        for s in self._sessions.values():
            await s.close()
        self._sessions.clear()


@asynccontextmanager
async def unit_of_work(stores: Stores) -> AsyncIterator[UnitOfWork]:
    uow = UnitOfWork(stores)
    try:
        yield uow
        await uow.commit()
    except BaseException:
        await uow.rollback()
        raise
    finally:
        await uow.close()
