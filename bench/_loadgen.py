"""The client harness for bench/fanout.py, run as its own process.

Opens N viewer connections, waits for every hello, then for ``seconds`` sends chat lines at
a fixed (open-loop) rate from poster connections and likes from liker connections. Each line
carries its send time; every viewer records receive time − send time for every line. Prints
one JSON object: latency percentiles, lines expected and received, connect time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import orjson
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


async def read_ws(ws: websockets.ClientConnection, viewer: Viewer, stop: asyncio.Event) -> None:
    try:
        async for raw in ws:
            now = time.time()
            if '"chat"' not in raw:  # aggregates only: no line to time (cheap harness)
                continue
            frame = orjson.loads(raw)
            for ev in frame.get("events", ()):
                if ev.get("type") == "chat":
                    text = ev["data"]["text"]
                    mark = text.find("b|")
                    if mark >= 0:
                        _, n, sent = text[mark:].split("|")
                        viewer.lines.add(int(n))
                        viewer.latencies.append(now - decode_time(sent))
            if stop.is_set():
                return
    except websockets.ConnectionClosed:
        return


async def read_tcp(reader: asyncio.StreamReader, viewer: Viewer, stop: asyncio.Event) -> None:
    while line := await reader.readline():
        now = time.time()
        frame = json.loads(line)
        for ev in frame.get("events", ()):
            if ev.get("type") == "chat":
                _, n, sent = ev["data"]["text"].split("|")
                viewer.lines.add(int(n))
                viewer.latencies.append(now - decode_time(sent))
        if stop.is_set():
            return


async def connect_ws(url: str, viewers: list[Viewer], tasks: list[asyncio.Task[None]],
                     stop: asyncio.Event) -> websockets.ClientConnection:
    ws = await websockets.connect(url, max_queue=None, compression=None, open_timeout=60,
                                  ping_interval=None)
    json.loads(await ws.recv())  # hello
    viewer = Viewer()
    viewers.append(viewer)
    tasks.append(asyncio.create_task(read_ws(ws, viewer, stop)))
    return ws


async def main(a: argparse.Namespace) -> None:
    stop = asyncio.Event()
    viewers: list[Viewer] = []
    tasks: list[asyncio.Task[None]] = []
    conns: list[object] = []
    t0 = time.perf_counter()
    sem = asyncio.Semaphore(200)

    langs = [x for x in a.langs.split(",") if x]

    async def one(i: int) -> None:
        async with sem:
            if a.transport == "ws":
                url = a.url.replace("lang=en", f"lang={langs[i % len(langs)]}") if langs \
                    else a.url
                conns.append(await connect_ws(url, viewers, tasks, stop))
            else:
                reader, writer = await asyncio.open_connection(a.host, a.port, limit=1 << 16)
                await reader.readline()
                viewer = Viewer()
                viewers.append(viewer)
                tasks.append(asyncio.create_task(read_tcp(reader, viewer, stop)))
                conns.append(writer)

    await asyncio.gather(*(one(i) for i in range(a.viewers)))
    connect_s = time.perf_counter() - t0
    # Announced at once, so a caller can measure the sending phase alone (server CPU).
    print(json.dumps({"connected": len(viewers), "connect_s": round(connect_s, 2)}),
          flush=True)
    if a.idle:
        await asyncio.sleep(a.idle)
        return

    async def sender_ws(url: str) -> websockets.ClientConnection:
        ws = await websockets.connect(url, compression=None, ping_interval=None)
        await ws.recv()
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
    stop.set()
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
    for t in tasks:
        t.cancel()


if __name__ == "__main__":
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
    asyncio.run(main(p.parse_args()))
