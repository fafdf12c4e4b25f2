"""Room REST routes (operators) and the customer's follow/sign-in routes."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, EmailStr, Field

from chuhai.core.errors import NotFound
from chuhai.live import service
from chuhai.live.schemas import FollowOut, ReplayOut, RoomIn, RoomOut, RoomPatch
from chuhai.web.deps import (
    SESSION_COOKIE,
    CurrentActor,
    UoW,
    accounts,
    admit_sign_in,
    set_cookie,
    signed_in,
)

router = APIRouter(prefix="/api", tags=["live"])


@router.get("/rooms", response_model=list[RoomOut])
async def list_rooms(uow: UoW, actor: CurrentActor) -> list[RoomOut]:
    return [await service.room_out(uow, r) for r in await service.list_rooms(uow, actor)]


@router.post("/rooms", response_model=RoomOut, status_code=201)
async def create_room(body: RoomIn, uow: UoW, actor: CurrentActor) -> RoomOut:
    return await service.room_out(uow, await service.create_room(uow, actor, body))


@router.get("/rooms/{room_id}", response_model=RoomOut)
async def get_room(room_id: str, uow: UoW, actor: CurrentActor) -> RoomOut:
    return await service.room_out(uow, await service.get_room(uow, actor, room_id[:40]))


@router.patch("/rooms/{room_id}", response_model=RoomOut)
async def update_room(room_id: str, body: RoomPatch, uow: UoW, actor: CurrentActor) -> RoomOut:
    return await service.room_out(uow, await service.update_room(uow, actor, room_id[:40],
                                                                 body))


async def _status(request: Request, uow: UoW, actor: CurrentActor, room_id: str,
                  status: str) -> RoomOut:
    room = await request.app.state.live.change_status(uow, actor, room_id[:40], status)
    return await service.room_out(uow, room)


@router.post("/rooms/{room_id}/open", response_model=RoomOut)
async def open_room(room_id: str, request: Request, uow: UoW, actor: CurrentActor) -> RoomOut:
    """Go live: viewers see the status change at once."""
    return await _status(request, uow, actor, room_id, "live")


@router.post("/rooms/{room_id}/end", response_model=RoomOut)
async def end_room(room_id: str, request: Request, uow: UoW, actor: CurrentActor) -> RoomOut:
    """End the room; it becomes a replay at /replay/{id}."""
    return await _status(request, uow, actor, room_id, "ended")


@router.get("/rooms/{room_id}/replay", response_model=ReplayOut)
async def replay(room_id: str, request: Request, uow: UoW) -> ReplayOut:
    """Public: an ended room's recording, chat in time, and product chapters."""
    room = await service.public_room(uow, room_id)
    if room.status != "ended":
        raise NotFound("replay", room_id[:40], code="replay_not_ready")
    chapters, chat = await service.replay(uow, room, request.app.state.stores.regions)
    return ReplayOut(room=await service.room_out(uow, room), chapters=chapters, chat=chat)


class CustomerLogin(BaseModel):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=256)


@router.post("/customers/session", status_code=204, responses={
    401: {"description": "E-mail or password is wrong, or no such account "
                         "(`bad_credentials`: the same answer for both)"},
    429: {"description": "Too many sign-in attempts (`rate_limited`): slowed per address, "
                         "per account and per account and address, never locked; retry "
                         "after `retry_after` seconds (also the Retry-After header)"}})
async def customer_sign_in(body: CustomerLogin, request: Request, response: Response,
                           uow: UoW) -> Response:
    """A buyer signs in (cookie session) to chat, ask, vote and buy. Attempts are slowed
    per address, per account and per (account, address) — 429 ``rate_limited`` with
    Retry-After — except from a device that signed in to the account before."""
    attempt = await admit_sign_in(request, body.email)
    acc = accounts(request, uow)
    actor = await acc.authenticate_customer(body.email, body.password)
    ttl = timedelta(hours=request.app.state.settings.buyer_session_ttl_hours)
    raw, _csrf = await acc.open_session(actor, ttl)
    response.status_code = 204
    set_cookie(response, request, SESSION_COOKIE, raw, max_age=int(ttl.total_seconds()))
    await signed_in(request, response, attempt)
    return response


class FollowIn(BaseModel):
    follow: bool = True


@router.post("/rooms/{room_id}/follow", response_model=FollowOut)
async def follow_seller(room_id: str, body: FollowIn, uow: UoW,
                        actor: CurrentActor) -> dict[str, bool]:
    """Follow (or unfollow) the seller of a room; kept in the customer's region."""
    room = await service.public_room(uow, room_id)
    return {"following": await service.follow(uow, actor, room.org_id, body.follow)}
