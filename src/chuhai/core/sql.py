"""Small SQL helpers that differ by dialect (SQLite and PostgreSQL run the same code path)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_for(session: AsyncSession, table: Table) -> Any:
    """``INSERT`` with ``on_conflict_do_*`` for the session's dialect."""
    return insert_for_dialect(dialect(session), table)


def insert_for_dialect(name: str, table: Table) -> Any:
    """``INSERT`` with ``on_conflict_do_*`` for the dialect named ``name``."""
    if name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
