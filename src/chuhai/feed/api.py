"""``GET /api/feed``: the market's live and upcoming rooms, ranked for you if you allow it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from chuhai.feed import service
from chuhai.feed.schemas import FeedOut
from chuhai.privacy.consent import gpc_signal
from chuhai.web.deps import UoW, client_ip, limit
from chuhai.web.people import identify

router = APIRouter(prefix="/api", tags=["feed"])


@router.get("/feed", response_model=FeedOut)
async def get_feed(request: Request, uow: UoW, market: str | None = None,
                   lang: Annotated[str | None, Query(max_length=16)] = None,
                   size: Annotated[int, Query(ge=1, le=100)] = 30) -> dict[str, Any]:
    """``personalized`` tells whether your own history shaped the order (personalization
    consent); otherwise every visitor in the market sees the same ranking."""
    await limit(request, f"feed:{client_ip(request)}", 120, 60)
    person = await identify(request, uow, market)
    feed = await service.build(uow, market=person.market, subject_id=person.subject_id,
                               region=person.region, gpc=gpc_signal(request.headers),
                               limit=size, country=person.country)
    await uow.commit()
    want = lang or person.language
    return {"market": feed.market, "personalized": feed.personalized,
            "signals": feed.signals,
            "items": [{"room_id": room.id, "status": room.status,
                       "title": room.titles.get(want) or next(iter(room.titles.values()), ""),
                       "starts_at": (room.started_at or room.scheduled_at).isoformat(),
                       "score": ranked.score, "reasons": list(ranked.reasons)}
                      for room, ranked in feed.items]}
