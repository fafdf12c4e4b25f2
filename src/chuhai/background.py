"""The app's background work on every node: the sweeper, payment reconciliation, webhook
dispatch and delivery, the live stock ticker of running drops, the sell-out watch of live
rooms, and fresh exchange rates.

Each loop is safe on several nodes at once (conditional UPDATEs claim the work), so scaling
out needs no leader election; each logs and survives its own failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from chuhai.checkout import service as checkout
from chuhai.checkout.payments import PaymentProvider
from chuhai.core.db import Stores
from chuhai.core.errors import NotFound
from chuhai.core.ratelimit import RateLimiter
from chuhai.crossborder import fx_refresh
from chuhai.demand import watch
from chuhai.inventory import drops, sweeper
from chuhai.inventory.auctions import auction_view
from chuhai.inventory.gate import Gate
from chuhai.inventory.models import Auction, Drop
from chuhai.realtime.bus import Bus
from chuhai.shop import offers as shop_offers
from chuhai.video.jobs import Jobs
from chuhai.webhooks import service as webhooks

log = logging.getLogger("chuhai.background")
Publish = Callable[[str, str, dict[str, Any]], Awaitable[Any]]


class Selling:
    """Announces drops and auctions in their rooms and runs the loops that keep selling
    consistent after the request that started something has gone."""

    def __init__(self, stores: Stores, publish: Publish, provider: PaymentProvider,
                 gate: Gate | None, *, sweep_s: float = 1.0, ticker_s: float = 0.5,
                 allow_private_webhooks: bool = False, fx_refresh_url: str = "",
                 fx_refresh_s: float = 6 * 3600, jobs: Jobs | None = None,
                 video_workers: int = 0, bus: Bus | None = None,
                 limiter: RateLimiter | None = None, sellout_watch_s: float = 0.0) -> None:
        self.stores = stores
        self.publish = publish
        self.provider = provider
        self.gate = gate
        self.sweep_s = sweep_s
        self.ticker_s = ticker_s
        self.allow_private_webhooks = allow_private_webhooks
        self.fx_refresh_url = fx_refresh_url
        self.fx_refresh_s = fx_refresh_s
        self.jobs = jobs
        self.video_workers = video_workers if jobs is not None else 0
        self.bus, self.limiter = bus, limiter
        self.sellout_watch_s = sellout_watch_s if limiter is not None else 0.0
        self.dirty: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None

    async def announce_drop(self, drop: Drop, action: str) -> None:
        if drop.room_id is None:
            return
        async with self.stores.session() as s:
            lines = await drops.lines_of(s, drop.id)
            delivered = await shop_offers.drop_lines(s, drop, lines,
                                                     self.stores.settings.data_dir)
        await self.publish(drop.room_id, "drop", {
            "action": action, "drop": drops.drop_view(drop, lines, delivered)})

    async def announce_auction(self, auction: Auction, action: str,
                               extra: dict[str, Any] | None = None) -> None:
        if auction.room_id is None:
            return
        async with self.stores.session() as s:
            delivered = await shop_offers.auction(s, auction, self.stores.settings.data_dir)
        await self.publish(auction.room_id, "auction", {
            "action": action, "auction": {**auction_view(auction), **delivered},
            **(extra or {})})

    def stock_changed(self, drop_id: str) -> None:
        """Note a drop whose remaining stock moved; the ticker tells its room, at most twice
        a second, instead of once per buyer."""
        self.dirty.add(drop_id)

    async def tick_stock(self) -> None:
        ids, self.dirty = self.dirty, set()
        for drop_id in ids:
            async with self.stores.session() as s:
                try:
                    drop = await drops.get_drop(s, None, drop_id)
                except NotFound:
                    log.info("drop %s was deleted before its stock update", drop_id)
                    continue
            await self.announce_drop(drop, "stock")

    async def on_sweep(self, report: sweeper.SweepReport) -> None:
        self.dirty |= report.touched_drops
        for a in report.closed_auctions:
            await self.announce_auction(a, "ended")

    async def start(self) -> None:
        if self.gate is not None:
            try:
                await self.gate.sync(await sweeper.live_remaining(self.stores))
            except Exception:
                log.exception("could not rebuild the admission gate")
        self._http = httpx.AsyncClient()
        self._tasks = [
            asyncio.create_task(sweeper.run_forever(self.stores, self.sweep_s, self.gate,
                                                    self.on_sweep)),
            asyncio.create_task(self._loop(self.tick_stock, self.ticker_s)),
            asyncio.create_task(self._loop(self.reconcile, 15.0)),
            asyncio.create_task(self._loop(self.webhooks, 1.0)),
        ]
        if self.video_workers:
            assert self.jobs is not None
            await asyncio.to_thread(self.jobs.requeue_stale)  # what a restart left behind
            self._tasks += [asyncio.create_task(self._videos()) for _ in
                            range(self.video_workers)]
        if self.sellout_watch_s:
            self._tasks.append(asyncio.create_task(self._loop(self.watch_sellout,
                                                              self.sellout_watch_s)))
        if self.fx_refresh_url:
            self._tasks.append(asyncio.create_task(self._loop(self.refresh_fx,
                                                              self.fx_refresh_s)))

    async def _videos(self) -> None:
        """One in-process video worker: take the next job, run it in a thread, repeat."""
        assert self.jobs is not None
        while True:
            try:
                worked = await asyncio.to_thread(self.jobs.work_one)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("a video job failed; it is retried or found again")
                worked = True
            if not worked:
                await asyncio.sleep(1.0)

    async def refresh_fx(self) -> None:
        assert self._http is not None
        await fx_refresh.refresh_logged(self._http, self.fx_refresh_url,
                                        self.stores.settings.data_dir)

    async def watch_sellout(self) -> None:
        assert self.limiter is not None
        await watch.watch_once(self.stores, self.bus, self.limiter, self.sellout_watch_s)

    async def reconcile(self) -> None:
        await checkout.reconcile(self.stores, self.provider)

    async def webhooks(self) -> None:
        await webhooks.dispatch(self.stores)
        assert self._http is not None
        await webhooks.deliver_due(self.stores, self._http,
                                   allow_private=self.allow_private_webhooks)

    @staticmethod
    async def _loop(fn: Callable[[], Awaitable[Any]], every_s: float) -> None:
        while True:
            try:
                await fn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; retrying", getattr(fn, "__name__", fn))
            await asyncio.sleep(every_s)

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks = []
        if self._http is not None:
            await self._http.aclose()
