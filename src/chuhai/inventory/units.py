"""Taking units: the one conditional UPDATE every hold on stock goes through.

A drop's reservation, a cart's line and (later) a coupon's allowance all hold units the same
way: one ``UPDATE … SET <counter> = <counter> ∓ n WHERE <key> AND <free> >= n RETURNING
<free>`` as the first statement of a short transaction. The database decides atomically on
SQLite and PostgreSQL alike; no row back means there were not ``n`` free units, and nothing
was read before the write (a read is stale in a burst anyway). A *pool* says which row holds
the counter and what "free" means there:

* ``DROP_LINE`` — units a drop set aside for one market: ``remaining`` goes down;
* ``STOCK`` — a SKU's stock in one warehouse: ``allocated`` goes up while
  ``on_hand - allocated - reserved`` stays at least zero (the stock ledger's own invariant),
  so a cart's hold and a drop's allocation can never both take the last unit.

The statements are built once per pool: a burst runs them thousands of times a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chuhai.inventory.models import DropLine, StockLevel


@dataclass(frozen=True)
class Pool:
    """Where units of one kind of hold are counted: the row's key columns, the statement
    that takes ``qty`` units (answering what is free after it) and the one that gives them
    back."""

    name: str
    keys: tuple[str, ...]
    take_stmt: Any
    give_stmt: Any

    def params(self, key: Mapping[str, str], qty: int) -> dict[str, Any]:
        missing = [k for k in self.keys if k not in key]
        if missing:
            raise KeyError(f"{self.name} pool needs {', '.join(missing)}")
        # bound as ``k_<column>``: SQLAlchemy keeps a column's own name for its new value
        return {**{f"k_{k}": key[k] for k in self.keys}, "n_units": qty}


def _pool(name: str, table: Table, keys: tuple[str, ...], free: ColumnElement[int],
          counter: str, sign: int, ceiling: ColumnElement[int]) -> Pool:
    """``ceiling`` bounds what may be given back: never more than was taken, so a wrong
    give cannot mint units for the next take to oversell."""
    where = [table.c[k] == bindparam(f"k_{k}") for k in keys]
    moved = table.c[counter] + sign * bindparam("n_units")
    back = table.c[counter] - sign * bindparam("n_units")
    take_stmt = (update(table).where(*where, free >= bindparam("n_units"))
                 .values({counter: moved}).returning(free))
    give_stmt = (update(table).where(*where, ceiling >= bindparam("n_units"))
                 .values({counter: back}).returning(free))
    return Pool(name, keys, take_stmt, give_stmt)


_lines = cast(Table, DropLine.__table__)
_levels = cast(Table, StockLevel.__table__)
DROP_LINE = _pool("drop_line", _lines, ("id",), _lines.c.remaining, "remaining", -1,
                  ceiling=_lines.c.quantity - _lines.c.remaining)
STOCK = _pool("stock", _levels, ("sku_id", "warehouse_id"),
              _levels.c.on_hand - _levels.c.allocated - _levels.c.reserved, "allocated", +1,
              ceiling=_levels.c.allocated)


async def take(conn: AsyncConnection, pool: Pool, key: Mapping[str, str], qty: int
               ) -> int | None:
    """Take ``qty`` units from the pool's row; the units still free after, or None when
    fewer than ``qty`` were free (nothing changed). The caller owns the transaction."""
    if qty <= 0:
        raise ValueError("take a positive number of units")
    row = (await conn.execute(pool.take_stmt, pool.params(key, qty))).first()
    return None if row is None else int(row[0])


async def give(conn: AsyncConnection, pool: Pool, key: Mapping[str, str], qty: int) -> bool:
    """Put ``qty`` units back in the pool's row (a hold let go in the same transaction);
    False, changing nothing, when fewer than ``qty`` are out (a drop line's sold-out units
    that were never taken, a stock level's allocation) — a give can never mint units."""
    if qty <= 0:
        raise ValueError("give back a positive number of units")
    return (await conn.execute(pool.give_stmt, pool.params(key, qty))).first() is not None
