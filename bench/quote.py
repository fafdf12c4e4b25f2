"""Landed-cost quotes for a 5-line basket.

1. In-process, one core: ``landed_cost`` on a 5-line basket (AU over the A$1,000 threshold, so
   every line takes a tariff lookup, a duty and a GST on its own base) — against a baseline
   loop doing the same number of dict lookups and Decimal operations (counted from the
   engine's path: per line 6 lookups and 16 Decimal operations, plus 12 + 20 for the parcel).
   Target ≥ 20,000 quotes/s.
2. Through HTTP (in-process ASGI, no socket, so the app is what is measured): POST
   /api/quotes with the same basket as JSON against a no-op JSON endpoint of the same app
   (reads and parses the body, answers a small JSON object). Target ≥ 0.6×.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import httpx
import orjson
from _common import fresh_install, per_second, report
from fastapi import Request
from fastapi.responses import Response

from chuhai.app import create_app
from chuhai.crossborder.basket import Basket, Item
from chuhai.crossborder.landed_cost import landed_cost
from chuhai.crossborder.loader import rulebook

CODES = ["610910", "851830", "950691", "392410", "940360"]
BASKET = Basket("AU", date(2026, 11, 24), tuple(
    Item(hs, "CN", Decimal("250.00") + i, "AUD", 1 + i % 2) for i, hs in enumerate(CODES)),
    Decimal("25.00"), "AUD", registrations=frozenset({"AU_GST"}))
BODY = {"destination": "AU", "date": "2026-11-24", "currency": "AUD",
        "registrations": ["AU_GST"], "shipping": {"amount": "25.00", "currency": "AUD"},
        "items": [{"hs_code": it.hs_code, "origin": "CN", "unit_value": str(it.unit_value),
                   "currency": "AUD", "quantity": it.quantity} for it in BASKET.items]}


def rate(fn, seconds: float = 2.0) -> float:
    for _ in range(200):
        fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            fn()
        n += 100
    return n / (time.perf_counter() - start)


def baseline_factory():
    table = {hs: Decimal("5") for hs in CODES} | {"AUD": Decimal("1.6"), "EUR": Decimal(1)}
    values = [it.unit_value for it in BASKET.items]
    hundred, ship = Decimal(100), Decimal("25.00")

    def baseline() -> Decimal:
        total = Decimal(0)
        for _ in range(12):  # parcel-level lookups
            table.get("AUD")
        acc = Decimal(0)
        for _ in range(20):  # parcel-level arithmetic
            acc = acc + ship
        for hs, v in zip(CODES, values, strict=True):
            for _ in range(6):
                r = table[hs]
            x = v
            for _ in range(8):  # 16 operations: 8 multiply + 8 add
                x = x * r / hundred + v
            total += x
        return total + acc
    return baseline


async def http_figures() -> tuple[float, float]:
    settings, stores, _, _ = await fresh_install()
    app = create_app(settings, stores=stores)

    async def noop(request: Request) -> Response:
        data = orjson.loads(await request.body())
        return Response(orjson.dumps({"ok": True, "items": len(data["items"])}),
                        media_type="application/json")
    app.add_api_route("/bench/noop", noop, methods=["POST"])
    payload = orjson.dumps(BODY)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        async def quote() -> None:
            r = await client.post("/api/quotes", content=payload, headers=headers)
            assert r.status_code == 200, r.text

        async def bare() -> None:
            r = await client.post("/bench/noop", content=payload, headers=headers)
            assert r.status_code == 200

        base = await per_second(bare)
        fig = await per_second(quote)
    await stores.dispose()
    return fig, base


def main() -> None:
    book = rulebook()
    q = landed_cost(book, BASKET)
    assert q.duty_total > 0 and q.tax_total > 0, "the bench basket must exercise duty and tax"
    engine = rate(lambda: landed_cost(book, BASKET))
    full = rate(lambda: landed_cost(book, BASKET).as_dict())
    base = rate(baseline_factory())
    params = {"lines": 5, "market": "AU", "target_per_s": 20000}
    report("quote_in_process", engine, "quotes/s", base, params)
    report("quote_in_process_with_json_dict", full, "quotes/s", base, params)
    fig, bare = asyncio.run(http_figures())
    report("quote_http", fig, "requests/s", bare, {"lines": 5, "target_ratio": 0.6})


if __name__ == "__main__":
    main()
