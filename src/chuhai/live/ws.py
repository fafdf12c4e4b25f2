"""The live-room WebSocket endpoint: authenticate, say hello (or resume), then relay.

One task reads the viewer's messages and dispatches them; another drains the viewer's
bounded queue of prebuilt frames to the socket. See docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from chuhai.accounts.models import Customer, StaffProfile
from chuhai.accounts.service import Accounts
from chuhai.core.actor import ActorKind, Perm
from chuhai.core.db import unit_of_work
from chuhai.core.errors import NotFound
from chuhai.core.guest import GUEST_COOKIE, read_guest_id
from chuhai.core.ids import new_id
from chuhai.live import service
from chuhai.live.actions import Dispatcher
from chuhai.live.models import Room
from chuhai.live.node import LiveNode, Viewer
from chuhai.live.state import RoomState
from chuhai.realtime.hub import Connection, RoomChannel
from chuhai.realtime.prepared import send_prepared_of
from chuhai.realtime.protocol import (
    PROTOCOL_VERSION,
    Close,
    Frame,
    ProtocolError,
    dumps,
    error_frame,
    localize,
    parse_client,
)
from chuhai.realtime.token_bucket import TokenBucket
from chuhai.web.deps import SESSION_COOKIE

log = logging.getLogger("chuhai.ws")
router = APIRouter()
MAX_STRIKES = 50  # rejected frames before a flooding client is closed


class ResumeFromFuture(Exception):
    pass


async def identify(ws: WebSocket, room: Room) -> Viewer:
    """Session cookie (same origin only), bearer token, guest cookie — or a new guest."""
    app = ws.app
    origin = ws.headers.get("origin")
    same_origin = origin is None or urlsplit(origin).netloc == ws.headers.get("host")
    auth = ws.headers.get("authorization", "")
    bearer = auth[7:] if auth[:7].lower() == "bearer " else ""
    token = ws.query_params.get("token") or bearer
    async with unit_of_work(app.state.stores) as uow:
        acc = Accounts(uow, app.state.signing_key)
        actor = None
        if token:
            actor = await acc.actor_for_token(token.strip())
        elif same_origin and ws.cookies.get(SESSION_COOKIE):
            found = await acc.session_actor(ws.cookies[SESSION_COOKIE])
            actor = found[0] if found else None
        if actor is not None and actor.region is not None:
            if actor.kind is ActorKind.STAFF:
                prof = await uow.region(actor.region).get(StaffProfile, actor.subject_id)
                name = prof.display_name if prof else "staff"
                role = "staff"
                if actor.org_id == room.org_id:
                    if actor.can(Perm.LIVE_HOST):
                        role = "host"
                    elif actor.can(Perm.LIVE_MODERATE):
                        role = "moderator"
                return Viewer(actor.subject_id, "staff", name, actor.region, role)
            cust = await uow.region(actor.region).get(Customer, actor.subject_id)
            return Viewer(actor.subject_id, "customer", cust.display_name if cust else "viewer",
                          actor.region, "viewer")
    gid = read_guest_id(app.state.signing_key, ws.cookies.get(GUEST_COOKIE)) or new_id("gst")
    return Viewer(gid, "guest", "guest", None, "guest")


def _room_title(room: Room, lang: str) -> str:
    return room.titles.get(lang) or room.titles.get(lang.split("-")[0]) or next(
        iter(room.titles.values()), "")


async def hello(node: LiveNode, room: Room, state: RoomState, ch: RoomChannel, viewer: Viewer,
                lang: str, market: str, since: int | None) -> tuple[str, int]:
    """The first frame: room, state, recent chat, counters — or the events missed since
    ``since``. Returns the frame and the seq it brings the viewer up to."""
    upto = ch.flushed_seq
    missed: list[dict[str, Any]] = []
    reset = since is None
    if since is not None:
        current = await node.bus.current_seq(room.id)
        if since > current:
            raise ResumeFromFuture
        events, _ = await node.bus.since(room.id, since)
        if events is None:  # older than the log: start over from a full snapshot
            reset = True
        else:
            missed = [x for e in events if e["seq"] <= upto
                      and (x := localize(e, lang)) is not None]
    counters = node.hub.snapshot_counters(room.id)
    body = {
        "v": PROTOCOL_VERSION, "type": "hello", "seq": upto if reset else max(since or 0, upto),
        "resumed": not reset, "reset": reset,
        "room": {"id": room.id, "title": _room_title(room, lang), "status": state.status,
                 "playback_url": room.playback_url, "markets": room.markets,
                 "disclosure": room.disclosure},
        "state": state.snapshot(),
        "messages": [x for e in state.recent if (x := localize(e, lang)) is not None]
        if reset else [],
        "missed": missed,
        "counters": counters.get("counters", {}), "viewers": counters.get("viewers", 0),
        "you": {"subject": viewer.subject_id, "kind": viewer.kind, "role": viewer.role,
                "name": viewer.name, "can_chat": viewer.can_chat, "lang": lang,
                "market": market},
    }
    return dumps(body), body["seq"]


async def _send_loop(ws: WebSocket, conn: Connection) -> None:
    """Drain what queued up while the socket was busy (or before the hello went out); when
    the mailbox is empty, the hub writes new frames straight to the socket."""
    conn.prepared = send_prepared_of(ws.scope)
    conn.writer = ws.send_text
    while True:
        frame = await conn.next()
        if conn.closed is not None:
            return
        text = conn.text_for(frame)
        if text is None:
            continue
        await ws.send_text(text)
        if frame.last:
            conn.last_seq = frame.last


# Plain ASCII digits: int() would also take "1_0", "+1", " 1" and "１" (any Unicode digit).
_SINCE = re.compile(r"[0-9]{1,18}")


def parse_since(raw: str | None) -> int | None:
    """``?since=``: None when absent or empty, else a non-negative integer written with
    digits 0-9 only (at most 18, so it fits a 64-bit counter); anything else: ValueError."""
    if raw is None or raw == "":
        return None
    if not _SINCE.fullmatch(raw):
        raise ValueError("since must be digits 0-9 only")
    return int(raw)


def _lang(raw: str | None) -> str:
    value = (raw or "en")[:16]
    return value if value.replace("-", "").isalnum() else "en"


@router.websocket("/ws/rooms/{room_id}")
async def room_socket(ws: WebSocket, room_id: str) -> None:
    node: LiveNode = ws.app.state.live
    await ws.accept()
    lang = _lang(ws.query_params.get("lang"))
    market = (ws.query_params.get("market") or "US")[:2].upper()
    try:
        since = parse_since(ws.query_params.get("since"))
    except ValueError:
        await ws.send_text(error_frame("bad_since", "since must be a sequence number: "
                                                    "digits 0-9 only"))
        await ws.close(Close.BAD_REQUEST)
        return
    try:
        async with unit_of_work(ws.app.state.stores) as uow:
            room = await service.public_room(uow, room_id)
        viewer = await identify(ws, room)
    except NotFound:
        await ws.send_text(error_frame("room_not_found", "no such room"))
        await ws.close(Close.ROOM_NOT_FOUND)
        return
    except Exception as exc:  # a bad token, mostly
        code = getattr(exc, "code", "unauthenticated")
        await ws.send_text(error_frame(code, getattr(exc, "message", "not signed in")))
        await ws.close(Close.UNAUTHENTICATED)
        return
    if room.status == "ended":
        await ws.send_text(error_frame("room_ended", f"the room has ended; replay at "
                                                     f"/replay/{room.id}"))
        await ws.close(Close.ROOM_ENDED)
        return
    state = await node.state_for(room)
    if viewer.subject_id in state.banned:
        await ws.send_text(error_frame("banned", "you are banned from this room"))
        await ws.close(Close.FORBIDDEN)
        return

    conn = node.hub.new_connection(lang)
    closing = asyncio.Event()

    def on_close(code: int) -> None:
        conn.closed = code
        closing.set()

    conn.on_close = on_close
    ch = await node.hub.join(room.id, conn)
    node.register(room.id, viewer.subject_id, conn)
    sender: asyncio.Task[None] | None = None
    receiver: asyncio.Task[None] | None = None
    try:
        try:
            text, upto = await hello(node, room, state, ch, viewer, lang, market, since)
        except ResumeFromFuture:
            await ws.send_text(error_frame("resume_from_future",
                                           "that sequence number has not happened yet"))
            await ws.close(Close.RESUME_FROM_FUTURE)
            return
        conn.last_seq = upto
        await ws.send_text(text)
        dispatcher = Dispatcher(node, room, viewer, conn, lang)
        sender = asyncio.create_task(_send_loop(ws, conn))
        receiver = asyncio.create_task(_receive_loop(ws, dispatcher, conn))
        waiter = asyncio.create_task(closing.wait())
        done, _ = await asyncio.wait({sender, receiver, waiter},
                                     return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if conn.closed is not None:
            with contextlib.suppress(Exception):
                if conn.closed == Close.SLOW_CONSUMER:
                    await asyncio.wait_for(ws.send_text(error_frame(
                        "slow_consumer", "you fell too far behind; reconnect to resume")), 1)
                await asyncio.wait_for(ws.close(conn.closed), 2)
        for task in done:
            if not task.cancelled() and task.exception() and not isinstance(
                    task.exception(), WebSocketDisconnect | RuntimeError):
                log.warning("room socket ended with %r", task.exception())
    finally:
        for task in (sender, receiver):
            if task is not None:
                task.cancel()
        node.unregister(room.id, viewer.subject_id, conn)
        await node.hub.leave(room.id, conn)


async def _receive_loop(ws: WebSocket, dispatcher: Dispatcher, conn: Connection) -> None:
    inbound = TokenBucket(rate=20, burst=40)
    strikes = 0
    while conn.closed is None:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        raw = message.get("text") or message.get("bytes") or b""
        try:
            if inbound.take(time.monotonic()):
                raise ProtocolError("rate_limited", "too many messages; slow down")
            await dispatcher.handle(parse_client(raw))
        except ProtocolError as err:
            strikes += 1
            if strikes > MAX_STRIKES:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.send_text(error_frame(
                        "flooding", "too many rejected messages")), 1)
                conn.closed = Close.FLOODING
                conn.on_close(Close.FLOODING)
                return
            conn.offer(Frame(error_frame(err.code, err.message, err.retry_after,
                                         err.details)))
