"""The client harness for bench/fanout.py, run as its own process.

Opens N viewer connections, waits for every hello, then for ``seconds`` sends chat lines at
a fixed (open-loop) rate from poster connections and likes from liker connections. Each line
carries its send time; every viewer records receive time − send time for every line. Prints
one JSON object: latency percentiles, lines expected and received, connect time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import resource
import time
from urllib.parse import urlsplit

import orjson
import uvloop
import websockets


def encode_time(t: float) -> str:
    """Microseconds in letters: a run of digits in a chat line looks like a phone or card
    number to the PII stage, which would (rightly) mask the timestamp."""
    us, out = int(t * 1_000_000), ""
    while us:
        us, r = divmod(us, 26)
        out = chr(97 + r) + out
    return out


def decode_time(s: str) -> float:
    us = 0
    for ch in s:
        us = us * 26 + ord(ch) - 97
    return us / 1_000_000


class Viewer:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.lines: set[int] = set()

    def on_text(self, raw: bytes, now: float) -> None:
        if b'"chat"' not in raw:
            return  # aggregates only: no line to time
        frame = orjson.loads(raw)
        for ev in frame.get("events", ()):
            if ev.get("type") == "chat":
                text = ev["data"]["text"]
                mark = text.find("b|")
                if mark >= 0:
                    _, n, sent = text[mark:].split("|")
                    self.lines.add(int(n))
                    self.latencies.append(now - decode_time(sent))


class WsViewer(asyncio.Protocol):
    """A viewer's WebSocket as a bare protocol: the upgrade, then server frames parsed
    straight from the bytes (RFC 6455 §5.2; server frames are never masked), pings
    answered. The harness must cost far less per frame than the servers it measures: one
    Python process holds thousands of these, and with a full client library per socket
    its own queueing was most of the latency it reported (bench/fanout.py)."""

    def __init__(self, host: str, target: str, hello: asyncio.Future[None]) -> None:
        self.host, self.target, self.hello = host, target, hello
        self.viewer = Viewer()
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((f"GET {self.target} HTTP/1.1\r\nHost: {self.host}\r\n"
                         "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                        .encode())

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.fail(bytes(buf[:end]).decode(errors="replace"))
                return
            del buf[:end + 4]
            self.upgraded = True
        while len(buf) >= 2:
            opcode, size, head = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if size == 126:
                if len(buf) < 4:
                    return
                size, head = int.from_bytes(buf[2:4], "big"), 4
            elif size == 127:
                if len(buf) < 10:
                    return
                size, head = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < head + size:
                return
            payload = bytes(buf[head:head + size])
            del buf[:head + size]
            if opcode == 1:
                if not self.hello.done():
                    self.hello.set_result(None)
                else:
                    self.viewer.on_text(payload, now)
            elif opcode == 9:
                self.send(0xA, payload)  # pong
            elif opcode == 8:
                self.fail("closed by the server")
                return

    def send(self, opcode: int, payload: bytes) -> None:
        """A client frame: masked, as RFC 6455 requires (only short control frames here)."""
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert self.transport is not None
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def fail(self, why: str) -> None:
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(str(exc)))


class TcpViewer(asyncio.Protocol):
    """The raw TCP baseline's viewer: newline-delimited JSON, the first line the hello."""

    def __init__(self, hello: asyncio.Future[None]) -> None:
        self.hello, self.viewer, self.buf = hello, Viewer(), b""

    def data_received(self, data: bytes) -> None:
        now = time.time()
        *lines, self.buf = (self.buf + data).split(b"\n")
        for line in lines:
            if not self.hello.done():
                self.hello.set_result(None)
            else:
                self.viewer.on_text(line, now)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(str(exc)))


async def connect_ws(url: str) -> Viewer:
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    hello: asyncio.Future[None] = loop.create_future()
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    proto = WsViewer(parts.netloc, target, hello)
    await loop.create_connection(lambda: proto, parts.hostname, parts.port)
    await asyncio.wait_for(hello, 60)
    return proto.viewer


async def connect_tcp(host: str, port: int) -> Viewer:
    loop = asyncio.get_running_loop()
    hello: asyncio.Future[None] = loop.create_future()
    proto = TcpViewer(hello)
    await loop.create_connection(lambda: proto, host, port)
    await asyncio.wait_for(hello, 60)
    return proto.viewer


async def main(a: argparse.Namespace) -> None:
    viewers: list[Viewer] = []
    t0 = time.perf_counter()
    sem = asyncio.Semaphore(200)

    langs = [x for x in a.langs.split(",") if x]

    async def one(i: int) -> None:
        async with sem:
            if a.transport == "ws":
                url = a.url.replace("lang=en", f"lang={langs[i % len(langs)]}") if langs \
                    else a.url
                viewers.append(await connect_ws(url))
            else:
                viewers.append(await connect_tcp(a.host, a.port))

    await asyncio.gather(*(one(i) for i in range(a.viewers)))
    connect_s = time.perf_counter() - t0
    # Announced at once, so a caller can measure the sending phase alone (server CPU).
    print(json.dumps({"connected": len(viewers), "connect_s": round(connect_s, 2)}),
          flush=True)
    if a.idle:
        await asyncio.sleep(a.idle)
        return

    drains: list[asyncio.Task[None]] = []

    async def drain(ws: websockets.ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _ in ws:
                pass  # senders read what the room broadcasts, or they would be slow consumers

    async def sender_ws(url: str) -> websockets.ClientConnection:
        ws = await websockets.connect(url, compression=None, ping_interval=None)
        await ws.recv()
        drains.append(asyncio.create_task(drain(ws)))
        return ws

    if a.transport == "ws":
        poster = await sender_ws(a.poster_url)
        likers = [await sender_ws(a.url) for _ in range(a.likers)]

        async def send(conn: websockets.ClientConnection, obj: dict[str, object]) -> None:
            await conn.send(json.dumps(obj))
    else:
        _, poster = await asyncio.open_connection(a.host, a.port)
        likers = [(await asyncio.open_connection(a.host, a.port))[1] for _ in range(a.likers)]

        async def send(conn, obj):  # type: ignore[no-untyped-def]
            conn.write((json.dumps(obj) + "\n").encode())

    await asyncio.sleep(1.0)
    start = time.perf_counter()
    total_lines = int(a.seconds * a.rate)
    like_frames = int(a.seconds * a.likes / 50)

    async def post_lines() -> None:
        for n in range(total_lines):
            target = start + n / a.rate
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            head = f"{a.phrase} " if a.phrase else ""
            await send(poster, {"type": "chat",
                                "text": f"{head}b|{n}|{encode_time(time.time())}"})

    async def post_likes() -> None:
        for n in range(like_frames):
            target = start + n * 50 / max(a.likes, 1)
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            await send(likers[n % len(likers)], {"type": "like", "n": 50})

    jobs = [post_lines()] + ([post_likes()] if a.likes and likers else [])
    await asyncio.gather(*jobs)
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        if all(len(v.lines) >= total_lines for v in viewers):
            break
        await asyncio.sleep(0.1)
    lat = sorted(x for v in viewers for x in v.latencies)

    def pct(p: float) -> float:
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else -1.0

    received = sum(len(v.lines) for v in viewers)
    print(json.dumps({
        "viewers": len(viewers), "connect_s": round(connect_s, 2), "lines": total_lines,
        "expected": total_lines * len(viewers), "received": received,
        "lost": total_lines * len(viewers) - received,
        "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": pct(1.0),
    }), flush=True)
    for t in drains:
        t.cancel()


def raise_open_file_limit() -> None:
    """Thousands of sockets need as many descriptors: take the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


if __name__ == "__main__":
    raise_open_file_limit()
    p = argparse.ArgumentParser()
    p.add_argument("--transport", default="ws")
    p.add_argument("--url", default="")
    p.add_argument("--poster-url", default="")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--viewers", type=int, default=100)
    p.add_argument("--rate", type=float, default=10)
    p.add_argument("--likes", type=float, default=0)
    p.add_argument("--likers", type=int, default=10)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--idle", type=float, default=0)
    p.add_argument("--phrase", default="", help="text before each timed line (pipeline runs)")
    p.add_argument("--langs", default="", help="viewer languages, round robin (e.g. en,de,ja)")
    uvloop.run(main(p.parse_args()))
