"""What keeps a product or SKU from being deleted: rows elsewhere that point at it.

Found from the schema, not from a list: every table with a foreign key to ``skus`` or
``products`` holds the row when that key does not cascade (drop lines, auctions), or when the
table is an append-only record (the stock ledger), whose rows must outlive nothing they name.
A new table that points at a SKU is covered the day it is declared.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.core.db import GlobalBase
from chuhai.core.errors import Conflict

TARGETS = ("skus", "products")


def _holding_columns() -> list[tuple[Table, Column[str], str]]:
    found = []
    for table in GlobalBase.metadata.sorted_tables:
        if table.name in TARGETS:
            continue
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target not in TARGETS:
                continue
            if fk.ondelete is None or table.info.get("append_only"):
                found.append((table, fk.parent, target))
    return found


async def holders(session: AsyncSession, product_ids: Iterable[str],
                  sku_ids: Iterable[str]) -> dict[str, int]:
    """Rows per table that point at any of these products or SKUs (none: deletable)."""
    ids = {"products": list(product_ids), "skus": list(sku_ids)}
    counts: dict[str, int] = {}
    for table, column, target in _holding_columns():
        if not ids[target]:
            continue
        n = await session.scalar(select(func.count()).select_from(table).where(
            column.in_(ids[target])))
        if n:
            counts[table.name] = counts.get(table.name, 0) + int(n)
    return counts


def in_use(what: str, counts: dict[str, int]) -> Conflict:
    """409 ``product_in_use`` naming what holds it, and what to do instead."""
    named = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in sorted(counts.items()))
    err = Conflict(f"{what} is in use ({named}); archive it instead (PATCH status=archived) "
                   "so its stock history, drops and orders stay intact",
                   code="product_in_use")
    err.extra["held_by"] = counts
    return err
