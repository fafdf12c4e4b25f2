"""Demand over HTTP: a live room's sell-out risk for its host console and operators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from chuhai.demand import live
from chuhai.demand.schemas import SelloutOut
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
    live_node = getattr(request.app.state, "live", None)
    return await live.room_sellout(stores, actor, room_id,
                                   stores.settings.sellout_alert_p,
                                   bus=getattr(live_node, "bus", None))
