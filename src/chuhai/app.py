"""The ASGI application: built by ``create_app(settings)``, nothing at import time."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chuhai import __version__
from chuhai.accounts import api as accounts_api
from chuhai.accounts import pages as accounts_pages
from chuhai.analytics import api as analytics_api
from chuhai.analytics import console as analytics_console
from chuhai.background import Selling
from chuhai.catalog import api as catalog_api
from chuhai.catalog import pages as catalog_pages
from chuhai.checkout import api as checkout_api
from chuhai.checkout import pages as checkout_pages
from chuhai.checkout.payments import PaymentProvider, TestProvider
from chuhai.comms import api as comms_api
from chuhai.comms import pages as comms_pages
from chuhai.comms.service import Comms
from chuhai.core import datamap, workers
from chuhai.core.config import Settings
from chuhai.core.db import GlobalBase, RegionalBase, Stores
from chuhai.core.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from chuhai.core.redis_client import connect
from chuhai.core.secrets_store import signing_key
from chuhai.crossborder import api as crossborder_api
from chuhai.crossborder import loader as crossborder_rules
from chuhai.demand import api as demand_api
from chuhai.feed import api as feed_api
from chuhai.inventory import api as inventory_api
from chuhai.inventory.gate import RedisGate
from chuhai.live import api as live_api
from chuhai.live import pages as live_pages
from chuhai.live import ws as live_ws
from chuhai.live.node import LiveNode
from chuhai.marketing import api as marketing_api
from chuhai.markets import api as markets_api
from chuhai.markets.profiles import check_regions
from chuhai.privacy import api as privacy_api
from chuhai.privacy import forward_api as privacy_forward_api
from chuhai.privacy import office_api as privacy_office_api
from chuhai.privacy import pages as privacy_pages
from chuhai.realtime.bus import Bus, MemoryBus, RedisBus
from chuhai.search import api as search_api
from chuhai.shop import api as shop_api
from chuhai.shop import feed_page
from chuhai.shop import pages as shop_pages
from chuhai.video import api as video_api
from chuhai.video import console as video_console
from chuhai.video import pages as video_pages
from chuhai.video import uploads as video_uploads
from chuhai.video.jobs import Jobs
from chuhai.video.storage import CACHE_FOREVER
from chuhai.web import apidocs, openapi, pages, problems
from chuhai.web.browser_policy import BrowserPolicy
from chuhai.web.schemas import Health
from chuhai.webhooks import api as webhooks_api

STATIC = Path(__file__).parent / "web" / "static"


class MediaFiles(StaticFiles):
    """The media folder: range requests (Starlette's), and a year's caching for video files,
    whose paths carry a revision and so never change content (video/storage.py)."""

    def file_response(self, full_path: os.PathLike[str] | str, stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        inside = os.path.relpath(full_path, str(self.directory)).split(os.sep)
        if inside[0] == "videos":
            response.headers["Cache-Control"] = CACHE_FOREVER
        elif str(full_path).endswith((".m3u8", ".ts", ".jpg", ".vtt")):
            response.headers.setdefault("Cache-Control", "no-cache")
        return response


class BodyLimit:
    """Refuse bodies over the limit with 413 problem+json, chunked uploads included."""

    def __init__(self, app: ASGIApp, max_bytes: int, chunk_paths: tuple[str, ...] = (),
                 chunk_bytes: int = 0) -> None:
        self.app, self.default_max = app, max_bytes
        # resumable-upload chunks (PATCH /api/videos/uploads/…) may be larger; the upload
        # service bounds them itself
        self.chunk_paths, self.chunk_bytes = chunk_paths, chunk_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunked = scope.get("method") == "PATCH" and str(scope.get("path", "")).startswith(
            self.chunk_paths) if self.chunk_paths else False
        limit = self.chunk_bytes if chunked else self.default_max
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _refuse(scope, send, 400, "invalid_characters", "Bad request",
                          "NUL characters are not allowed in addresses")
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._reject(scope, send, limit)
            return
        seen = 0
        rejected = False

        async def limited() -> Message:
            nonlocal seen, rejected
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit and not rejected:
                # A chunked body grew past the limit: answer 413 now, then tell the app the
                # client went away so it stops reading; whatever it answers is dropped.
                rejected = True
                await self._reject(scope, send, limit)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not rejected:
                await send(message)

        await self.app(scope, limited, guarded_send)

    @staticmethod
    async def _reject(scope: Scope, send: Send, limit: int) -> None:
        await _refuse(scope, send, 413, "payload_too_large", "Payload too large",
                      f"request bodies are limited to {limit} bytes")


async def _refuse(scope: Scope, send: Send, status: int, code: str, title: str,
                  detail: str) -> None:
    resp = problems.problem(status, code, title, detail, scope.get("path", "").replace(
        "\x00", ""))
    await resp(scope, _noop_receive, send)


async def _noop_receive() -> Message:
    return {"type": "http.disconnect"}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    # as the CSP's frame-ancestors 'none', for browsers without CSP
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def payment_provider(settings: Settings) -> PaymentProvider:
    if settings.payment_provider == "stripe":
        from chuhai.checkout.stripe_provider import StripeProvider

        if not settings.stripe_api_key:
            raise RuntimeError("CHUHAI_PAYMENT_PROVIDER=stripe needs CHUHAI_STRIPE_API_KEY")
        return StripeProvider(settings.stripe_api_key)
    return TestProvider(settings.data_dir / "testpay.db")


def create_app(settings: Settings | None = None, stores: Stores | None = None) -> FastAPI:
    settings = settings or Settings()
    workers.configure(settings.worker_threads)
    crossborder_rules.configure(fx_max_age_days=settings.fx_max_age_days)
    # Fail at start, not at the first erasure request, if the data map is unsound.
    datamap.validate(GlobalBase.metadata, RegionalBase.metadata)
    # Every market's region must be a configured store, or sign-ups there would fail later.
    check_regions(frozenset(settings.regions))
    owned = stores is None
    the_stores = stores or Stores(settings)
    redis = connect(settings.redis_url) if settings.redis_url else None
    limiter: RateLimiter = RedisRateLimiter(redis) if redis else MemoryRateLimiter()
    bus: Bus = RedisBus(settings.redis_url) if settings.redis_url else MemoryBus()
    comms = Comms(settings, redis)
    live = LiveNode(the_stores, bus, tick_s=settings.live_tick_ms / 1000,
                    coalesce_s=settings.live_coalesce_ms / 1000,
                    queue_size=settings.live_queue_size, comms=comms)
    media = settings.data_dir / "media"
    media.mkdir(parents=True, exist_ok=True)
    provider = payment_provider(settings)
    jobs = Jobs(settings)
    gate = RedisGate(redis) if (redis is not None and settings.drop_gate) else None
    selling = Selling(the_stores, live.publish, provider, gate,
                      sweep_s=settings.sweep_interval_ms / 1000,
                      allow_private_webhooks=settings.webhook_allow_private,
                      fx_refresh_url=settings.fx_refresh_url,
                      fx_refresh_s=settings.fx_refresh_hours * 3600,
                      jobs=jobs, video_workers=settings.video_workers, bus=bus,
                      limiter=limiter, sellout_watch_s=settings.sellout_watch_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.background:
            await selling.start()
        warming = asyncio.create_task(comms.warm())
        yield
        warming.cancel()
        await selling.stop()
        await live.close()
        if redis is not None:
            await redis.aclose()
        if owned:
            await the_stores.dispose()

    app = FastAPI(
        title="chuhai", version=__version__, lifespan=lifespan,
        # /docs is served from the package (web/apidocs.py), not from a CDN; no ReDoc.
        docs_url=None, redoc_url=None,
        description="Socialized cross-border e-commerce: live rooms, shoppable videos, "
        "landed-cost prices and data that stays in its owner's region.",
    )
    app.state.settings = settings
    app.state.stores = the_stores
    app.state.signing_key = signing_key(settings)
    app.state.limiter = limiter
    app.state.live = live
    app.state.comms = comms
    app.state.selling = selling
    app.state.jobs = jobs
    app.state.payments = provider
    app.state.redis = redis
    problems.install(app)
    openapi.install(app)
    app.include_router(accounts_api.router)
    app.include_router(accounts_pages.router)
    app.include_router(catalog_api.router)
    app.include_router(catalog_pages.router)
    app.include_router(markets_api.router)
    app.include_router(crossborder_api.router)
    app.include_router(video_api.router)
    app.include_router(video_pages.router)
    app.include_router(video_pages.api)
    app.include_router(video_console.router)
    app.include_router(comms_api.router)
    app.include_router(comms_pages.router)
    app.include_router(live_api.router)
    app.include_router(inventory_api.router)
    app.include_router(checkout_api.router)
    app.include_router(checkout_api.pages)
    app.include_router(checkout_pages.router)
    app.include_router(shop_api.router)
    app.include_router(search_api.router)
    app.include_router(shop_pages.router)
    app.include_router(feed_page.router)
    app.include_router(webhooks_api.router)
    app.include_router(analytics_api.router)
    app.include_router(analytics_console.router)
    app.include_router(demand_api.router)
    app.include_router(feed_api.router)
    app.include_router(marketing_api.router)
    app.include_router(privacy_api.router)
    app.include_router(privacy_office_api.router)
    app.include_router(privacy_forward_api.router)
    app.include_router(privacy_pages.router)
    app.include_router(live_ws.router)
    app.include_router(live_pages.router)
    app.include_router(pages.router)
    app.include_router(apidocs.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/media", MediaFiles(directory=media), name="media")

    @app.get("/healthz", tags=["ops"], response_model=Health)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       chunk_paths=("/api/videos/uploads/",), chunk_bytes=video_uploads.MAX_CHUNK)
    # Outermost, so that even BodyLimit's refusals carry the Content-Security-Policy.
    app.add_middleware(BrowserPolicy)
    return app
