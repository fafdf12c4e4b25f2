"""Erasure (GDPR art. 17, CCPA deletion, LGPD art. 18 VI, PIPL art. 47 …): one person's data
removed from every store, walking the same data map as the export.

Each table with personal data has a policy, so a new table cannot be forgotten
(``test_every_table_with_personal_data_has_an_erasure_policy``):
- ``delete`` — the row goes (profile, sessions, tokens, follows, waitlist places, consent
  decisions — the audit log keeps each ``consent.change`` under the pseudonymous id as the
  proof of consent — engagement events, queued marketing messages);
- ``scrub`` — the row stays for what it means to others (a chat line in a replay, a bid in an
  auction's history, a reservation in the stock count) but every personal column is cleared
  and the person's id is replaced by a one-way pseudonym, the same in every table, so the
  rows still belong together but to nobody;
- ``legal_hold`` — as scrub, for records the law makes the seller keep (orders and their
  payments and events: tax and accounting law, e.g. 10 years under DE AO §147): amounts,
  dates and items stay, the name, address, contact and card details go;
- ``keep`` — the audit log: it names people only by pseudonymous id, and the record of who
  processed what is itself a legal obligation (GDPR art. 5(2), 30); after erasure that id
  points to nobody.
Chat lines in the Redis resume log are scrubbed the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Column, Table, delete, select, update

from chuhai.core.actor import Actor
from chuhai.core.db import GLOBAL, PSEUDONYMOUS_ID, Stores
from chuhai.core.errors import NotFound
from chuhai.core.migrate import target_metadata
from chuhai.privacy import audit, datawalk
from chuhai.privacy.export import export_dir
from chuhai.privacy.models import DataRequest

POLICIES: dict[str, str] = {
    # global store
    "subjects": "delete", "api_tokens": "delete", "web_sessions": "delete",
    "waitlist": "delete", "room_sanctions": "scrub", "auctions": "scrub",
    "drop_buyers": "scrub", "stock_entries": "scrub", "bids": "scrub",
    "reservations": "scrub", "audit_log": "keep",
    "carts": "delete", "cart_lines": "delete",  # a cart is an intent, not a record
    # regional stores
    "customers": "delete", "staff_profiles": "delete", "follows": "delete",
    "room_messages": "scrub", "orders": "legal_hold", "order_events": "legal_hold",
    "order_lines": "legal_hold",
    "payments": "legal_hold", "consent_ledger": "delete", "analytics_events": "delete",
    "marketing_messages": "delete", "data_request_details": "delete",
    "forwarded_messages": "delete", "experiment_assignments": "delete",
    # global: the request queue keeps its record (deadline met, what was done) under the
    # pseudonym; a campaign keeps its author's pseudonym
    "data_requests": "scrub", "marketing_campaigns": "scrub", "transfer_people": "scrub",
    "experiments": "scrub",
    # a host's daily trust counts stay (nobody else's data) under the pseudonym; a duty
    # invoice is the seller's tax record, its recorder's pseudonym kept
    "trust_days": "scrub", "duty_invoices": "scrub",
}
# What a scrubbed personal column becomes, where a neutral value reads better than NULL.
REPLACEMENTS: dict[tuple[str, str], Any] = {
    ("room_messages", "author_name"): "deleted user",
    ("room_messages", "text"): "[message deleted]",
}
ERASED = "[erased]"


def pseudonym(subject_id: str, key: bytes) -> str:
    """One-way and keyed: the same person gets the same stand-in in every table, and the
    stand-in cannot be turned back into the id without the server's key."""
    digest = hmac.new(key, subject_id.encode(), hashlib.sha256).hexdigest()[:24]
    return f"erased_{digest}"


def _personal(column: Column[Any]) -> bool:
    category = column.info.get("pd")
    return bool(category) and category not in (PSEUDONYMOUS_ID["pd"], "system.operations")


def _cleared(table: Table, column: Column[Any]) -> Any:
    if (table.name, column.name) in REPLACEMENTS:
        return REPLACEMENTS[(table.name, column.name)]
    if column.nullable:
        return None
    py = column.type.python_type
    if py is str:
        return ERASED[: getattr(column.type, "length", None) or None]
    if py in (dict, list):
        return py()
    return None


@dataclass(frozen=True)
class Erasure:
    subject: str
    pseudonym: str
    counts: dict[str, dict[str, int]]  # "store/table" → {"deleted": n} or {"scrubbed": n}


async def erase_subject(stores: Stores, subject_id: str, key: bytes, *,
                        actor: Actor | None = None, redis: Any = None) -> Erasure:
    subject_id = subject_id.strip()[:40]
    stand_in = pseudonym(subject_id, key)
    counts: dict[str, dict[str, int]] = {}
    names = [GLOBAL, *stores.regions]
    seen_subject = False
    for name in names:
        md = target_metadata(GLOBAL if name == GLOBAL else "regional")
        async with stores.session(name) as s:
            found = await datawalk.find(s, md, subject_id)
            if name == GLOBAL:
                seen_subject = "subjects" in found
                if not seen_subject:
                    break
            # children before parents, so deleting a row never trips a foreign key
            for table in reversed(md.sorted_tables):
                rows = found.get(table.name)
                if not rows:
                    continue
                policy = POLICIES.get(table.name)
                if policy is None:
                    raise RuntimeError(f"no erasure policy for table {table.name}")
                if policy == "keep":
                    continue
                where = datawalk.pk_filter(table, rows)
                if policy == "delete":
                    result = await s.execute(delete(table).where(where))
                    gone = int(getattr(result, "rowcount", 0) or 0)
                    counts[f"{name}/{table.name}"] = {"deleted": gone}
                    continue
                values: dict[str, Any] = {c.name: _cleared(table, c)
                                          for c in table.columns if _personal(c)}
                if values:  # first: the id may be part of the key the filter uses
                    await s.execute(update(table).where(where).values(values))
                for col in datawalk.subject_columns(table):
                    if any(r[col.name] == subject_id for r in rows):
                        await s.execute(update(table).where(where, col == subject_id)
                                        .values({col.name: stand_in}))
                counts[f"{name}/{table.name}"] = {"scrubbed": len(rows)}
            await s.commit()
    if not seen_subject:
        raise NotFound("subject", subject_id, code="subject_not_found")
    await _checkpoint(stores, names)
    counts.update(await _remove_exports(stores, subject_id, stand_in))
    if redis is not None:
        counts["redis/room logs"] = {"scrubbed": await _scrub_redis(redis, subject_id,
                                                                     stand_in)}
    async with stores.session() as s:
        await audit.append(s, actor=actor.subject_id if actor else "system",
                           org_id=actor.org_id if actor else None, action="dsr.erase",
                           subject=stand_in, details={"changes": counts})
        await s.commit()
    return Erasure(subject_id, stand_in, counts)


async def _remove_exports(stores: Stores, subject_id: str, stand_in: str
                          ) -> dict[str, dict[str, int]]:
    """Access exports waiting for download hold the person's data too: delete the files
    (the requests, already scrubbed to the stand-in, keep their SHA-256 as the record)."""

    async with stores.session() as s:
        names = (await s.scalars(select(DataRequest.id).where(
            DataRequest.subject_id.in_((subject_id, stand_in)),
            DataRequest.kind == "access"))).all()
    folder = export_dir(stores.settings)
    removed = 0
    for name in names:
        path = folder / f"{name}.zip"
        if path.is_file():
            path.unlink()
            removed += 1
    return {"files/exports": {"deleted": removed}} if removed else {}


async def _checkpoint(stores: Stores, names: list[str]) -> None:
    """SQLite keeps recent page images in its write-ahead log until a checkpoint: fold the
    log into the (securely deleted) file and truncate it, so no copy of the erased rows
    stays on disk. PostgreSQL reclaims dead rows with its own (auto)vacuum."""
    for name in names:
        engine = stores.engines[name]
        if engine.dialect.name != "sqlite":
            continue
        async with engine.connect() as conn:
            await conn.exec_driver_sql("COMMIT")  # the begin hook opened one; leave it
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


async def _scrub_redis(redis: Any, subject_id: str, stand_in: str,
                       prefix: str = "chuhai:") -> int:
    """The live rooms' resume logs hold recent chat events: scrub the person's lines (and
    the translations of those lines) in place."""
    changed = 0
    async for key in redis.scan_iter(match=f"{prefix}room:*:log", count=200):
        raws = await redis.lrange(key, 0, -1)
        theirs: set[int] = set()
        for i, raw in enumerate(raws):
            ev = orjson.loads(raw)
            data = ev.get("data", {})
            mine = data.get("author_id") == subject_id
            if mine:
                theirs.add(int(ev.get("seq", 0)))
                data.update(author_id=stand_in, author="deleted user",
                            text="[message deleted]", translations={})
            elif ev.get("type") == "chat.translation" and data.get("seq") in theirs:
                data.update(text="[message deleted]")
                mine = True
            if mine:
                await redis.lset(key, i, orjson.dumps(ev))
                changed += 1
    return changed
