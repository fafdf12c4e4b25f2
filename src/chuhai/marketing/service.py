"""Sending a campaign: the consent gate sits at the one place a message is created.

The audience is the org's past buyers in the chosen markets. Each is checked against their
own consent (their home market's regime, their decisions, their age): only those whose
``marketing`` purpose is allowed get a queued message; the rest are counted by reason and
get nothing — not even a queued row that a later bug could deliver."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from chuhai.accounts.models import Customer
from chuhai.checkout.models import Order
from chuhai.core.actor import Actor, Perm
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import InvalidInput
from chuhai.core.ids import new_id
from chuhai.marketing.models import Campaign, MarketingMessage
from chuhai.markets.profiles import get_profile
from chuhai.privacy import audit, consent


@dataclass(frozen=True)
class Sent:
    campaign: Campaign
    queued: int
    blocked: dict[str, int]  # reason → people


async def send(uow: UnitOfWork, actor: Actor, *, markets: list[str], title: str,
               body: str) -> Sent:
    actor.require(Perm.SELLING)
    org_id = actor.org()
    wanted = sorted({m.upper() for m in markets})
    if not wanted or any(get_profile(m) is None for m in wanted):
        raise InvalidInput("name one or more known markets", code="unknown_country")
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise InvalidInput("a campaign needs a title and a body", code="empty_campaign")
    campaign = Campaign(id=new_id("cmp"), org_id=org_id, markets=wanted, title=title,
                        body=body, created_by=actor.subject_id)
    queued = 0
    blocked: Counter[str] = Counter()
    for region in uow.stores.regions:
        session = uow.region(region)
        buyers = (await session.scalars(select(Order.buyer_id).where(
            Order.org_id == org_id, Order.market.in_(wanted)).distinct())).all()
        for buyer in sorted(buyers):
            customer = await session.get(Customer, buyer)
            if customer is None:  # erased: their orders are pseudonymized, nobody to write to
                blocked["no_account"] += 1
                continue
            found = await consent.state(uow, subject_id=buyer, region=region,
                                        country=customer.home_country)
            verdict = found.purposes["marketing"]
            if not verdict.allowed:
                blocked[verdict.basis] += 1
                continue
            session.add(MarketingMessage(id=new_id("msg"), campaign_id=campaign.id,
                                         org_id=org_id, subject_id=buyer))
            queued += 1
    campaign.counts = {"queued": queued, "blocked": dict(blocked)}
    uow.global_.add(campaign)
    await audit.append(uow.global_, actor=actor.subject_id, org_id=org_id,
                       action="marketing.send",
                       details={"campaign": campaign.id, "queued": queued,
                                "blocked": dict(blocked)})
    return Sent(campaign, queued, dict(blocked))
