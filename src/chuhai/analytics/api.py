"""Engagement events from pages: ``POST /api/events``. Who sent them is the signed-in
customer or the signed guest cookie — never an id the page chooses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from chuhai.analytics import service
from chuhai.analytics.events import parse_batch
from chuhai.analytics.schemas import EventsIn, EventsOut
from chuhai.core.errors import InvalidInput
from chuhai.privacy.consent import gpc_signal
from chuhai.web.deps import UoW, client_ip, limit
from chuhai.web.people import identify

router = APIRouter(prefix="/api", tags=["analytics"])


@router.post("/events", response_model=EventsOut, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {
        "schema": EventsIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}})
async def post_events(request: Request, uow: UoW) -> dict[str, Any]:
    """Record up to 50 events. ``mode`` says whether they were kept with your id (analytics
    consent given) or only counted anonymously."""
    await limit(request, f"events:{client_ip(request)}", 120, 60)
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidInput("the body must be JSON", code="bad_json") from exc
    if not isinstance(body, dict):
        raise InvalidInput("the body must be an object", code="bad_json")
    events = parse_batch(body.get("events"))
    person = await identify(request, uow, body.get("market"))
    result = await service.record(uow, events, market=person.market, country=person.country,
                                  subject_id=person.subject_id, region=person.region,
                                  gpc=gpc_signal(request.headers))
    await uow.commit()
    return {"accepted": result.accepted, "mode": result.mode}
