"""Demand over HTTP: a live room's sell-out risk for its host console and operators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from chuhai.demand import live, planning
from chuhai.demand.schemas import DemandOut, SelloutOut
from chuhai.web.deps import CurrentActor, limit

router = APIRouter(prefix="/api", tags=["demand"])


@router.get("/rooms/{room_id}/sellout", response_model=SelloutOut)
async def get_room_sellout(room_id: Annotated[str, Path(max_length=40)], request: Request,
                           actor: CurrentActor) -> dict[str, Any]:
    """For each pinned product's SKUs, per warehouse serving the room: the units left, the
    pace since the pin, the minute they are expected to run out and the probability they
    run out before the room's planned end (the next hour when it has none, said so). From
    the threshold on (``CHUHAI_SELLOUT_ALERT_P``) an estimate carries an alert with the
    options — pause the pin, open a waitlist, another warehouse — and a
    ``room.sellout_risk`` webhook goes out once. Counts only."""
    await limit(request, f"room-sellout:{actor.subject_id}", 240, 60)
    stores = request.app.state.stores
    return await live.room_sellout(stores, actor, room_id, stores.settings.sellout_alert_p,
                                   request.app.state.live.bus)


@router.get("/demand/forecast", response_model=DemandOut)
async def get_forecast(
        request: Request, actor: CurrentActor,
        sku_id: Annotated[str, Query(max_length=40)],
        market: Annotated[str, Query(pattern=r"^[A-Za-z]{2}$")],
        horizon: Annotated[int, Query(ge=1, le=365)] = 56,
        service: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
) -> dict[str, Any]:
    """A SKU's daily units paid in a market over the last 90 days, the forecast ``horizon``
    days ahead with its 80 % interval (statsforecast; scheduled rooms and drops as known
    events), and per overseas warehouse serving the market what to reorder now for its
    restock lead time at the ``service`` level. Codes: ``sku_not_found``,
    ``unknown_market``, ``bad_horizon``."""
    await limit(request, f"demand:{actor.subject_id}", 60, 60)
    return await planning.sku_demand(request.app.state.stores, actor, sku_id, market,
                                     horizon, datetime.now(UTC), service=service)
