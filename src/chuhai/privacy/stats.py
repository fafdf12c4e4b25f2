"""Consent statistics for the privacy officer: per market and purpose, how many people's
latest decision grants or refuses it. Counted in each region and summed — only numbers
leave a region, never who decided what."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from chuhai.core.db import Stores
from chuhai.privacy.models import ConsentRecord


async def consent_stats(stores: Stores) -> dict[str, dict[str, dict[str, int]]]:
    """market → purpose → {"granted", "refused", "gpc"} (people, by latest decision)."""
    out: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"granted": 0, "refused": 0, "gpc": 0}))
    latest = (select(ConsentRecord.subject_id, ConsentRecord.purpose,
                     func.max(ConsentRecord.id).label("last"))
              .where(ConsentRecord.purpose != "necessary")
              .group_by(ConsentRecord.subject_id, ConsentRecord.purpose).subquery())
    q = (select(ConsentRecord.market, ConsentRecord.purpose, ConsentRecord.granted,
                ConsentRecord.source, func.count())
         .join(latest, ConsentRecord.id == latest.c.last)
         .group_by(ConsentRecord.market, ConsentRecord.purpose, ConsentRecord.granted,
                   ConsentRecord.source))
    for region in stores.regions:
        async with stores.session(region) as s:
            for market, purpose, granted, source, n in (await s.execute(q)).all():
                cell = out[market][purpose]
                cell["granted" if granted else "refused"] += int(n)
                if source == "gpc":
                    cell["gpc"] += int(n)
    return {m: dict(p) for m, p in sorted(out.items())}


def rates(stats: dict[str, dict[str, dict[str, int]]]) -> list[dict[str, Any]]:
    """Flat rows with the opt-in rate, for tables and CSV."""
    rows = []
    for market, purposes in stats.items():
        for purpose, c in sorted(purposes.items()):
            decided = c["granted"] + c["refused"]
            rows.append({"market": market, "purpose": purpose, **c,
                         "rate": round(c["granted"] / decided, 3) if decided else None})
    return rows
