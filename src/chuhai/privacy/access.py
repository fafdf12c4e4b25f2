"""Staff access to personal data goes through here, so every look-up is in the audit log.

A seller's staff reading a buyer's shipping address or contact details is processing of
that buyer's personal data (GDPR art. 4(2)); the privacy officer must be able to show who
looked at whom, when, from which region — and a read from another region is a transfer
between regions, counted in the transfer register (privacy/transfers.py). The services that
hand personal data to staff (an order's detail, the order list) call ``record`` in the same
breath.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chuhai.core.actor import Actor
from chuhai.core.db import Stores
from chuhai.privacy import audit, transfers


async def record(stores: Stores, actor: Actor, *, what: str, subjects: Iterable[tuple[str, str]],
                 details: dict[str, Any] | None = None,
                 markets: Mapping[str, str] | None = None) -> None:
    """One entry per person read (``pd.read``), or one summary entry for a list of many
    (``pd.list``: the count and regions, not every name). People whose data lives in
    another region than the reader's are counted in the transfer register (``markets``:
    each person's market, which decides the exporting regime)."""
    people = list(dict.fromkeys(subjects))
    async with stores.session() as s:
        if actor.region:
            await transfers.count_people(
                s, to_region=actor.region,
                people=[(sub, reg, (markets or {}).get(sub, "")) for sub, reg in people
                        if reg != actor.region])
        if len(people) == 1:
            subject, region = people[0]
            await audit.append(s, actor=actor.subject_id, org_id=actor.org_id,
                               action="pd.read", subject=subject, region=region,
                               details={"what": what, **(details or {})})
        elif people:
            regions = sorted({r for _, r in people})
            await audit.append(s, actor=actor.subject_id, org_id=actor.org_id,
                               action="pd.list", region=",".join(regions),
                               details={"what": what, "people": len(people),
                                        **(details or {})})
        await s.commit()
