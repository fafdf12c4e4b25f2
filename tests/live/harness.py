"""A real chuhai node (uvicorn in a thread, or a subprocess) on a migrated temp install, a
seeded seller with a live room, and small WebSocket client helpers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets

from chuhai.accounts.service import Accounts, actor_of
from chuhai.app import create_app
from chuhai.catalog import service as catalog
from chuhai.catalog.schemas import ProductIn
from chuhai.core.actor import Actor, Role
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores, unit_of_work
from chuhai.core.migrate import upgrade_all
from chuhai.core.secrets_store import signing_key
from chuhai.live import service as live
from chuhai.live.schemas import RoomIn
from chuhai.realtime.prepared import uvicorn_ws

PASSWORD = "viewer-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Seed:
    org_id: str
    room_id: str
    ended_room_id: str
    host_token: str
    mod_token: str
    products: list[str]
    customers: dict[str, str] = field(default_factory=dict)  # email → subject id


async def _seed(settings: Settings) -> Seed:
    stores = Stores(settings)
    try:
        await upgrade_all(stores)
        async with unit_of_work(stores) as uow:
            acc = Accounts(uow, signing_key(settings))
            org = await acc.create_org(f"live-{time.time_ns()}", "Live Org", "CN")
            system = Actor.system(org.id)
            host, _ = await acc.create_staff(system, f"host{org.id}@x.example", "Host Amy",
                                             PASSWORD, Role.HOST)
            mod, _ = await acc.create_staff(system, f"mod{org.id}@x.example", "Mod Ken",
                                            PASSWORD, Role.MODERATOR)
            _, host_token = await acc.create_token(actor_of(host), "t")
            _, mod_token = await acc.create_token(actor_of(mod), "t")
            customers = {}
            for email, name, country in (("de@v.example", "Lena", "DE"),
                                         ("us@v.example", "Jo", "US"),
                                         ("jp@v.example", "Yui", "JP")):
                c = await acc.create_customer(tagged(email, org.id), name, country,
                                              password=PASSWORD)
                customers[email] = c.id
            products = []
            for i in range(4):
                p = await catalog.create_product(uow.global_, system, ProductIn.model_validate({
                    "code": f"L{i}", "title": f"Speaker {i}", "hs_code": "851822",
                    "origin_country": "CN", "weight_g": 500, "customs_value": "20",
                    "customs_currency": "USD",
                    "listings": [{"market": "US", "title": f"Speaker {i}", "price": "59.00"},
                                 {"market": "DE", "title": f"Lautsprecher {i}",
                                  "price": "54.99"}]}))
                products.append(p.id)
            room_in = RoomIn.model_validate({
                "titles": {"en": "Launch day", "de": "Starttag"}, "markets": ["US", "DE", "JP"],
                "scheduled_at": utcnow() + timedelta(minutes=5),
                "run_of_show": [{"product_id": p, "planned_minutes": 5} for p in products]})
            room = await live.create_room(uow, system, room_in)
            room.status = "live"
            room.started_at = utcnow()
            ended = await live.create_room(uow, system, room_in)
            ended.status = "ended"
        return Seed(org.id, room.id, ended.id, host_token, mod_token, products, customers)
    finally:
        await stores.dispose()


def tagged(email: str, org_id: str) -> str:
    """A per-run address: the same seed runs in several modules against one database."""
    local, domain = email.split("@")
    return f"{local}.{org_id.replace('_', '')}@{domain}"


def seed(settings: Settings) -> Seed:
    return asyncio.run(_seed(settings))


class ThreadServer:
    """uvicorn in a background thread: lets async tests talk to a real socket server."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                ws_max_size=64 * 1024, lifespan="on",
                                ws=uvicorn_ws(settings.ws_impl), ws_per_message_deflate=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.02)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class ProcessServer:
    """A separate app process (a second node), as an operator would run it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ProcessServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chuhai.cli", "serve", "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(150):
            try:
                if httpx.get(f"{self.base}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("node did not start")

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)


async def customer_cookie(base: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        resp = await client.post("/api/customers/session",
                                 json={"email": email, "password": PASSWORD})
        assert resp.status_code == 204, resp.text
        return f"chuhai_session={resp.cookies['chuhai_session']}"


class Client:
    """A test viewer: connects, keeps every frame, answers ``next_event``."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.hello: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self.aggs: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.notices: list[dict[str, Any]] = []  # screening findings on our own lines

    @classmethod
    async def connect(cls, base: str, room: str, *, token: str | None = None,
                      cookie: str | None = None, since: int | None = None, lang: str = "en",
                      market: str = "US") -> Client:
        url = base.replace("http", "ws") + f"/ws/rooms/{room}?lang={lang}&market={market}"
        if token:
            url += f"&token={token}"
        if since is not None:
            url += f"&since={since}"
        headers = {"Cookie": cookie} if cookie else {}
        ws = await websockets.connect(url, additional_headers=headers, open_timeout=15)
        client = cls(ws)
        first = json.loads(await asyncio.wait_for(ws.recv(), 15))  # a cold node warms up
        if first["type"] == "hello":
            client.hello = first
            client.events.extend(first.get("missed", []))
        else:
            client.errors.append(first)
        return client

    async def send(self, **msg: Any) -> None:
        await self.ws.send(json.dumps(msg))

    async def pump(self, until: Any, timeout: float = 5.0) -> None:
        """Read frames until ``until(self)`` is true."""
        deadline = time.monotonic() + timeout
        while not until(self):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"condition not met; events={self.events[-5:]} "
                                   f"errors={self.errors[-3:]}")
            try:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            except TimeoutError:
                raise TimeoutError(f"condition not met; events={self.events[-5:]} "
                                   f"errors={self.errors[-3:]}") from None
            if frame["type"] == "batch":
                self.events.extend(frame["events"])
                if "agg" in frame:
                    self.aggs.append(frame["agg"])
            elif frame["type"] == "error":
                self.errors.append(frame)
            elif frame["type"] == "screening":
                self.notices.append(frame)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    @property
    def seqs(self) -> list[int]:
        return [e["seq"] for e in self.events]

    async def close(self) -> None:
        await self.ws.close()


def settings_for(tmp: Path, **extra: Any) -> Settings:
    return Settings(data_dir=tmp, secret_key="live-test-key", **extra)
