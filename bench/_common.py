"""Helpers shared by the benchmarks: a throwaway migrated SQLite install with one tenant."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from chuhai.accounts.service import Accounts, actor_of
from chuhai.core.actor import Actor, Role
from chuhai.core.config import Settings
from chuhai.core.db import Stores, unit_of_work
from chuhai.core.migrate import upgrade_all
from chuhai.core.secrets_store import signing_key


async def fresh_install() -> tuple[Settings, Stores, Actor, str]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="chuhai-bench-")),
                        secret_key="bench")
    stores = Stores(settings)
    await upgrade_all(stores)
    async with unit_of_work(stores) as uow:
        acc = Accounts(uow, signing_key(settings))
        org = await acc.create_org("bench", "Bench", "CN")
        subject, _ = await acc.create_staff(Actor.system(org.id), "b@bench.example", "B",
                                            "bench-password", Role.OWNER)
        actor = actor_of(subject)
        _, token = await acc.create_token(actor, "bench")
    return settings, stores, actor, token


async def per_second(fn: Callable[[], Awaitable[Any]], seconds: float = 2.0) -> float:
    for _ in range(5):  # warm up
        await fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        await fn()
        n += 1
    return n / (time.perf_counter() - start)


def report(name: str, figure: float, unit: str, baseline: float | None,
           params: dict[str, Any]) -> None:
    """One JSON line. ``baseline`` is None where no same-run baseline does comparable work
    (the script's docstring says why); then ``ratio`` is null too."""
    print(json.dumps({"name": name, "figure": round(figure, 3 if abs(figure) < 10 else 1),
                      "unit": unit,
                      "baseline": None if baseline is None
                      else round(baseline, 4 if abs(baseline) < 10 else 1),
                      "ratio": round(figure / baseline, 3) if baseline else None,
                      "params": params}), flush=True)
