"""The product page's server time on SQLite with the demo catalog: ``GET
/shop/sonicwave/products/{id}?market=…`` through the whole app (market choice, product and
listing, stock and routing for the default lane, the delivered price from the rules, the
template, the browser policy) for every demo product in every market it is listed in, one
request at a time in-process (no network).

Figure: p95 of the page's time in milliseconds (target ≤ 50 ms). Baselines in the same run
and the same stack: the p95 of ``GET /healthz`` (what any request costs before the page does
anything), and the p95 of a bare SQL select of the same product and listing row.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import httpx
from _common import report
from sqlalchemy import select

from chuhai.app import create_app
from chuhai.catalog.models import Listing, Product
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.migrate import upgrade_all
from chuhai.demo import run_seed

ROUNDS = 15


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


async def main() -> None:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="chuhai-bench-page-")),
                        secret_key="bench")
    stores = Stores(settings)
    await upgrade_all(stores)
    await run_seed(settings)
    async with stores.session() as s:
        pages = [(p.id, li.market) for p, li in (await s.execute(select(Product, Listing).join(
            Listing, Listing.product_id == Product.id))).all()]
    app = create_app(settings, stores=stores)
    page_t: list[float] = []
    health_t: list[float] = []
    select_t: list[float] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        for pid, market in pages[:3]:  # warm up
            await client.get(f"/shop/sonicwave/products/{pid}?market={market}")
        for _ in range(ROUNDS):
            for pid, market in pages:
                t = time.perf_counter()
                resp = await client.get(f"/shop/sonicwave/products/{pid}?market={market}")
                page_t.append(time.perf_counter() - t)
                if resp.status_code != 200:
                    raise SystemExit(f"{pid} {market}: {resp.status_code}")
                t = time.perf_counter()
                await client.get("/healthz")
                health_t.append(time.perf_counter() - t)
                t = time.perf_counter()
                async with stores.session() as s:
                    await s.execute(select(Product.title, Listing.price_minor).join(
                        Listing, Listing.product_id == Product.id).where(
                        Product.id == pid, Listing.market == market))
                select_t.append(time.perf_counter() - t)
    await stores.dispose()
    report("shop.product_page.p95", p95(page_t), "ms", p95(health_t), {
        "requests": len(page_t), "pages": len(pages), "median_ms": round(
            statistics.median(page_t) * 1000, 2), "bare_select_p95_ms": round(p95(select_t), 2),
        "store": "sqlite", "target": "<= 50 ms",
        "baseline": "p95 of GET /healthz through the same app, same run"})


if __name__ == "__main__":
    asyncio.run(main())
