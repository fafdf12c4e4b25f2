"""The tamper-evident audit log: staff access to personal data, consent changes, requests
and erasures, each entry chained to the one before by a SHA-256 hash.

Why a chain: an auditor must be able to trust that nobody removed the record of a look-up
after the fact. Each entry's hash covers its fields and the previous entry's hash, so
editing an entry breaks its hash, removing one breaks the next entry's link (and the
numbering), and reordering breaks both. Truncating the tail is caught against the head row
— and, since whoever can rewrite the database can rewrite the head too, against a head
published elsewhere (`chuhai audit head`, `chuhai audit verify --expect SEQ:HASH`).

``entry_hash`` and ``verify`` are pure; ``append`` and ``read_chain`` talk to the global
store. Appending locks the head row first, so several nodes number entries without gaps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.core.clock import utcnow
from chuhai.privacy.models import AuditEntry, AuditHead

GENESIS = "0" * 64
# What is audited today; consent changes and request steps join as they are built.
ACTIONS = frozenset({"pd.read", "pd.list", "dsr.export", "dsr.erase", "retention.sweep",
                     "consent.change", "dsr.open", "dsr.forward", "dsr.verify", "dsr.extend",
                     "dsr.complete", "dsr.reject", "dsr.rectify", "marketing.send"})


def entry_hash(seq: int, at: datetime, actor: str, org_id: str | None, action: str,
               subject: str, region: str, details: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 over a canonical encoding (sorted keys, UTC microseconds)."""
    when = (at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC))
    body = orjson.dumps({
        "seq": seq, "at": when.isoformat(timespec="microseconds"),
        "actor": actor, "org": org_id or "", "action": action, "subject": subject,
        "region": region, "details": dict(details), "prev": prev_hash,
    }, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def _hash_of(e: AuditEntry) -> str:
    return entry_hash(e.seq, e.at, e.actor, e.org_id, e.action, e.subject, e.region,
                      e.details or {}, e.prev_hash)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str | None = None
    at_seq: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "problem": self.problem, "at_seq": self.at_seq}


def verify(entries: Iterable[AuditEntry], head: tuple[int, str] | None = None,
           expect: tuple[int, str] | None = None) -> Verification:
    """Walk the chain in stored order: numbering from 1 without gaps, each link to the
    previous hash, each hash recomputed; then the head row, then an external checkpoint."""
    prev, seq, checked = GENESIS, 0, 0
    seen: dict[int, str] = {}
    for e in entries:
        checked += 1
        if e.seq != seq + 1:
            return Verification(False, checked, seq, prev,
                                f"entry {seq + 1} is missing or out of order "
                                f"(found {e.seq})", e.seq)
        if e.prev_hash != prev:
            return Verification(False, checked, seq, prev,
                                f"entry {e.seq} does not link to entry {seq}", e.seq)
        if _hash_of(e) != e.hash:
            return Verification(False, checked, seq, prev,
                                f"entry {e.seq} was changed after it was written", e.seq)
        prev, seq = e.hash, e.seq
        seen[seq] = prev
    if head is not None and head != (seq, prev):
        return Verification(False, checked, seq, prev,
                            f"the head says entry {head[0]} but the log ends at {seq} "
                            "(entries were removed from the end, or the head was edited)",
                            seq)
    if expect is not None and seen.get(expect[0]) != expect[1]:
        return Verification(False, checked, seq, prev,
                            f"entry {expect[0]} does not carry the published hash", expect[0])
    return Verification(True, checked, seq, prev)


async def append(session: AsyncSession, *, actor: str, action: str, org_id: str | None = None,
                 subject: str = "", region: str = "",
                 details: Mapping[str, Any] | None = None) -> AuditEntry:
    """Add an entry in the caller's transaction (it commits with the act it records)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    # Taking the head row's write lock first (an UPDATE) serializes appenders on
    # PostgreSQL and SQLite alike; then the head is read under that lock.
    bumped = await session.execute(update(AuditHead).where(AuditHead.id == 1)
                                   .values(seq=AuditHead.seq + 1))
    if not getattr(bumped, "rowcount", 0):
        session.add(AuditHead(id=1, seq=1, hash=GENESIS))
        await session.flush()
    head = await session.scalar(select(AuditHead).where(AuditHead.id == 1)
                                .execution_options(populate_existing=True))
    assert head is not None
    seq, prev = head.seq, head.hash
    at = utcnow()
    data = dict(details or {})
    entry = AuditEntry(seq=seq, at=at, actor=actor, org_id=org_id, action=action,
                       subject=subject, region=region, details=data, prev_hash=prev,
                       hash=entry_hash(seq, at, actor, org_id, action, subject, region, data,
                                       prev))
    session.add(entry)
    head.hash = entry.hash
    await session.flush()
    return entry


async def read_chain(session: AsyncSession) -> tuple[list[AuditEntry], tuple[int, str] | None]:
    entries = list((await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())
    head = await session.scalar(select(AuditHead).where(AuditHead.id == 1))
    return entries, (None if head is None else (head.seq, head.hash))
