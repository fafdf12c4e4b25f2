"""Where a value is stored: every SQLite file of the data dir byte by byte (the WAL too),
or on PostgreSQL every column of every table of every store, as text."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from chuhai.core.config import Settings
from chuhai.core.db import GLOBAL, Stores
from chuhai.core.migrate import target_metadata


def _store_of(path: Path) -> str:
    name = path.name.split(".db")[0]
    return name.removeprefix("region_")


async def where_stored(stores: Stores, settings: Settings,
                       needles: list[str]) -> list[tuple[str, str]]:
    """(store, needle) for every store that holds a needle anywhere."""
    hits: set[tuple[str, str]] = set()
    if settings.database_url and settings.database_url.startswith("postgresql"):
        for name in (GLOBAL, *stores.regions):
            md = target_metadata(GLOBAL if name == GLOBAL else "regional")
            async with stores.session(name) as s:
                for table in md.sorted_tables:
                    for row in (await s.execute(select(table))).all():
                        blob = " ".join(str(v) for v in row)
                        hits |= {(name, n) for n in needles if n in blob}
        return sorted(hits)
    for f in Path(settings.data_dir).glob("*.db*"):
        data = f.read_bytes()
        hits |= {(_store_of(f), n) for n in needles if n.encode() in data}
    return sorted(hits)


async def tables_holding(stores: Stores, needle: str,
                         skip: frozenset[str] = frozenset()) -> list[str]:
    """``store/table`` for every table with a row that mentions ``needle`` (as text)."""
    found = []
    for name in (GLOBAL, *stores.regions):
        md = target_metadata(GLOBAL if name == GLOBAL else "regional")
        async with stores.session(name) as s:
            for table in md.sorted_tables:
                if table.name in skip:
                    continue
                rows = (await s.execute(select(table))).all()
                if any(needle in " ".join(str(v) for v in row) for row in rows):
                    found.append(f"{name}/{table.name}")
    return found
