"""Prepared frames under a real uvicorn: the ``chuhai.send_prepared`` extension writes the
shared bytes to the socket, a client reads them as ordinary messages, and a closed socket
refuses further writes; other protocols simply do not offer it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
import websockets

from chuhai.realtime.prepared import PROTOCOL_PATH, SocketGone, send_prepared_of, uvicorn_ws
from chuhai.realtime.protocol import frame_text
from tests.live.harness import free_port


class App:
    """Accepts, sends three prepared frames and one ASGI text, then waits for the close."""

    def __init__(self) -> None:
        self.found: list[Any] = []
        self.after_close: list[str] = []
        self.closed = asyncio.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        prepared = send_prepared_of(scope)
        self.found.append(prepared)
        if prepared is not None:
            shared = frame_text("shared")
            for _ in range(3):
                assert prepared(shared)
        await send({"type": "websocket.send", "text": "through asgi"})
        while (await receive())["type"] != "websocket.disconnect":
            pass
        if prepared is not None:
            try:
                prepared(frame_text("too late"))
            except SocketGone:
                self.after_close.append("refused")
        self.closed.set()


async def serve(app: App, ws: str) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws=ws,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, port


async def test_prepared_frames_reach_the_client_as_messages_and_stop_at_close():
    app = App()
    server, task, port = await serve(app, PROTOCOL_PATH)
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            got = [await asyncio.wait_for(client.recv(), 5) for _ in range(4)]
        assert got == ["shared", "shared", "shared", "through asgi"]
        await asyncio.wait_for(app.closed.wait(), 5)
        assert app.after_close == ["refused"]
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize("impl", ["websockets-sansio"])
async def test_other_protocols_do_not_offer_the_extension(impl: str):
    app = App()
    server, task, port = await serve(app, uvicorn_ws(impl))
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            assert await asyncio.wait_for(client.recv(), 5) == "through asgi"
        assert app.found == [None]
    finally:
        server.should_exit = True
        await task


def test_the_setting_names_the_protocol():
    assert uvicorn_ws("chuhai") == PROTOCOL_PATH
    assert uvicorn_ws("wsproto") == "wsproto"
