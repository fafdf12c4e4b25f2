"""Screening speed: lines per second with every pack loaded, on one core.

The lines are the labelled set (tests/comms/data/labelled.jsonl: real live-selling talk in
13 languages, clean and not), each screened for its market with the full engine (market
pack + language packs in one Aho–Corasick automaton per (market, language), regex rules,
word-edge checks, PII detectors and the verdict). Baseline, same run, same lines: the naive
scan — ``text.lower()`` and ``pattern in text`` over the same patterns of the same scope,
with no word edges, no regexes, no PII and no verdict.

Prints one JSON line per figure:
- screen_lines_per_s (target ≥ 50,000/s), baseline the naive scan
- screen_all_markets_lines_per_s: each line for every market pack (a room selling
  everywhere), for scale
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import report  # noqa: E402

from chuhai.comms.service import default_screener  # noqa: E402

DATA = HERE.parent / "tests" / "comms" / "data" / "labelled.jsonl"
SECONDS = 3.0


def lines() -> list[tuple[str, str, str, str]]:
    rows = [json.loads(x) for x in DATA.read_text("utf-8").splitlines() if x.strip()]
    return [(r["text"], r["lang"], r["market"], r["side"]) for r in rows]


def rate(fn, items) -> float:  # type: ignore[no-untyped-def]
    for it in items[:200]:
        fn(it)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS:
        for it in items:
            fn(it)
        n += len(items)
    return n / (time.perf_counter() - start)


def main() -> None:
    screener = default_screener()
    items = lines()
    for _, lang, market, side in items:  # compile every scope before timing
        screener.scope(market, lang, side)
    patterns = {(m, lang): [p for r in screener.rules_for(m, lang) if r.match != "regex"
                            for p in r.patterns] for _, lang, m, _ in items}

    def full(it: tuple[str, str, str, str]) -> None:
        screener.screen(it[0], it[1], it[2], it[3])

    def naive(it: tuple[str, str, str, str]) -> None:
        low = it[0].lower()
        for p in patterns[(it[2], it[1])]:
            if p in low:
                break

    ours = rate(full, items)
    base = rate(naive, items)
    n_rules = len(screener.rules)
    n_patterns = sum(len(r.patterns) for r in screener.rules.values())
    report("screen_lines_per_s", ours, "lines/s", base,
           {"lines": len(items), "packs": len(screener.packs), "rules": n_rules,
            "patterns": n_patterns, "baseline": "lower() + `in` over the same patterns",
            "target": ">= 50000 lines/s, one core"})

    markets = sorted(screener.markets)
    for m in markets:
        for _, lang, _, side in items:
            screener.scope(m, lang, side)

    def everywhere(it: tuple[str, str, str, str]) -> None:
        for m in markets:
            screener.screen(it[0], it[1], m, it[3])

    def naive_everywhere(it: tuple[str, str, str, str]) -> None:
        low = it[0].lower()
        for m in markets:
            for p in screener_patterns(m, it[1]):
                if p in low:
                    break

    cache: dict[tuple[str, str], list[str]] = {}

    def screener_patterns(m: str, lang: str) -> list[str]:
        key = (m, lang)
        if key not in cache:
            cache[key] = [p for r in screener.rules_for(m, lang) if r.match != "regex"
                          for p in r.patterns]
        return cache[key]

    ours_all = rate(everywhere, items)
    base_all = rate(naive_everywhere, items)
    report("screen_all_markets_lines_per_s", ours_all,
           f"lines/s (x{len(markets)} markets)", base_all,
           {"markets": markets, "baseline": "lower() + `in` over the same patterns"})


if __name__ == "__main__":
    main()
