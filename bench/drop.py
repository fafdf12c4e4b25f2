"""Flash-sale reservations under a burst: 5,000 buyers at once (one ``asyncio.gather``, each
buyer one attempt of one unit through ``chuhai.inventory.drops.reserve`` with real, committing
stores) against a live drop with one US line of 1,000 units, on SQLite, PostgreSQL, and
PostgreSQL with the Redis admission gate in front.

Figure: reservation attempts per second (successes and sold-out rejections alike) = buyers /
wall time of the whole burst, cold offer cache included (the drop was just started).
Baselines, measured in the same run on the same engine and at the same concurrency:

- a bare conditional UPDATE per task on the same database (its own connection and
  transaction: ``UPDATE drop_lines SET remaining = remaining - 1 WHERE id = :id AND
  remaining >= 1``, commit) against another freshly allocated 1,000-unit line;
- for the gate's rejections, raw ``EVALSHA`` of the gate's own admit script with the same
  keys and arguments against the same sold-out counter, through the same Redis pool.

The gate's rejection rate is a second wave of buyers after the sell-out, all turned away.
Every run asserts zero oversell: exactly ``units`` successes, held quantity == allocation,
``remaining == 0`` (and the baseline took exactly ``units`` rows to zero); a violation exits
non-zero. Targets: reserve ≥ 0.5× the bare UPDATE on each database; gate rejections ≥ 0.3×
raw EVALSHA.

Prints one JSON line per scenario (``drop.reserve.sqlite``, ``drop.reserve.postgres``,
``drop.reserve.postgres_gate``, ``drop.gate.rejections``); a backend that cannot be reached
prints ``{"name": …, "skipped": reason}`` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))  # for tests.factories (make_shop)

from _common import report  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from tests.factories import Shop, committed_shop  # noqa: E402

from chuhai.core.actor import Actor, ActorKind  # noqa: E402
from chuhai.core.clock import utcnow  # noqa: E402
from chuhai.core.config import Settings  # noqa: E402
from chuhai.core.db import Stores, UnitOfWork  # noqa: E402
from chuhai.core.errors import Conflict  # noqa: E402
from chuhai.core.redis_client import connect  # noqa: E402
from chuhai.inventory import drops, sweeper  # noqa: E402
from chuhai.inventory.gate import _ADMIT, TTL_S, RedisGate  # noqa: E402
from chuhai.inventory.models import DropLine, Reservation  # noqa: E402
from chuhai.inventory.schemas import DropIn, ReserveIn  # noqa: E402

LIMIT = 2
BARE_UPDATE = text("UPDATE drop_lines SET remaining = remaining - 1 "
                   "WHERE id = :id AND remaining >= 1")


class Oversold(SystemExit):
    """A run ended with more (or fewer) units taken than allocated: the benchmark fails."""

    def __init__(self, scenario: str, problems: list[str]) -> None:
        super().__init__(f"{scenario}: {'; '.join(problems)}")


# Attempts that ended in neither a reservation nor a clean refusal (e.g. a connection pool
# timeout): reported with their scenario, and the run exits non-zero at the end.
FAILED: dict[str, dict[str, int]] = {}


def note_errors(name: str, outcomes: Counter[str]) -> dict[str, int]:
    errors = {k.removeprefix("error:"): v for k, v in outcomes.items()
              if k.startswith("error:")}
    if errors:
        FAILED[name] = errors
    return errors


def skipped(name: str, reason: str) -> None:
    print(json.dumps({"name": name, "skipped": reason}), flush=True)
    print(f"skipped {name}: {reason}", file=sys.stderr)


@dataclass
class Bed:
    backend: str
    settings: Settings
    stores: Stores
    shop: Shop


@asynccontextmanager
async def install(backend: str, pg_url: str, stock: int) -> AsyncIterator[Bed]:
    """A fresh migrated install (a temp data dir; on PostgreSQL, fresh schemas dropped at
    the end) with a seller who has ``stock`` units of one SKU in a US warehouse."""
    data_dir = Path(tempfile.mkdtemp(prefix="chuhai-bench-drop-"))
    base = Settings(data_dir=data_dir, secret_key="bench",
                    database_url=None if backend == "sqlite" else pg_url)
    try:
        async with committed_shop(base, data_dir, stock) as (settings, stores, shop):
            yield Bed(backend, settings, stores, shop)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def open_drop(bed: Bed, units: int, title: str) -> tuple[str, str]:
    """A drop with one US line of ``units``, started a second ago (cache forgotten)."""
    uow = UnitOfWork(bed.stores)
    try:
        actor = bed.shop.tenant.actor
        drop = await drops.create_drop(uow, actor, DropIn.model_validate({
            "title": title, "per_buyer_limit": LIMIT,
            "lines": [{"sku_id": bed.shop.sku_id, "market": "US",
                       "warehouse_id": bed.shop.us_west, "quantity": units,
                       "price": "9.99"}]}))
        await drops.start_drop(uow, actor, drop.id, 0, now=utcnow() - timedelta(seconds=1))
        await uow.commit()
        line = (await drops.lines_of(uow.global_, drop.id))[0]
    finally:
        await uow.close()
    return drop.id, line.id


async def timed_gather(n: int, one: Callable[[int], Awaitable[None]]) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - start


async def burst(bed: Bed, drop_id: str, line_id: str, buyers: int, tag: str,
                gate: RedisGate | None = None) -> tuple[Counter[str], float]:
    """``buyers`` distinct customers each try once for one unit, all at once."""
    outcomes: Counter[str] = Counter()

    async def one(i: int) -> None:
        who = Actor(ActorKind.CUSTOMER, f"cus_{tag}{i:05d}", region="us")
        try:
            await drops.reserve(bed.stores, who, drop_id, ReserveIn(
                line_id=line_id, quantity=1, idempotency_key=f"{tag}-{i:06d}"), gate=gate)
            outcomes["reserved"] += 1
        except Conflict as exc:
            outcomes[exc.code or "conflict"] += 1
        except Exception as exc:  # counted, then failed by verify(): no silent losses
            kind = f"error:{type(exc).__name__}"
            if not outcomes[kind]:
                print(f"{tag} buyer {i}: {exc!r}", file=sys.stderr)
            outcomes[kind] += 1

    return outcomes, await timed_gather(buyers, one)


async def verify(bed: Bed, scenario: str, drop_id: str, line_id: str, units: int,
                 outcomes: Counter[str]) -> int:
    """Zero oversell (and no undersell): returns held units minus the allocation (0)."""
    async with bed.stores.session() as s:
        held = int(await s.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))
                                  .where(Reservation.drop_id == drop_id,
                                         Reservation.status == "held")) or 0)
        line = await s.scalar(select(DropLine).where(DropLine.id == line_id))
    assert line is not None
    problems = []
    if held != units:
        problems.append(f"held {held} units of {units}")
    if line.quantity != units or line.remaining != 0:
        problems.append(f"line quantity {line.quantity}, remaining {line.remaining}")
    if outcomes["reserved"] != units:
        problems.append(f"{outcomes['reserved']} successes for {units} units")
    if {k for k in outcomes if not k.startswith("error:")} - {"reserved", "sold_out"}:
        problems.append(f"unexpected outcomes {dict(outcomes)}")
    if problems:
        raise Oversold(scenario, problems)
    return held - units


async def bare_update(bed: Bed, buyers: int, units: int) -> tuple[float, dict[str, Any]]:
    """The baseline: ``buyers`` concurrent conditional UPDATEs, each its own transaction,
    against a fresh line of ``units`` on the same engine. Returns attempts/s."""
    _, line_id = await open_drop(bed, units, "Bare")
    engine = bed.stores.engines["global"]
    taken = Counter[int]()

    async def one(_i: int) -> None:
        async with engine.begin() as conn:
            taken[(await conn.execute(BARE_UPDATE, {"id": line_id})).rowcount] += 1

    seconds = await timed_gather(buyers, one)
    async with bed.stores.session() as s:
        left = await s.scalar(select(DropLine.remaining).where(DropLine.id == line_id))
    if left != 0 or taken[1] != units or taken[0] != buyers - units:
        raise Oversold(f"bare UPDATE on {bed.backend}",
                       [f"remaining {left}, rowcounts {dict(taken)}"])
    return buyers / seconds, {"seconds": round(seconds, 3), "updated": taken[1],
                              "missed": taken[0]}


async def warm_up(bed: Bed) -> None:
    """Fill the connection pool and SQLAlchemy's statement cache on a throwaway drop, so
    neither side of the comparison pays for first use."""
    engine = bed.stores.engines["global"]

    async def ping(_i: int) -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    await timed_gather(15, ping)
    drop_id, line_id = await open_drop(bed, 10, "Warm-up")
    await burst(bed, drop_id, line_id, 30, f"w{uuid.uuid4().hex[:4]}")


async def reserve_scenario(bed: Bed, name: str, buyers: int, units: int,
                           gate: RedisGate | None = None) -> tuple[str, str]:
    baseline, bare = await bare_update(bed, buyers, units)
    print(f"{name}: bare UPDATE {baseline:.0f} attempts/s ({bare})", file=sys.stderr)
    drop_id, line_id = await open_drop(bed, units, "Burst")
    if gate is not None:
        await gate.sync(await sweeper.live_remaining(bed.stores))
    outcomes, seconds = await burst(bed, drop_id, line_id, buyers, "b", gate)
    oversell = await verify(bed, name, drop_id, line_id, units, outcomes)
    errors = note_errors(name, outcomes)
    report(name, buyers / seconds, "attempts/s", baseline, {
        "buyers": buyers, "units": units, "per_buyer_limit": LIMIT,
        "successes": outcomes["reserved"], "sold_out": outcomes["sold_out"],
        "errors": errors, "oversell": oversell, "seconds": round(seconds, 3),
        "store": bed.backend,
        "gate": gate is not None, "bare_update": bare, "target": ">= 0.5x bare UPDATE",
        "baseline": "bare conditional UPDATE per transaction, same engine and concurrency"})
    return drop_id, line_id


async def raw_evalsha(gate: RedisGate, line_id: str, calls: int) -> tuple[float, float]:
    """The gate's admit script, bare: ``calls`` concurrent EVALSHAs on the same keys."""
    redis = gate.redis
    sha = hashlib.sha1(_ADMIT.encode(), usedforsecurity=False).hexdigest()
    assert await redis.script_load(_ADMIT) == sha
    base = [gate.key(line_id), f"{gate.key(line_id)}:flight", f"{gate.key(line_id)}:standby"]
    verdicts = Counter[int]()

    async def one(i: int) -> None:  # the same keys the app passes (line, flight, standby, key)
        keys = [*base, f"{gate.prefix}key:cus_raw{i:05d}:raw-{i:06d}"]
        verdicts[int(await redis.evalsha(sha, len(keys), *keys, 1, TTL_S))] += 1

    seconds = await timed_gather(calls, one)
    if verdicts != Counter({0: calls}):
        raise Oversold("raw EVALSHA", [f"verdicts {dict(verdicts)} on a sold-out line"])
    return calls / seconds, seconds


async def run_backend(backend: str, args: argparse.Namespace) -> None:
    name = f"drop.reserve.{backend}"
    stock = args.units * 5 + 100
    async with install(backend, args.pg_url, stock) as bed:
        await warm_up(bed)
        await reserve_scenario(bed, name, args.buyers, args.units)


async def run_gate(args: argparse.Namespace) -> None:
    redis = connect(args.redis_url)
    prefix = f"bench:drop:{uuid.uuid4().hex[:8]}:"
    gate = RedisGate(redis, prefix=prefix)
    try:
        async with install("postgres", args.pg_url, args.units * 5 + 100) as bed:
            await warm_up(bed)
            drop_id, line_id = await reserve_scenario(
                bed, "drop.reserve.postgres_gate", args.buyers, args.units, gate)
            # After the sell-out: a second wave, every attempt turned away by the gate.
            outcomes, seconds = await burst(bed, drop_id, line_id, args.buyers, "r", gate)
            errors = note_errors("drop.gate.rejections", outcomes)
            if outcomes["reserved"] or outcomes["sold_out"] + sum(errors.values()) \
                    != args.buyers:
                raise Oversold("gate rejections", [f"outcomes {dict(outcomes)}"])
            await verify(bed, "gate rejections", drop_id, line_id, args.units,
                         Counter({"reserved": args.units}))
            baseline, raw_seconds = await raw_evalsha(gate, line_id, args.buyers)
            report("drop.gate.rejections", args.buyers / seconds, "rejections/s", baseline, {
                "attempts": args.buyers, "units": args.units, "rejected": outcomes["sold_out"],
                "errors": errors,
                "seconds": round(seconds, 3), "raw_evalsha_seconds": round(raw_seconds, 3),
                "oversell": 0, "store": "postgres+redis", "target": ">= 0.3x raw EVALSHA",
                "baseline": "raw EVALSHA of the gate's admit script, same keys, pool and "
                            "concurrency"})
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
        for i in range(0, len(keys), 500):
            await redis.delete(*keys[i:i + 500])
        await redis.aclose()


async def reachable(what: str, probe: Callable[[], Awaitable[Any]]) -> str | None:
    try:
        await asyncio.wait_for(probe(), 5)
    except Exception as exc:
        return f"{what} unreachable: {type(exc).__name__}: {exc}"
    return None


async def pg_probe(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def redis_probe(url: str) -> None:
    redis = connect(url)
    try:
        await redis.ping()
    finally:
        await redis.aclose()


async def main(args: argparse.Namespace) -> None:
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    pg_down = await reachable("PostgreSQL", lambda: pg_probe(args.pg_url)) \
        if {"postgres", "postgres_gate"} & set(wanted) else None
    for scenario in wanted:
        if scenario == "sqlite":
            await run_backend("sqlite", args)
        elif scenario == "postgres":
            if pg_down:
                skipped("drop.reserve.postgres", pg_down)
            else:
                await run_backend("postgres", args)
        elif scenario == "postgres_gate":
            down = pg_down or await reachable("Redis", lambda: redis_probe(args.redis_url))
            if down:
                skipped("drop.reserve.postgres_gate", down)
                skipped("drop.gate.rejections", down)
            else:
                await run_gate(args)
        else:
            raise SystemExit(f"unknown scenario {scenario!r}")
    if FAILED:
        raise SystemExit(f"attempts failed with errors (no oversell): {FAILED}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--buyers", type=int, default=5000, help="concurrent buyers (one attempt "
                   "each); also the baselines' concurrency")
    p.add_argument("--units", type=int, default=1000, help="units on the drop line")
    p.add_argument("--scenarios", default="sqlite,postgres,postgres_gate",
                   help="comma-separated subset of sqlite, postgres, postgres_gate")
    p.add_argument("--pg-url", default=os.environ.get(
        "CHUHAI_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--redis-url", default=os.environ.get(
        "CHUHAI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = p.parse_args(argv)
    if args.buyers < args.units:
        p.error("--buyers must be at least --units (the line must sell out)")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
