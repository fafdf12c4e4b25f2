"""A viewer's frames leave in sequence order even when the socket was busy: a frame the
hub offers while the mailbox is being drained waits behind it, whichever path (prepared
bytes or ASGI) each one takes."""

from __future__ import annotations

import asyncio
import json

from chuhai.live.ws import _send_loop
from chuhai.realtime.bus import MemoryBus
from chuhai.realtime.hub import Hub
from chuhai.realtime.prepared import EXTENSION


class SlowSocket:
    """An ASGI WebSocket whose sends wait for ``gate`` (the transport is over its high-water
    mark); prepared writes go through the moment they are made."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.wire: list[str] = []
        self.scope = {"extensions": {EXTENSION: self.prepared}}

    def prepared(self, data: bytes) -> bool:
        self.wire.append(data[2:].decode())  # short frames: a two-byte header
        return True

    async def send_text(self, text: str) -> None:
        await self.gate.wait()
        self.wire.append(text)


def texts(wire: list[str]) -> list[str]:
    return [e["data"]["text"] for frame in wire for e in json.loads(frame)["events"]]


async def test_a_frame_offered_during_a_drain_goes_out_after_the_one_being_drained():
    bus = MemoryBus()
    hub = Hub(bus, tick_s=0.05, coalesce_s=0.0)
    conn = hub.new_connection("en")
    await hub.join("r", conn)
    await bus.publish("r", "chat", {"text": "A"})  # before the hello: A waits in the mailbox
    await asyncio.sleep(0.02)
    ws = SlowSocket()
    sender = asyncio.create_task(_send_loop(ws, conn))  # type: ignore[arg-type]
    await asyncio.sleep(0.02)  # the drain has taken A and waits for the socket
    await bus.publish("r", "chat", {"text": "B"})
    await asyncio.sleep(0.02)
    ws.gate.set()
    await asyncio.sleep(0.05)
    assert texts(ws.wire) == ["A", "B"]
    assert conn.last_seq == 2
    await bus.publish("r", "chat", {"text": "C"})  # the mailbox is empty again: direct
    await asyncio.sleep(0.02)
    assert texts(ws.wire) == ["A", "B", "C"]
    sender.cancel()
    await hub.close()
