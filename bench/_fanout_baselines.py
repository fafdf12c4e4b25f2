"""Baseline servers for bench/fanout.py, run as their own process.

``ws``  — a bare ``websockets`` broadcast server: every chat line is sent at once to every
          client (``websockets.broadcast``), likes are summed and broadcast every 100 ms.
``tcp`` — raw asyncio fan-out over TCP, newline-delimited JSON, same semantics.

They speak just enough of chuhai's protocol (a hello, ``batch`` frames) for the same client
harness to measure them.
"""

from __future__ import annotations

import asyncio
import json
import sys

import uvloop
import websockets


async def run_ws(port: int) -> None:
    clients: set[websockets.ServerConnection] = set()
    likes = 0
    seq = 0

    async def handler(ws: websockets.ServerConnection) -> None:
        nonlocal likes, seq
        clients.add(ws)
        await ws.send(json.dumps({"type": "hello", "seq": seq}))
        try:
            async for raw in ws:
                msg = json.loads(raw)
                if msg["type"] == "chat":
                    seq += 1
                    frame = json.dumps({"type": "batch", "events": [
                        {"seq": seq, "type": "chat", "data": {"text": msg["text"]}}]})
                    websockets.broadcast(clients, frame)
                elif msg["type"] == "like":
                    likes += msg.get("n", 1)
        finally:
            clients.discard(ws)

    async def ticker() -> None:
        while True:
            await asyncio.sleep(0.1)
            websockets.broadcast(clients, json.dumps(
                {"type": "batch", "events": [], "agg": {"counters": {"likes": likes}}}))

    async with websockets.serve(handler, "127.0.0.1", port, max_queue=None,
                                compression=None):
        tick = asyncio.create_task(ticker())
        await asyncio.Future()
        tick.cancel()


async def run_tcp(port: int) -> None:
    writers: set[asyncio.StreamWriter] = set()
    likes = 0
    seq = 0

    def fan_out(line: bytes) -> None:
        for w in list(writers):
            if w.transport.get_write_buffer_size() > 1 << 20:
                writers.discard(w)
                w.close()
            else:
                w.write(line)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal likes, seq
        writers.add(writer)
        writer.write((json.dumps({"type": "hello", "seq": seq}) + "\n").encode())
        try:
            while line := await reader.readline():
                msg = json.loads(line)
                if msg["type"] == "chat":
                    seq += 1
                    fan_out((json.dumps({"type": "batch", "events": [
                        {"seq": seq, "type": "chat", "data": {"text": msg["text"]}}]})
                             + "\n").encode())
                elif msg["type"] == "like":
                    likes += msg.get("n", 1)
        finally:
            writers.discard(writer)

    async def ticker() -> None:
        while True:
            await asyncio.sleep(0.1)
            fan_out((json.dumps({"type": "batch", "events": [],
                                 "agg": {"counters": {"likes": likes}}}) + "\n").encode())

    server = await asyncio.start_server(handler, "127.0.0.1", port, limit=1 << 16)
    tick = asyncio.create_task(ticker())
    async with server:
        await server.serve_forever()
    tick.cancel()


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    # The event loop chuhai runs on (uvicorn picks uvloop when installed): a fair floor.
    uvloop.run(run_ws(port) if kind == "ws" else run_tcp(port))
