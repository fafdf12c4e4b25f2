"""Add-to-cart under a burst on one SKU: N buyers in Japan at once (one ``asyncio.gather``,
each buyer one add of one unit through ``chuhai.shop.cart.set_line`` with real, committing
stores) against a SKU with ``units`` in stock in the one warehouse that serves Japan, on
SQLite and on PostgreSQL.

Figure: add attempts per second (holds and out-of-stock refusals alike) = buyers / wall time
of the whole burst. Baseline, measured in the same run on the same engine and at the same
concurrency: a bare conditional UPDATE per task, each its own connection and transaction —
``UPDATE stock_levels SET allocated = allocated + 1 WHERE sku_id = :s AND warehouse_id = :w
AND on_hand - allocated - reserved >= 1`` — against another SKU with the same stock.

Every run asserts zero oversell: exactly ``units`` holds, the warehouse's allocation equals
the units held, nothing available below zero, and the stock ledger agrees with the levels;
a violation exits non-zero. Target: add-to-cart ≥ 0.5× the bare UPDATE on each database.

Prints one JSON line per scenario (``cart.add.sqlite``, ``cart.add.postgres``); a backend
that cannot be reached prints ``{"name": …, "skipped": reason}`` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from _common import report  # noqa: E402
from drop import (  # noqa: E402
    FAILED,
    Bed,
    Oversold,
    install,
    note_errors,
    pg_probe,
    reachable,
    skipped,
    timed_gather,
)
from sqlalchemy import func, select, text  # noqa: E402
from tests.factories import create_product  # noqa: E402

from chuhai.accounts.models import Org  # noqa: E402
from chuhai.core.actor import Actor, ActorKind  # noqa: E402
from chuhai.core.errors import DomainError  # noqa: E402
from chuhai.inventory import stock  # noqa: E402
from chuhai.inventory.ledger import EntryKind  # noqa: E402
from chuhai.inventory.models import Reservation  # noqa: E402
from chuhai.shop import cart, catalog  # noqa: E402

BARE_UPDATE = text("UPDATE stock_levels SET allocated = allocated + 1 WHERE sku_id = :s "
                   "AND warehouse_id = :w AND on_hand - allocated - reserved >= 1")


async def new_sku(bed: Bed, units: int, code: str) -> str:
    """Another product listed in Japan with ``units`` in the origin warehouse only."""
    import httpx

    from chuhai.app import create_app

    app = create_app(bed.settings, stores=bed.stores)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        product = await create_product(client, bed.shop.tenant, code=code, listings=[
            {"market": "JP", "title": "バーストイヤホン", "price": "5480"}])
    sku_id = str(product["skus"][0]["id"])
    async with bed.stores.session() as s:
        await stock.record(s, org_id=bed.shop.tenant.org_id, sku_id=sku_id,
                           warehouse_id=bed.shop.origin, kind=EntryKind.RECEIVE,
                           quantity=units, actor_id="bench")
        await s.commit()
    return sku_id


async def burst(bed: Bed, shop: catalog.Shop, sku_id: str, buyers: int, tag: str
                ) -> tuple[Counter[str], float]:
    outcomes: Counter[str] = Counter()

    async def one(i: int) -> None:
        who = Actor(ActorKind.CUSTOMER, f"cus_{tag}{i:05d}", region="apac")
        try:
            await cart.set_line(bed.stores, who, shop, "JP", sku_id, 1, f"{tag}-{i:06d}",
                                add=True)
            outcomes["held"] += 1
        except DomainError as exc:
            outcomes[exc.code or "refused"] += 1
        except Exception as exc:  # counted, then failed: no silent losses
            kind = f"error:{type(exc).__name__}"
            if not outcomes[kind]:
                print(f"{tag} buyer {i}: {exc!r}", file=sys.stderr)
            outcomes[kind] += 1

    return outcomes, await timed_gather(buyers, one)


async def verify(bed: Bed, scenario: str, sku_id: str, units: int,
                 outcomes: Counter[str]) -> None:
    async with bed.stores.session() as s:
        held = int(await s.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))
                                  .where(Reservation.sku_id == sku_id,
                                         Reservation.status == "held")) or 0)
        levels = await stock.levels_of(s, sku_id, bed.shop.origin)
        # (the baseline's SKU moved without ledger entries: only the burst's is checked)
        mismatches = [m for m in (await stock.check(s))[1] if m.sku_id == sku_id]
    problems = []
    if held != units or outcomes["held"] != units:
        problems.append(f"held {held} units, {outcomes['held']} successes, of {units}")
    if levels.allocated != units or levels.available != 0 or not levels.valid():
        problems.append(f"levels {levels}")
    if mismatches:
        problems.append(f"ledger disagrees with levels: {mismatches[:3]}")
    if {k for k in outcomes if not k.startswith("error:")} - {"held", "out_of_stock"}:
        problems.append(f"unexpected outcomes {dict(outcomes)}")
    if problems:
        raise Oversold(scenario, problems)


async def bare_update(bed: Bed, sku_id: str, buyers: int, units: int
                      ) -> tuple[float, dict[str, Any]]:
    engine = bed.stores.engines["global"]
    taken = Counter[int]()

    async def one(_i: int) -> None:
        async with engine.begin() as conn:
            taken[(await conn.execute(BARE_UPDATE, {"s": sku_id, "w": bed.shop.origin})
                   ).rowcount] += 1

    seconds = await timed_gather(buyers, one)
    if taken[1] != units or taken[0] != buyers - units:
        raise Oversold(f"bare UPDATE on {bed.backend}", [f"rowcounts {dict(taken)}"])
    return buyers / seconds, {"seconds": round(seconds, 3), "updated": taken[1],
                              "missed": taken[0]}


async def run_backend(backend: str, args: argparse.Namespace) -> None:
    name = f"cart.add.{backend}"
    async with install(backend, args.pg_url, 10) as bed:
        async with bed.stores.session() as s:
            slug = await s.scalar(select(Org.slug).where(Org.id == bed.shop.tenant.org_id))
            shop = await catalog.shop_by_slug(s, str(slug))
        warm = await new_sku(bed, 10, "WARM")
        await burst(bed, shop, warm, 30, f"w{uuid.uuid4().hex[:4]}")  # pool and caches
        baseline, bare = await bare_update(bed, await new_sku(bed, args.units, "BARE"),
                                           args.buyers, args.units)
        print(f"{name}: bare UPDATE {baseline:.0f} attempts/s ({bare})", file=sys.stderr)
        sku_id = await new_sku(bed, args.units, "BURST")
        outcomes, seconds = await burst(bed, shop, sku_id, args.buyers, "b")
        await verify(bed, name, sku_id, args.units, outcomes)
        errors = note_errors(name, outcomes)
        report(name, args.buyers / seconds, "attempts/s", baseline, {
            "buyers": args.buyers, "units": args.units, "holds": outcomes["held"],
            "out_of_stock": outcomes["out_of_stock"], "errors": errors, "oversell": 0,
            "seconds": round(seconds, 3), "store": backend, "bare_update": bare,
            "target": ">= 0.5x bare UPDATE",
            "baseline": "bare conditional UPDATE of stock_levels per transaction, same "
                        "engine and concurrency"})


async def main(args: argparse.Namespace) -> None:
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    pg_down = await reachable("PostgreSQL", lambda: pg_probe(args.pg_url)) \
        if "postgres" in wanted else None
    for scenario in wanted:
        if scenario == "postgres" and pg_down:
            skipped("cart.add.postgres", pg_down)
        elif scenario in ("sqlite", "postgres"):
            await run_backend(scenario, args)
        else:
            raise SystemExit(f"unknown scenario {scenario!r}")
    if FAILED:
        raise SystemExit(f"attempts failed with errors (no oversell): {FAILED}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--buyers", type=int, default=5000, help="concurrent buyers (one add "
                   "each); also the baseline's concurrency")
    p.add_argument("--units", type=int, default=1000, help="units of the SKU in stock")
    p.add_argument("--scenarios", default="sqlite,postgres",
                   help="comma-separated subset of sqlite, postgres")
    p.add_argument("--pg-url", default=os.environ.get(
        "CHUHAI_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    args = p.parse_args(argv)
    if args.buyers < args.units:
        p.error("--buyers must be at least --units (the SKU must sell out)")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
