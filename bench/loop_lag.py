"""Event-loop lag while a node serves a burst of big requests: four 199k-character script
checks across 12 markets and a 5,000-row CSV import dry run, all at once, against a real
uvicorn node in its own process.

While the burst runs, a probe thread asks the node for ``/healthz`` back to back; how long
each answer takes is what every other request and live room on the node waits. Figure: the
p99 of those answers with the work in the bounded worker pool (core.workers); the maximum
is in params. Baseline, same run, same burst: the same node with that work run inline on
the event loop, as before the pool existed. Lower is better; ratio < 1 means the pool kept
the node responsive.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402

MARKETS = ["CN", "US", "GB", "DE", "FR", "JP", "KR", "SA", "AE", "ID", "TH", "BR"]
SCRIPTS = 4
CSV_ROWS = 5000
LINE = ("Welcome back everyone! This speaker is the best in the world, order now, only "
        "three left, limited time offer, 50% off today, clinically proven sound.\n")


def script() -> str:
    return (LINE * (199_000 // len(LINE) + 1))[:199_000]


def catalog_csv(rows: int = CSV_ROWS) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["product_code", "title", "hs_code", "origin_country", "weight_g",
                "customs_value", "customs_currency", "sku_code", "US_title", "US_price",
                "DE_title", "DE_price"])
    for i in range(rows):
        w.writerow([f"P{i}", f"Earbuds {i}", "851830", "CN", "60", "14.50", "USD", f"P{i}",
                    f"Earbuds {i}", "39.00", f"Ohrhörer {i}", "36.99"])
    return out.getvalue().encode()


def serve(mode: str, port: int) -> None:
    """The node: the app as ``chuhai serve`` runs it; ``inline`` puts the pooled work back
    on the event loop (the baseline)."""
    import uvicorn

    from chuhai.catalog import importer
    from chuhai.comms import api as comms_api
    from chuhai.privacy import export

    if mode == "inline":
        async def inline(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        comms_api.offload = importer.offload = export.offload = inline
    uvicorn.run("chuhai.app:create_app", factory=True, host="127.0.0.1", port=port,
                log_level="warning")


class Node:
    def __init__(self, mode: str, data_dir: Path) -> None:
        from tests.live.harness import free_port

        self.port = free_port()
        env = {**os.environ, "CHUHAI_DATA_DIR": str(data_dir), "CHUHAI_SECRET_KEY": "bench",
               "CHUHAI_BACKGROUND": "false"}
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", mode,
                                      str(self.port)], env=env)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                if httpx.get(f"{self.base}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("node did not start")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def probe(base: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        while not stop.is_set():
            start = time.perf_counter()
            client.get("/healthz")
            out.append(time.perf_counter() - start)
            time.sleep(0.005)


async def burst(base: str, token: str, text: str, data: bytes) -> tuple[list[float], float]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=600, headers=headers) as client:
        async def check() -> None:
            r = await client.post("/api/screen/script",
                                  json={"text": text, "markets": MARKETS, "lang": "en"})
            assert r.status_code == 200, r.text[:300]

        async def dry_run() -> None:
            r = await client.post("/api/products/import?dry_run=true",
                                  files={"file": ("c.csv", data, "text/csv")})
            assert r.status_code == 200, r.text[:300]

        answers: list[float] = []
        stop = threading.Event()
        prober = threading.Thread(target=probe, args=(base, stop, answers))
        prober.start()
        start = time.perf_counter()
        await asyncio.gather(*(check() for _ in range(SCRIPTS)), dry_run())
        elapsed = time.perf_counter() - start
        stop.set()
        prober.join()
    return answers, elapsed


def p99(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=100)[98] if len(xs) >= 100 else max(xs)


async def measure(mode: str, data_dir: Path, token: str, text: str, data: bytes
                  ) -> tuple[list[float], float]:
    node = Node(mode, data_dir)
    try:
        await burst(node.base, token, LINE * 50, catalog_csv(20))  # warm every scope
        return await burst(node.base, token, text, data)
    finally:
        node.close()


async def main() -> None:
    from _common import fresh_install, report

    from chuhai.core import workers

    settings, stores, _actor, token = await fresh_install()
    await stores.dispose()
    text, data = script(), catalog_csv()
    pooled, pooled_s = await measure("pooled", settings.data_dir, token, text, data)
    inline, inline_s = await measure("inline", settings.data_dir, token, text, data)
    report("healthz_p99_ms_during_big_requests", p99(pooled) * 1000, "ms", p99(inline) * 1000,
           {"scripts": SCRIPTS, "script_chars": len(text), "markets": len(MARKETS),
            "csv_rows": CSV_ROWS, "workers": workers.default_size(),
            "max_ms": round(max(pooled) * 1000, 1),
            "baseline_max_ms": round(max(inline) * 1000, 1),
            "probes": len(pooled), "baseline_probes": len(inline),
            "burst_s": round(pooled_s, 2), "baseline_burst_s": round(inline_s, 2),
            "baseline": "same node, same burst, the work inline on the event loop"})


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        sys.path.insert(0, str(HERE.parent))
        asyncio.run(main())
