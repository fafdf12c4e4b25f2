"""What attribution adds to checkout and payment: a one-line cart checked out
(``chuhai.checkout.cart_checkout.checkout_cart``) and paid with the built-in test provider
(``chuhai.checkout.service.pay``), on real, committing stores (a fresh buyer and cart each
time), with the order attributed as the product does it — against the same two steps in
the same run with ``analytics.touches.attribute`` and ``path_of`` replaced by no-ops (the
baseline: before attribution existed; the cart's touch rides on the cart row the re-quote
reads anyway).

The last touch is written as the order is placed (no read); the touchpoints are read when
the payment succeeds, in the transaction that marks the order paid. Two buyers, interleaved
with the baseline round by round:
- ``…last_touch``: a DE buyer (GDPR: analytics is opt-in, not given): one consent look-up
  at payment, no touchpoints;
- ``…touchpoints``: a US buyer (CCPA: analytics is opt-out) with ``--events`` (default 50)
  engagement events of the last week: the consent look-up, the events read, the path stored.

Figures: the median time of ``checkout_cart`` and of checkout + pay, in ms; ratio to the
baseline's median. Target: ≤ 1.05 (attribution adds at most 5 % to checkout). On SQLite and
on PostgreSQL (``--pg-url``; a backend that cannot be reached prints ``skipped``).
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
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from _common import report  # noqa: E402
from drop import pg_probe, reachable, skipped  # noqa: E402
from tests.factories import ADDRESSES, committed_shop, make_buyer  # noqa: E402

from chuhai.analytics import touches  # noqa: E402
from chuhai.analytics.models import AnalyticsEvent  # noqa: E402
from chuhai.checkout import service  # noqa: E402
from chuhai.checkout.cart_checkout import checkout_cart  # noqa: E402
from chuhai.checkout.payments import TestProvider  # noqa: E402
from chuhai.checkout.schemas import CartCheckoutIn, PayIn  # noqa: E402
from chuhai.core.clock import utcnow  # noqa: E402
from chuhai.core.config import Settings  # noqa: E402
from chuhai.shop import cart, catalog  # noqa: E402

REAL = (touches.attribute, touches.path_of)


def no_touch(*_args: Any, **_kwargs: Any) -> None:
    """The baseline at placement: no channel written."""


async def no_path(*_args: Any, **_kwargs: Any) -> None:
    """The baseline at payment: nothing read."""


NONE = (no_touch, no_path)


async def one_purchase(stores: Any, settings: Any, shop: Any, sku: str, country: str,
                       events: int, provider: Any) -> tuple[float, float]:
    """(checkout ms, checkout + pay ms) for a new buyer with ``events`` recent events."""
    buyer = await make_buyer(stores, settings, country)
    if events:
        now = utcnow()
        async with stores.session(buyer.actor.region) as r:
            r.add_all([AnalyticsEvent(subject_id=buyer.actor.subject_id, market=country,
                                      type=("feed.click", "video.view", "feed.impression",
                                            "search.click")[i % 4],
                                      video_id="vid_benchclip", at=now - timedelta(
                                          hours=i * 160 / events))
                       for i in range(events)])
            await r.commit()
    await cart.set_line(stores, buyer.actor, shop, country, sku, 1, f"k-{uuid.uuid4().hex}",
                        add=True, touch={"channel": "feed", "item_id": "vid_benchclip"})
    body = CartCheckoutIn.model_validate({"ship_to": ADDRESSES[country],
                                          "idempotency_key": f"k-{uuid.uuid4().hex}"})
    start = time.perf_counter()
    order = await checkout_cart(stores, buyer.actor, shop, body)
    placed = time.perf_counter()
    paid, _ = await service.pay(stores, provider, buyer.actor, order.id, PayIn.model_validate(
        {"card_number": "4242424242424242", "idempotency_key": f"k-{uuid.uuid4().hex}"}))
    done = time.perf_counter()
    assert paid.status == "paid", paid.status
    return (placed - start) * 1000, (done - start) * 1000


async def main(args: argparse.Namespace) -> None:
    for backend in args.backends.split(","):
        if backend == "postgres":
            down = await reachable("PostgreSQL", lambda: pg_probe(args.pg_url))
            if down:
                for case in ("last_touch", "touchpoints"):
                    skipped(f"attribution.checkout.{case}.postgres", down)
                continue
        await run_backend(backend, args)


async def run_backend(backend: str, args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="chuhai-bench-attr-"))
    base = Settings(data_dir=data_dir, secret_key="bench",
                    database_url=None if backend == "sqlite" else args.pg_url)
    try:
        async with committed_shop(base, data_dir, stock=10_000) as (settings, stores, shop):
            async with stores.session() as s:
                from sqlalchemy import select

                from chuhai.accounts.models import Org
                slug = await s.scalar(select(Org.slug).where(Org.id == shop.tenant.org_id))
                the_shop = await catalog.shop_by_slug(s, str(slug))
            provider = TestProvider(data_dir / "testpay.db")
            cases = {"baseline_de": ("DE", 0, NONE), "last_touch": ("DE", 0, REAL),
                     "baseline_us": ("US", args.events, NONE),
                     "touchpoints": ("US", args.events, REAL)}
            times: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
            for i in range(args.rounds + 3):
                for case, (country, events, (attribute, path_of)) in cases.items():
                    touches.attribute = attribute  # type: ignore[assignment]
                    touches.path_of = path_of  # type: ignore[assignment]
                    took = await one_purchase(stores, settings, the_shop, shop.sku_id,
                                              country, events, provider)
                    if i >= 3:  # the first rounds warm caches and connections
                        times[case].append(took)
            touches.attribute, touches.path_of = REAL  # type: ignore[assignment]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    med = {k: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v))
           for k, v in times.items()}
    params = {"rounds": args.rounds, "backend": backend, "unit_of_figure": "median ms"}
    for case, base, who in (("last_touch", "baseline_de", {"buyer": "DE, no analytics consent"}),
                            ("touchpoints", "baseline_us", {"buyer": "US, analytics allowed",
                                                            "events": args.events})):
        report(f"attribution.checkout.{case}.{backend}", med[case][0], "ms", med[base][0],
               {**params, **who, "step": "checkout_cart"})
        report(f"attribution.checkout_and_pay.{case}.{backend}", med[case][1], "ms",
               med[base][1], {**params, **who, "step": "checkout_cart + pay"})


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--events", type=int, default=50)
    ap.add_argument("--backends", default="sqlite,postgres",
                    help="comma-separated subset of sqlite, postgres")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CHUHAI_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    return ap.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
