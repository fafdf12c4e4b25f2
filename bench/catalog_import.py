"""CSV import of 2,000 SKU rows (1,000 products × 2 SKUs × 2 markets): validate everything,
then write in one savepoint. Baseline in the same run: parsing the same file with csv.reader
alone. Figures in rows per second."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import fresh_install, report

from chuhai.catalog.importer import import_catalog
from chuhai.core.db import unit_of_work

PRODUCTS = 1000


def make_csv() -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["product_code", "title", "hs_code", "origin_country", "weight_g",
                "customs_value", "customs_currency", "sku_code", "sku_attributes",
                "US_title", "US_price", "DE_title", "DE_price"])
    for i in range(PRODUCTS):
        for color in ("black", "white"):
            w.writerow([f"P{i}", f"Earbuds {i}", "851830", "CN", "60", "14.50", "USD",
                        f"P{i}-{color}", f"color={color}", f"Earbuds {i}", "39.00",
                        f"Ohrhörer {i}", "36.99"])
    return out.getvalue()


async def main() -> None:
    _settings, stores, actor, _token = await fresh_install()
    text = make_csv()
    rows = PRODUCTS * 2
    start = time.perf_counter()
    async with unit_of_work(stores) as uow:
        result = await import_catalog(uow.global_, actor, text.encode())
    elapsed = time.perf_counter() - start
    assert result.created == PRODUCTS
    start = time.perf_counter()
    for _ in range(20):
        sum(1 for _ in csv.reader(io.StringIO(text)))
    baseline_elapsed = (time.perf_counter() - start) / 20
    await stores.dispose()
    report("catalog_import_csv", rows / elapsed, "rows/s", rows / baseline_elapsed,
           {"rows": rows, "products": PRODUCTS, "markets": 2, "store": "sqlite",
            "baseline": "csv.reader over the same file"})


if __name__ == "__main__":
    asyncio.run(main())
