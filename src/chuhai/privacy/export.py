"""Access and portability (GDPR arts. 15 and 20, CCPA right to know, LGPD art. 18, PIPL
art. 45 …): everything chuhai holds about one person, from every store, as a ZIP of JSON and
CSV files with a manifest.

The data map drives it (privacy.datawalk), so a new table is covered the day it is
declared: every column declared as the person's pseudonymous id is a key by which their
rows are found, and foreign keys lead on to rows that hang off those (an order's payments),
in the global store and in every regional store — which also shows the person where their
data lives. The manifest lists each table's data categories (fideslang) as the
data map declares them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Column

from chuhai.core.actor import Actor
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import GLOBAL, Stores
from chuhai.core.errors import NotFound
from chuhai.core.migrate import target_metadata
from chuhai.core.workers import offload
from chuhai.privacy import audit, datawalk

FORMAT_VERSION = 1


# Credentials and session secrets are the person's data too, but handing them out would
# let whoever holds the export sign in as them: they are listed, not shown.
WITHHELD = "[withheld: credential]"
SECRET_NAMES = frozenset({"password_hash", "token_hash", "id_hash", "csrf_token", "login_key"})


def _is_secret(column: Column[Any]) -> bool:
    return column.name in SECRET_NAMES or str(column.info.get("pd", "")).startswith(
        "user.authorization")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Export:
    data: bytes
    counts: dict[str, int]  # "store/table" → rows


def export_dir(settings: Settings) -> Path:
    """Where access-request exports wait for the person to download them (30 days:
    retention.py; erasure deletes a person's at once)."""
    return Path(settings.data_dir) / "exports"


async def export_subject(stores: Stores, subject_id: str, *,
                         actor: Actor | None = None) -> Export:
    subject_id = subject_id.strip()[:40]
    store_names = [GLOBAL, *stores.regions]
    tables: dict[str, list[dict[str, Any]]] = {}
    categories: dict[str, dict[str, str]] = {}
    for name in store_names:
        md = target_metadata(GLOBAL if name == GLOBAL else "regional")
        async with stores.session(name) as s:
            found = await datawalk.find(s, md, subject_id)
        for table_name, rows in found.items():
            table = md.tables[table_name]
            where = f"{name}/{table_name}"
            secret = {c.name for c in table.columns if _is_secret(c)}
            tables[where] = [{k: WITHHELD if k in secret and v is not None else _plain(v)
                              for k, v in r.items()} for r in rows]
            categories[where] = {c.name: c.info["pd"] for c in table.columns
                                 if "pd" in c.info}
    if not any(k == f"{GLOBAL}/subjects" for k in tables):
        raise NotFound("subject", subject_id, code="subject_not_found")
    counts = {k: len(v) for k, v in tables.items()}
    manifest = {
        "format": FORMAT_VERSION, "subject": subject_id,
        "generated_at": utcnow().isoformat(), "stores_searched": store_names,
        "tables": {k: {"rows": counts[k], "categories": categories[k]} for k in tables},
        "note": "Every store was searched by every column that holds this person's id; "
                "categories are the data map's fideslang categories per column.",
    }
    package = await offload(_package, manifest, tables)
    async with stores.session() as s:
        await audit.append(s, actor=actor.subject_id if actor else "system",
                           org_id=actor.org_id if actor else None, action="dsr.export",
                           subject=subject_id, details={"tables": counts})
        await s.commit()
    return Export(package, counts)


def _package(manifest: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> bytes:
    """The zip a person downloads: JSON and CSV per table. Grows with their data, so it is
    built in a worker thread, not on the event loop."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        for where, rows in sorted(tables.items()):
            zf.writestr(f"data/{where}.json", orjson.dumps(rows, option=orjson.OPT_INDENT_2))
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: orjson.dumps(v).decode() if isinstance(v, dict | list)
                                 else v for k, v in row.items()})
            zf.writestr(f"data/{where}.csv", out.getvalue())
    return buf.getvalue()
