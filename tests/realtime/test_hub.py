"""The hub: one serialization per (room, language), likes folded per tick, slow viewers
dropped without slowing the others."""

from __future__ import annotations

import asyncio
import json
import time
from unittest import mock

from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode
from websockets.streams import StreamReader

from chuhai.realtime import hub as hub_module
from chuhai.realtime.bus import MemoryBus
from chuhai.realtime.hub import Hub, audience_key, viewer_minutes_key
from chuhai.realtime.prepared import SocketGone
from chuhai.realtime.protocol import Close, frame_text


async def test_each_language_is_serialized_once_and_shared_by_its_viewers():
    bus = MemoryBus()
    hub = Hub(bus, tick_s=0.05, coalesce_s=0.0)
    conns = [hub.new_connection(lang) for lang in ["en"] * 50 + ["de"] * 30 + ["ja"] * 20]
    for c in conns:
        await hub.join("r", c)
    with mock.patch.object(hub_module, "build_frame", wraps=hub_module.build_frame) as spy:
        for i in range(3):
            await bus.publish("r", "chat", {"text": f"m{i}"})
        await asyncio.sleep(0.05)
    assert spy.call_count == 3  # three languages, one frame each: not one per viewer
    frames = {c.lang: c.frames.popleft() for c in conns[::10]}
    assert len({id(f) for f in frames.values()}) == 3
    assert [e["data"]["text"] for e in json.loads(frames["en"].text)["events"]] == [
        "m0", "m1", "m2"]
    await hub.close()


async def test_a_burst_of_likes_becomes_one_aggregate_per_tick():
    bus = MemoryBus()
    hub = Hub(bus, tick_s=0.05)
    conn = hub.new_connection("en")
    await hub.join("r", conn)
    for _ in range(5000):
        hub.add_likes("r", 1)
    await asyncio.sleep(0.2)
    frames = []
    while conn.frames:
        frames.append(json.loads(conn.frames.popleft().text))
    likes = [f["agg"]["counters"]["likes"] for f in frames
             if "likes" in f.get("agg", {}).get("counters", {})]
    assert likes == [5000]
    await hub.close()


async def test_a_slow_viewer_is_dropped_and_the_others_keep_receiving():
    bus = MemoryBus()
    hub = Hub(bus, tick_s=0.05, coalesce_s=0.0, queue_size=4)
    slow, fast = hub.new_connection("en"), hub.new_connection("en")
    dropped = []
    slow.on_close = dropped.append
    await hub.join("r", slow)
    await hub.join("r", fast)
    for i in range(10):
        await bus.publish("r", "chat", {"text": str(i)})
        await asyncio.sleep(0.005)
        fast.frames.clear()
    assert dropped == [Close.SLOW_CONSUMER] and slow.closed == Close.SLOW_CONSUMER
    assert fast.closed is None
    await hub.close()


async def test_leaving_the_last_viewer_unsubscribes_the_room():
    bus = MemoryBus()
    hub = Hub(bus)
    conn = hub.new_connection("en")
    await hub.join("r", conn)
    await hub.leave("r", conn)
    assert "r" not in hub.rooms
    await bus.publish("r", "chat", {})
    assert not conn.frames
    await hub.close()


async def test_run_eagerly_finishes_writes_that_need_no_wait_without_a_task():
    from chuhai.realtime.hub import run_eagerly

    done = []

    async def quick() -> None:
        done.append("quick")

    assert run_eagerly(quick()) is None and done == ["quick"]

    gate = asyncio.Event()

    async def blocked() -> None:
        await gate.wait()
        done.append("blocked")

    task = run_eagerly(blocked())
    assert task is not None and done == ["quick"]
    gate.set()
    await task
    assert done == ["quick", "blocked"]


async def test_frames_go_straight_to_the_socket_and_queue_only_behind_a_busy_write():
    bus = MemoryBus()
    hub = Hub(bus, tick_s=0.05, coalesce_s=0.0)
    conn = hub.new_connection("en")
    written: list[str] = []
    gate = asyncio.Event()
    gate.set()

    async def writer(text: str) -> None:
        await gate.wait()
        written.append(text)

    conn.writer = writer
    await hub.join("r", conn)
    await bus.publish("r", "chat", {"text": "a"})
    await asyncio.sleep(0.02)
    assert len(written) == 1 and not conn.frames  # written synchronously by the hub
    gate.clear()
    await bus.publish("r", "chat", {"text": "b"})
    await asyncio.sleep(0.02)
    await bus.publish("r", "chat", {"text": "c"})
    await asyncio.sleep(0.02)
    assert len(written) == 1 and len(conn.frames) == 1  # b in flight, c waits its turn
    gate.set()
    await asyncio.sleep(0.02)
    nxt = await asyncio.wait_for(conn.next(), 1)
    assert "c" in nxt.text and "b" in written[1]
    await hub.close()


async def test_prepared_frames_share_one_framing_and_fall_back_to_asgi_when_the_socket_is_full():
    bus = MemoryBus()
    hub = Hub(bus, tick_s=0.05, coalesce_s=0.0)
    a, b = hub.new_connection("en"), hub.new_connection("en")
    wires: dict[str, list[bytes]] = {"a": [], "b": []}
    texts: list[str] = []
    room_for = {"a": True, "b": True}

    def prepared(name: str):  # type: ignore[no-untyped-def]
        def send(data: bytes) -> bool:
            if not room_for[name]:
                return False
            wires[name].append(data)
            return True
        return send

    async def writer(text: str) -> None:
        texts.append(text)

    for name, conn in (("a", a), ("b", b)):
        conn.prepared, conn.writer = prepared(name), writer
        await hub.join("r", conn)
    await bus.publish("r", "chat", {"text": "one"})
    await asyncio.sleep(0.02)
    assert wires["a"][0] is wires["b"][0]  # the same bytes object: framed once
    assert json.loads(parse_wire(wires["a"][0]))["events"][0]["data"]["text"] == "one"
    assert not texts and a.last_seq == b.last_seq == 1
    room_for["b"] = False  # b's socket is over its high-water mark
    await bus.publish("r", "chat", {"text": "two"})
    await asyncio.sleep(0.02)
    assert len(wires["a"]) == 2 and len(wires["b"]) == 1
    assert len(texts) == 1 and "two" in texts[0] and b.last_seq == 2  # sent through ASGI
    await hub.close()


async def test_a_viewer_whose_socket_is_gone_is_closed_by_the_prepared_send():
    bus = MemoryBus()
    hub = Hub(bus, tick_s=0.05, coalesce_s=0.0)
    conn = hub.new_connection("en")
    closed: list[int] = []
    conn.on_close = closed.append

    def gone(_data: bytes) -> bool:
        raise SocketGone

    async def writer(text: str) -> None:
        raise AssertionError("must not fall back to ASGI for a closed socket")

    conn.prepared, conn.writer = gone, writer
    await hub.join("r", conn)
    await bus.publish("r", "chat", {"text": "x"})
    await asyncio.sleep(0.02)
    assert closed == [Close.GOING_AWAY]
    await hub.close()


def parse_wire(data: bytes) -> str:
    """One server frame read back with the websockets library's own parser."""
    reader = StreamReader()
    reader.feed_data(data)
    parser = WireFrame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    assert frame.opcode is Opcode.TEXT and frame.fin and not reader.buffer
    return str(frame.data.decode())


def test_a_frames_wire_bytes_are_one_unmasked_text_frame():
    for text in ("hi", "é" * 100, "x" * 70_000):  # 7-bit, 16-bit and 64-bit lengths
        assert parse_wire(frame_text(text)) == text


def test_wire_headers_at_the_length_boundaries_follow_rfc_6455():
    # FIN + text opcode, then a 7-bit length, or 126 + 16 bits, or 127 + 64 bits; no mask.
    for size, header in ((125, b"\x81\x7d"), (126, b"\x81\x7e\x00\x7e"),
                         (65535, b"\x81\x7e\xff\xff"),
                         (65536, b"\x81\x7f" + (65536).to_bytes(8, "big"))):
        wire = frame_text("x" * size)
        assert wire[:len(header)] == header and len(wire) == len(header) + size


async def test_another_languages_translation_sends_no_frame_to_this_language():
    bus = MemoryBus()
    hub = Hub(bus, tick_s=0.05, coalesce_s=0.0)
    en, de = hub.new_connection("en"), hub.new_connection("de")
    for c in (en, de):
        await hub.join("r", c)
    line = await bus.publish("r", "chat", {"text": "hello", "lang": "en"})
    await asyncio.sleep(0.02)
    await bus.publish("r", "chat.translation", {"seq": line["seq"], "lang": "de",
                                                "text": "hallo", "machine": True})
    await asyncio.sleep(0.02)
    assert len(en.frames) == 1 and len(de.frames) == 2  # en: the line only
    last = json.loads(de.frames[-1].text)["events"]
    assert [e["type"] for e in last] == ["chat.translation"]
    await hub.close()


async def test_the_room_keeps_its_peak_viewers_and_the_seconds_they_watched():
    """Every second each node adds its viewers' seconds to the room's watch time and
    raises the peak to the most viewers counted at once; a lower count never lowers it."""
    bus = MemoryBus()
    hub = Hub(bus, tick_s=0.02)
    conns = [hub.new_connection("en") for _ in range(3)]
    for c in conns:
        await hub.join("r", c)
    hub._last_viewer_report -= 1.0  # a second has passed: report at the next tick
    await asyncio.sleep(0.1)
    counters = await bus.get_counters(audience_key("r"))
    assert counters["peak_viewers"] == 3
    assert 3 <= counters["watch_s"] <= 6  # three viewers, a second each (not the 5 s cap)
    assert "watch_s" not in await bus.get_counters("r")  # not sent to the room's viewers
    # the same seconds by wall-clock minute: the audience's trend for the sell-out estimate
    by_minute = await bus.get_counters(viewer_minutes_key("r"))
    assert set(by_minute) <= {str(int(time.time() // 60)), str(int(time.time() // 60) - 1)}
    assert sum(by_minute.values()) == counters["watch_s"]
    for c in conns[1:]:
        await hub.leave("r", c)
    hub._last_viewer_report -= 1.0
    await asyncio.sleep(0.1)
    assert (await bus.get_counters(audience_key("r")))["peak_viewers"] == 3
    await hub.close()
