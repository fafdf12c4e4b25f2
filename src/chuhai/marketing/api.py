"""``POST /api/marketing/campaigns``: send a message to past buyers who agreed to marketing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from chuhai.core.actor import Perm
from chuhai.core.text import NonEmptyText, SafeModel
from chuhai.marketing import service
from chuhai.marketing.models import Campaign
from chuhai.marketing.schemas import CampaignOut
from chuhai.web.deps import CurrentActor, UoW

router = APIRouter(prefix="/api/marketing", tags=["marketing"])


class CampaignIn(SafeModel):
    markets: list[Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]] = Field(
        min_length=1, max_length=30)
    title: Annotated[NonEmptyText, Field(max_length=200)]
    body: Annotated[NonEmptyText, Field(max_length=5000)]


def _out(c: Campaign) -> dict[str, Any]:
    return {"id": c.id, "markets": c.markets, "title": c.title, "counts": c.counts,
            "created_at": c.created_at.isoformat() if c.created_at else None}


@router.post("/campaigns", status_code=201, response_model=CampaignOut)
async def create_campaign(body: CampaignIn, uow: UoW, actor: CurrentActor) -> dict[str, Any]:
    """Queues one message per past buyer in ``markets`` whose marketing consent allows it;
    ``counts.blocked`` says how many were left out and why (refused, default_opt_in,
    age_gate …)."""
    sent = await service.send(uow, actor, markets=body.markets, title=body.title,
                              body=body.body)
    await uow.commit()
    return _out(sent.campaign)


@router.get("/campaigns", response_model=list[CampaignOut])
async def list_campaigns(uow: UoW, actor: CurrentActor) -> list[dict[str, Any]]:
    actor.require(Perm.SELLING)
    rows = (await uow.global_.scalars(select(Campaign).where(
        Campaign.org_id == actor.org()).order_by(Campaign.created_at.desc()).limit(100))).all()
    return [_out(c) for c in rows]
