"""The seller funnel's two costs: rolling up one busy hour, and reading a dashboard from the
rollup — each against a bare aggregate query in the same run, on SQLite and PostgreSQL.

The busy hour (written straight into the tables, not timed): ``--items`` items (default
20,000 products of one seller) with impressions, views and clicks counted in ``event_hours``
across three markets — about ``--items`` × 50 events (1 million by default) already folded
into per-hour counts by ``POST /api/events`` — plus ``--holds`` holds (default 20,000) and
``--orders`` orders placed and paid in the hour (default 5,000, one region).

- ``funnel.rollup_hour_s``: ``analytics.rollup.rollup`` of that hour (read, bucket, replace
  the hour's rows); baseline: the three bare aggregate queries over the same rows (events
  summed per item and type, holds counted per SKU, orders summed per currency), no writes.
  Target ≤ 30 s.
- ``funnel.dashboard_p95_ms``: ``analytics.funnel.report`` of the shop's whole funnel over
  12 weeks (2,016 hours × 3 markets of rollup rows, summed per day as a rollup leaves them,
  and ``--items`` products' rows beside them) — the API's work without HTTP — 50 times,
  p95; baseline: one bare ``SUM … GROUP BY`` over the same hour rows. Target ≤ 200 ms.
- ``funnel.trust_rebuild_90d_s``: ``analytics.trust_rollup.rebuild`` of the last 90 days
  (deliveries, returns, payments and repeat buyers read from the orders, questions, duty
  invoices); baseline: the bare count of delivered and paid events over the same days.
- ``funnel.trust_p95_ms``: ``analytics.trust_report.report`` (30 and 90 days, the whole
  seller), 50 times, p95; baseline: one bare ``SUM`` over the same day rows. Target
  ≤ 200 ms.

All of it runs on top of a history (PostgreSQL by default; ``--history-orders`` and
``--history-events``, written server-side with ``generate_series``, not timed): a year of 1
million paid orders (nine in ten delivered, one buyer in five buying again) and 10 million
raw engagement events in the buyers' region — so every figure is measured with the tables
as full as the issue's target says, and the indexes, not the row counts, carry the reads.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from _common import report  # noqa: E402
from drop import pg_probe, reachable, skipped  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from tests.factories import committed_shop  # noqa: E402

from chuhai.analytics import funnel, rollup, trust_report, trust_rollup  # noqa: E402
from chuhai.analytics.models import EventHour, FunnelHour, TrustDay  # noqa: E402
from chuhai.catalog.models import Product  # noqa: E402
from chuhai.checkout.models import Order, OrderEvent  # noqa: E402
from chuhai.core.clock import utcnow  # noqa: E402
from chuhai.core.config import Settings  # noqa: E402
from chuhai.core.ids import new_id  # noqa: E402
from chuhai.crossborder.loader import rulebook  # noqa: E402
from chuhai.inventory.models import Reservation  # noqa: E402

MARKETS = ("DE", "US", "JP")


async def seed_hour(stores: Any, org_id: str, sku_id: str, wh: str, hour: Any,
                    args: argparse.Namespace) -> None:
    items = [f"prd_bench{i:08d}" for i in range(args.items)]
    async with stores.session() as s:
        await s.execute(insert(Product), [
            {"id": p, "org_id": org_id, "code": p, "title": p, "hs_code": "8518.30.20",
             "origin_country": "CN", "weight_g": 100, "customs_value_minor": 1500,
             "customs_currency": "USD"} for p in items])
        rows = [{"hour": hour, "market": MARKETS[i % 3], "item_id": p, "type": t, "count": n}
                for i, p in enumerate(items)
                for t, n in (("feed.impression", 35), ("product.view", 10),
                             ("feed.click", 4), ("search.click", 1))]
        for i in range(0, len(rows), 10_000):
            await s.execute(insert(EventHour), rows[i:i + 10_000])
        holds = [{"id": new_id("res"), "org_id": org_id, "sku_id": sku_id,
                  "warehouse_id": wh, "market": "DE", "buyer_id": f"cus_b{i:08d}",
                  "buyer_region": "eu", "quantity": 1, "price_minor": 2900,
                  "currency": "EUR", "status": "expired", "source": "cart",
                  "expires_at": hour, "idempotency_key": f"k{i}", "request_hash": "",
                  "created_at": hour + timedelta(seconds=i % 3600)}
                 for i in range(args.holds)]
        for i in range(0, len(holds), 10_000):
            await s.execute(insert(Reservation), holds[i:i + 10_000])
        await s.commit()
    async with stores.session("eu") as r:
        orders, events = [], []
        for i in range(args.orders):
            oid = new_id("ord")
            at = hour + timedelta(seconds=i % 3600)
            orders.append({
                "id": oid, "region": "eu", "org_id": org_id, "buyer_id": f"cus_b{i:08d}",
                "reservation_id": new_id("res"), "source": "cart", "market": "DE",
                "currency": "EUR", "status": "paid",
                "items": [{"sku_id": sku_id, "product_id": items[i % len(items)],
                           "quantity": 1, "unit_price_minor": 2900}],
                "subtotal_minor": 2900, "shipping_minor": 490, "total_minor": 3390,
                "duties_note": "", "warehouse_id": wh, "delivery_min_days": 1,
                "delivery_max_days": 3, "ship_name": "B", "ship_street": "S",
                "ship_city": "C", "ship_postal_code": "1", "ship_country": "DE",
                "idempotency_key": f"k{i}", "channel": "feed", "created_at": at,
                "updated_at": at})
            events.append({"region": "eu", "order_id": oid, "from_status": "pending_payment",
                           "to_status": "paid", "actor_id": "b", "actor_kind": "customer",
                           "reason": "", "at": at + timedelta(seconds=30)})
        for i in range(0, len(orders), 5_000):
            await r.execute(insert(Order), orders[i:i + 5_000])
            await r.execute(insert(OrderEvent), events[i:i + 5_000])
        await r.commit()


# The history's parameters, typed once (asyncpg cannot guess a bare parameter's type).
_P = """WITH p AS (SELECT CAST(:now AS timestamptz) AS now, CAST(:step AS integer) AS step,
  CAST(:buyers AS integer) AS buyers, CAST(:items AS integer) AS items,
  CAST(:org AS text) AS org, CAST(:sku AS text) AS sku, CAST(:wh AS text) AS wh)
"""
HISTORY_ORDERS = """
INSERT INTO orders (id, region, org_id, buyer_id, reservation_id, source, market, currency,
  status, items, subtotal_minor, shipping_minor, total_minor, duty_minor, tax_minor,
  fees_minor, duties_note, warehouse_id, delivery_min_days, delivery_max_days, ship_name,
  ship_street, ship_city, ship_postal_code, ship_country, ship_region, ship_phone, channel,
  idempotency_key, created_at, updated_at)
""" + _P + """
SELECT 'ord_h' || g, 'eu', p.org, 'cus_h' || (g % p.buyers), 'res_h' || g, 'cart', 'DE',
  'EUR', CASE WHEN g % 10 = 0 THEN 'paid' ELSE 'delivered' END,
  json_build_array(json_build_object('sku_id', p.sku, 'quantity', 1,
                                     'unit_price_minor', 2900)),
  2900, 490, 3390, 0, 541, 0, '', p.wh, 2, 8, 'B', 'S', 'C', '1', 'DE', '', '', 'feed',
  'h' || g, p.now - (g * p.step) * interval '1 second',
  p.now - (g * p.step) * interval '1 second'
FROM p, generate_series(1, CAST(:n AS integer)) AS g
"""
HISTORY_PAID = """
INSERT INTO order_events (region, order_id, from_status, to_status, actor_id, actor_kind,
  reason, at)
""" + _P + """
SELECT 'eu', 'ord_h' || g, 'pending_payment', 'paid', 'b', 'customer', '',
  p.now - (g * p.step) * interval '1 second' + interval '30 seconds'
FROM p, generate_series(1, CAST(:n AS integer)) AS g
"""
HISTORY_DELIVERED = """
INSERT INTO order_events (region, order_id, from_status, to_status, actor_id, actor_kind,
  reason, at)
""" + _P + """
SELECT 'eu', 'ord_h' || g, 'paid', 'delivered', 'system', 'system', '',
  p.now - (g * p.step) * interval '1 second' + (3 + g % 8) * interval '1 day'
FROM p, generate_series(1, CAST(:n AS integer)) AS g
WHERE g % 10 <> 0 AND (g * p.step) > (3 + g % 8) * 86400
"""
HISTORY_EVENTS = """
INSERT INTO analytics_events (subject_id, market, type, product_id, at)
""" + _P + """
SELECT 'cus_h' || (g % p.buyers), 'DE',
  (ARRAY['feed.impression', 'product.view', 'feed.click', 'video.view'])[1 + g % 4],
  'prd_bench' || lpad((g % p.items)::text, 8, '0'), p.now - (g * p.step) * interval '1 second'
FROM p, generate_series(1, CAST(:n AS integer)) AS g
"""


async def seed_history(stores: Any, org_id: str, sku_id: str, wh: str,
                       args: argparse.Namespace) -> dict[str, int]:
    """A year of orders and engagement in the buyers' region, written by the database
    itself (minutes of client inserts otherwise). PostgreSQL only."""
    now = utcnow()
    span = 365 * 86400
    async with stores.session("eu") as r:
        # four orders in five from a first-time buyer: one buyer in five buys again
        params = {"org": org_id, "sku": sku_id, "wh": wh, "now": now,
                  "buyers": max(1, args.history_orders * 4 // 5), "items": args.items}
        if args.history_orders:  # spread evenly over the year
            for sql in (HISTORY_ORDERS, HISTORY_PAID, HISTORY_DELIVERED):
                await r.execute(text(sql), {**params, "n": args.history_orders,
                                            "step": max(1, span // args.history_orders)})
        if args.history_events:
            await r.execute(text(HISTORY_EVENTS), {**params, "n": args.history_events,
                                                   "step": max(1, span // args.history_events)})
        await r.commit()
        # fresh statistics, as autovacuum keeps them (committed: a rolled-back ANALYZE
        # leaves the planner guessing)
        for table in ("orders", "order_events", "analytics_events"):
            await r.execute(text(f"ANALYZE {table}"))
        await r.commit()
        counts = {t: int(await r.scalar(text(f"SELECT count(*) FROM {t}")) or 0)
                  for t in ("orders", "order_events", "analytics_events")}
    return counts


async def bare_hour(stores: Any, hour: Any) -> None:
    end = hour + timedelta(hours=1)
    async with stores.session() as s:
        await s.execute(select(EventHour.item_id, EventHour.type, func.sum(EventHour.count))
                        .where(EventHour.hour >= hour, EventHour.hour < end)
                        .group_by(EventHour.item_id, EventHour.type))
        await s.execute(select(Reservation.sku_id, func.count())
                        .where(Reservation.created_at >= hour, Reservation.created_at < end)
                        .group_by(Reservation.sku_id))
    async with stores.session("eu") as r:
        await r.execute(select(Order.currency, func.count(), func.sum(Order.total_minor))
                        .join(OrderEvent, OrderEvent.order_id == Order.id)
                        .where(OrderEvent.at >= hour, OrderEvent.at < end)
                        .group_by(Order.currency))


async def seed_weeks(stores: Any, org_id: str, end: Any, args: argparse.Namespace) -> None:
    """12 weeks of the shop's rollup rows (scope all per market) and sparse product rows."""
    rows = []
    for h in range(12 * 7 * 24):
        hour = end - timedelta(hours=h + 1)
        for m in MARKETS:
            rows.append({"hour": hour, "org_id": org_id, "market": m, "scope": "all",
                         "scope_id": "", "impressions": 900, "views": 300, "clicks": 90,
                         "cart_adds": 30, "checkouts": 12, "paid": 10, "kept": 9,
                         "money": {"EUR": [33900, 30510]}})
        for p in range(0, args.items, 97):  # a product in ~1 % of hours each
            if (p + h) % 100 == 0:
                rows.append({"hour": hour, "org_id": org_id, "market": "DE",
                             "scope": "product", "scope_id": f"prd_bench{p:08d}",
                             "impressions": 9, "views": 3, "clicks": 1, "cart_adds": 1,
                             "checkouts": 1, "paid": 1, "kept": 1,
                             "money": {"EUR": [3390, 3390]}})
    async with stores.session() as s:
        for i in range(0, len(rows), 10_000):
            await s.execute(insert(FunnelHour), rows[i:i + 10_000])
        await rollup._days(s, end - timedelta(weeks=12), end)  # as a rollup leaves them
        await s.commit()


async def run_backend(backend: str, args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="chuhai-bench-funnel-"))
    base = Settings(data_dir=data_dir, secret_key="bench",
                    database_url=None if backend == "sqlite" else args.pg_url)
    try:
        async with committed_shop(base, data_dir, stock=10) as (settings, stores, shop):
            org = shop.tenant.org_id
            history: dict[str, int] = {}
            if backend == "postgres" and (args.history_orders or args.history_events):
                t = time.perf_counter()
                history = await seed_history(stores, org, shop.sku_id, shop.de, args)
                print(f"# history written in {time.perf_counter() - t:.0f} s: {history}",
                      file=sys.stderr)
            hour = rollup.floor_hour(utcnow()) - timedelta(days=200)
            await seed_hour(stores, org, shop.sku_id, shop.de, hour, args)
            start = time.perf_counter()
            await bare_hour(stores, hour)
            bare = time.perf_counter() - start
            start = time.perf_counter()
            done = await rollup.rollup(stores, hour, hour, now=hour + timedelta(hours=2))
            took = time.perf_counter() - start
            report(f"funnel.rollup_hour_s.{backend}", took, "s", bare, {
                "items": args.items, "events_represented": args.items * 50,
                "holds": args.holds, "orders": args.orders, "rows": done["rows"],
                **{f"history_{k}": v for k, v in history.items()}})

            end = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)  # whole days,
            await seed_weeks(stores, org, end, args)  # as the API and CLI ask
            fx = rulebook(settings.data_dir).fx
            start_at = end - timedelta(weeks=12)
            times, bare_times = [], []
            for _ in range(50 + 3):
                t = time.perf_counter()
                await funnel.report(stores, org, start_at, end, market=None, scope="all",
                                    scope_id=None, fx=fx, currency="CNY")
                times.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                async with stores.session() as s:
                    await s.execute(select(FunnelHour.market, func.sum(FunnelHour.paid),
                                           func.sum(FunnelHour.views))
                                    .where(FunnelHour.org_id == org,
                                           FunnelHour.scope == "all",
                                           FunnelHour.scope_id == "",
                                           FunnelHour.hour >= start_at, FunnelHour.hour < end)
                                    .group_by(FunnelHour.market))
                bare_times.append((time.perf_counter() - t) * 1000)
            p95 = statistics.quantiles(times[3:], n=20)[18]
            bare95 = statistics.quantiles(bare_times[3:], n=20)[18]
            report(f"funnel.dashboard_p95_ms.{backend}", p95, "ms", bare95, {
                "hours": 12 * 7 * 24, "markets": len(MARKETS), "calls": 50,
                **{f"history_{k}": v for k, v in history.items()}})
            await trust_figures(stores, org, end, backend, history)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def trust_figures(stores: Any, org: str, end: Any, backend: str,
                        history: dict[str, int]) -> None:
    first = (end - timedelta(days=90)).date()
    start = time.perf_counter()
    rows = await trust_rollup.rebuild(stores, first, end.date() + timedelta(days=1))
    took = time.perf_counter() - start
    t = time.perf_counter()
    async with stores.session("eu") as r:
        await r.execute(select(OrderEvent.to_status, func.count()).where(
            OrderEvent.to_status.in_(("paid", "delivered")),
            OrderEvent.at >= end - timedelta(days=90)).group_by(OrderEvent.to_status))
    bare = time.perf_counter() - t
    report(f"funnel.trust_rebuild_90d_s.{backend}", took, "s", bare, {
        "days": 91, "rows": rows, **{f"history_{k}": v for k, v in history.items()}})
    times, bare_times = [], []
    for _ in range(50 + 3):
        t = time.perf_counter()
        await trust_report.report(stores, org, end.date())
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        async with stores.session() as s:
            await s.execute(select(func.sum(TrustDay.delivered), func.sum(TrustDay.on_time))
                            .where(TrustDay.org_id == org, TrustDay.host_id == "",
                                   TrustDay.day >= first))
        bare_times.append((time.perf_counter() - t) * 1000)
    report(f"funnel.trust_p95_ms.{backend}", statistics.quantiles(times[3:], n=20)[18], "ms",
           statistics.quantiles(bare_times[3:], n=20)[18], {"windows": [30, 90],
                                                            "calls": 50})


async def main(args: argparse.Namespace) -> None:
    for backend in args.backends.split(","):
        if backend == "postgres":
            down = await reachable("PostgreSQL", lambda: pg_probe(args.pg_url))
            if down:
                for name in ("rollup_hour_s", "dashboard_p95_ms", "trust_rebuild_90d_s",
                             "trust_p95_ms"):
                    skipped(f"funnel.{name}.postgres", down)
                continue
        await run_backend(backend, args)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--holds", type=int, default=20_000)
    ap.add_argument("--orders", type=int, default=5_000)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--history-orders", type=int, default=1_000_000,
                    help="paid orders of the past year on PostgreSQL (0: none)")
    ap.add_argument("--history-events", type=int, default=10_000_000,
                    help="raw engagement events of the past year on PostgreSQL (0: none)")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CHUHAI_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    return ap.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
