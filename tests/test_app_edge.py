"""The HTTP edge of the app: bodies over the limit are refused with 413 whether declared or
streamed in chunks, and a client that goes away mid-body costs one log line, not a
traceback."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from chuhai.app import create_app
from tests.factories import make_tenant


async def _call(app: Any, path: str, chunks: list[bytes], *, disconnect: bool,
                headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """Drive the ASGI app by hand: the body arrives in ``chunks`` (chunked, no length), then
    the client either finishes or disconnects."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1234), "server": ("testserver", 80)}
    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    if not disconnect:
        messages.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.fixture
async def app_and_token(stores, migrated_settings):
    app = create_app(migrated_settings, stores=stores)
    tenant = await make_tenant(stores, migrated_settings)
    return app, [(b"authorization", f"Bearer {tenant.token}".encode()),
                 (b"content-type", b"application/json")]


async def test_a_chunked_body_past_the_limit_is_413(app_and_token, migrated_settings):
    app, headers = app_and_token
    chunk = b"x" * (1024 * 1024)
    n = migrated_settings.max_body_bytes // len(chunk) + 2
    sent = await _call(app, "/api/products", [chunk] * n, disconnect=False, headers=headers)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert b"payload_too_large" in b"".join(m.get("body", b"") for m in sent[1:])
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [413]


@pytest.mark.parametrize(("path", "body"), [
    ("/api/products", b'{"code": "HALF'),          # a JSON body FastAPI parses
    ("/api/quotes", b'{"market": "DE", "ite'),     # a body the route reads itself
    ("/login", b"email=a%40b.example&pass"),        # a form
])
async def test_a_client_that_disconnects_mid_body_is_one_log_line_without_traceback(
        app_and_token, caplog: pytest.LogCaptureFixture, path: str, body: bytes):
    app, headers = app_and_token
    caplog.set_level(logging.INFO)
    if path == "/login":
        headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    await _call(app, path, [body], disconnect=True, headers=headers)
    records = [r for r in caplog.records if r.name.startswith(("chuhai", "uvicorn"))]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].exc_info is None
    assert "disconnected" in records[0].getMessage()
