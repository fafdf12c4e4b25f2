"""Finding one person's rows in a store, from the data map.

First every table is searched by every column declared as a person's pseudonymous id
(``PSEUDONYMOUS_ID``); then, until nothing new turns up, every column declared as a
reference to a table already found (``info["refs"]``) is followed (an order's payments and
events). The
result drives both the export and the erasure, so the two can never disagree about what a
person's data is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, MetaData, Table, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.core.db import PSEUDONYMOUS_ID

Found = dict[str, list[dict[str, Any]]]  # table name → rows (as mappings)


def subject_columns(table: Table) -> list[Column[Any]]:
    """The columns that hold a person's pseudonymous id as text (their keys)."""
    return [c for c in table.columns if c.info.get("pd") == PSEUDONYMOUS_ID["pd"]
            and c.type.python_type is str]


def _references(table: Table) -> list[tuple[Column[Any], str, str]]:
    """(column, parent table, parent column) for every column declared
    ``info["refs"] = "table.column"``: rows that belong to the person *through* a row of
    theirs (an order's payments). Plain foreign keys are not followed: an auction the person
    leads is not theirs, and neither are the other bidders' bids on it."""
    out = []
    for col in table.columns:
        ref = col.info.get("refs")
        if ref:
            parent, _, parent_col = str(ref).partition(".")
            out.append((col, parent, parent_col))
    return out


def _pk(table: Table) -> Sequence[Column[Any]]:
    return list(table.primary_key.columns)


async def find(session: AsyncSession, md: MetaData, subject_id: str) -> Found:
    found: Found = {}
    for table in md.sorted_tables:
        keys = subject_columns(table)
        if keys:
            rows = (await session.execute(select(table).where(
                or_(*(k == subject_id for k in keys))))).mappings().all()
            if rows:
                found[table.name] = [dict(r) for r in rows]
    links = [(table, child, parent_table, parent_col) for table in md.sorted_tables
             for child, parent_table, parent_col in _references(table)]
    grew = True
    while grew:  # follow references to rows already found (an order's payments …)
        grew = False
        for table, child, parent, parent_col in links:
            if parent not in found:
                continue
            values = {r[parent_col] for r in found[parent]} - {None}
            if not values:
                continue
            rows = (await session.execute(select(table).where(
                child.in_(values)))).mappings().all()
            have = {tuple(r[c.name] for c in _pk(table)) for r in found.get(table.name, [])}
            new = [dict(r) for r in rows if tuple(r[c.name] for c in _pk(table)) not in have]
            if new:
                found.setdefault(table.name, []).extend(new)
                grew = True
    return found


def pk_filter(table: Table, rows: list[dict[str, Any]]) -> Any:
    cols = _pk(table)
    if len(cols) == 1:
        return cols[0].in_([r[cols[0].name] for r in rows])
    return tuple_(*cols).in_([tuple(r[c.name] for c in cols) for r in rows])
