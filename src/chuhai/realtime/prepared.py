"""Prepared frames: a room's frame is framed for the wire once and the same bytes are
written to every viewer's socket.

Through ASGI, each viewer's send re-encodes the text, frames it, and passes three
coroutines (Starlette, the exception wrapper, uvicorn) before the one ``transport.write``
that matters; at thousands of viewers that was most of a node's CPU (bench/fanout.py).
``PreparedFramesProtocol`` is uvicorn's sansio WebSocket protocol with one addition: an
ASGI scope extension, ``chuhai.send_prepared``, that writes an already framed server
message straight to the transport when the socket can take it. Anything else (the
handshake, pings, close, flow control) stays uvicorn's. Under another server or protocol
the extension is absent and the hub sends through ASGI as before. See
docs/decisions/0008-prepared-frames.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "chuhai.send_prepared"
SendPrepared = Callable[[bytes], bool]
PROTOCOL_PATH = "chuhai.realtime.prepared:PreparedFramesProtocol"


def uvicorn_ws(impl: str) -> str:
    """uvicorn's ``ws`` argument for the ``CHUHAI_WS_IMPL`` setting: ``chuhai`` is this
    protocol; the others are uvicorn's own names."""
    return PROTOCOL_PATH if impl == "chuhai" else impl


class SocketGone(ConnectionError):
    """The viewer's socket is closed or closing: nothing more can be written to it."""


def send_prepared_of(scope: Mapping[str, Any]) -> SendPrepared | None:
    found = scope.get("extensions", {}).get(EXTENSION)
    return found if callable(found) else None


class PreparedFramesProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol plus the ``chuhai.send_prepared`` extension."""

    async def run_asgi(self) -> None:
        extensions = cast(dict[str, Any], self.scope.setdefault("extensions", {}))
        extensions[EXTENSION] = self.send_prepared
        try:
            await super().run_asgi()
        finally:
            # The bound method ties the protocol to its own scope: without this the pair
            # would wait for the cycle collector after every viewer leaves.
            extensions.pop(EXTENSION, None)

    def send_prepared(self, data: bytes) -> bool:
        """Write one prepared frame now. False when the transport is over its high-water
        mark (the caller queues and waits, as an ASGI send would); ``SocketGone`` once the
        socket is closed or a close was sent, after which no data frame may follow."""
        if self.disconnected or self.close_sent or self.transport.is_closing():
            raise SocketGone
        if not self.handshake_complete or self.initial_response is not None:
            raise SocketGone  # not an accepted WebSocket: nothing to send on
        if not self.writable.is_set():
            return False
        self.transport.write(data)
        return True
