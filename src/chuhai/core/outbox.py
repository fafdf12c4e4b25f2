"""The transactional outbox: an event is written in the same transaction as the change it
describes, in the same store, so it exists if and only if the change committed.

Each store has its own ``outbox`` table (order events live in the buyer's region, drop
events in the global store). The webhook dispatcher reads every store's outbox and turns
events into deliveries; payloads carry ids, statuses and amounts — never personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import NOT_PERSONAL, GlobalBase, RegionalBase
from chuhai.core.ids import new_id


class GlobalOutbox(GlobalBase):
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    org_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegionalOutbox(RegionalBase):
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True, info=NOT_PERSONAL)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    event_id: Mapped[str] = mapped_column(String(40), unique=True, info=NOT_PERSONAL)
    org_id: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    type: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    # Built by ``event()`` callers from ids, statuses and amounts only.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, info=NOT_PERSONAL)
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False, index=True,
                                             info=NOT_PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info=NOT_PERSONAL)


def outbox_row(org_id: str, type_: str, data: dict[str, Any],
               event_id: str | None = None) -> dict[str, Any]:
    """A global outbox row's values (for a Core insert in the caller's transaction).
    ``event_id``: a fixed id for an event that must go out once (the unique id refuses a
    second)."""
    event_id = event_id or new_id("evt")
    now = utcnow()
    return {"event_id": event_id, "org_id": org_id, "type": type_, "dispatched": False,
            "payload": {"id": event_id, "type": type_, "created": now.isoformat(),
                        "data": data}, "created_at": now}


def enqueue(session: AsyncSession, org_id: str, type_: str, data: dict[str, Any],
            region: str | None = None, event_id: str | None = None) -> str:
    """Add an event to the outbox of the session's store; committed with the caller's change.
    ``region`` is given for a regional store and omitted for the global one; ``event_id``
    fixes the id of an event that must go out only once."""
    row = outbox_row(org_id, type_, data, event_id)
    fixed: str = row["event_id"]
    now, payload = row["created_at"], row["payload"]
    if region is None:
        session.add(GlobalOutbox(**row))
    else:
        session.add(RegionalOutbox(region=region, event_id=fixed, org_id=org_id,
                                   type=type_, payload=payload, created_at=now))
    return fixed
