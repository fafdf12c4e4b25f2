"""The data map: which column holds which kind of personal data, checked against fideslang.

Every column of a regional table declares ``info={"pd": <category>}`` with a category from
the fideslang taxonomy (shipped as data in ``rules/datamap``); columns that hold no personal
data say ``system.operations``. Global tables may hold no ``user.*`` category other than
``user.unique_id.pseudonymous``. Erasure, export and residency checks all walk this map, so
an undeclared column would be a column they silently miss — hence the start-up check.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import MetaData

PSEUDONYMOUS = "user.unique_id.pseudonymous"


@dataclass(frozen=True)
class Taxonomy:
    keys: frozenset[str]
    version: str
    licence: str

    def is_personal(self, category: str) -> bool:
        return category == "user" or category.startswith("user.")


@cache
def taxonomy() -> Taxonomy:
    path = resources.files("chuhai") / "rules" / "datamap" / "fideslang_data_categories.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    keys = frozenset(c["key"] for c in data["category"])
    return Taxonomy(keys=keys, version=str(data["version"]), licence=str(data["licence"]))


@dataclass(frozen=True)
class DataMapEntry:
    table: str
    column: str
    category: str


def entries(metadata: MetaData) -> list[DataMapEntry]:
    """Every declared (table, column, category) of ``metadata``."""
    out = []
    for table in metadata.sorted_tables:
        for col in table.columns:
            if "pd" in col.info:
                out.append(DataMapEntry(table.name, col.name, str(col.info["pd"])))
    return out


def personal_columns(metadata: MetaData) -> dict[str, list[str]]:
    """Table → columns holding personal data (what erasure and export must visit)."""
    tax = taxonomy()
    out: dict[str, list[str]] = {}
    for e in entries(metadata):
        if tax.is_personal(e.category) and e.category != PSEUDONYMOUS:
            out.setdefault(e.table, []).append(e.column)
    return out


def problems(global_md: MetaData, regional_md: MetaData) -> list[str]:
    """Everything wrong with the declarations; empty when the data map is sound."""
    tax = taxonomy()
    found: list[str] = []
    for md, where in ((global_md, "global"), (regional_md, "regional")):
        for table in md.sorted_tables:
            for col in table.columns:
                ref = f"{where} {table.name}.{col.name}"
                category = col.info.get("pd")
                if category is None:
                    if where == "regional":
                        found.append(f"{ref}: no personal-data category declared")
                    continue
                if category not in tax.keys:
                    found.append(f"{ref}: {category!r} is not a fideslang data category")
                elif where == "global" and tax.is_personal(category) and category != PSEUDONYMOUS:
                    found.append(f"{ref}: personal data ({category}) in a global table")
    return found


class DataMapError(RuntimeError):
    pass


def validate(global_md: MetaData, regional_md: MetaData) -> None:
    found = problems(global_md, regional_md)
    if found:
        raise DataMapError("data map is unsound:\n  " + "\n  ".join(found))
