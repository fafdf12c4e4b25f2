"""Translation cache: how long a line already translated takes (target ≤ 1 ms).

A chat line said twice — "link is up!" every few minutes — must not reach a machine
translator again. Measured through the whole chain (cache key over text, languages and
glossary version; the in-process LRU; the Translation record), 10,000 distinct lines primed
through a fake provider, then each looked up again. Baseline, same run: a bare dict lookup
of the same keys. With CHUHAI_BENCH_REDIS_URL set, also the Redis path (another node's
cache: the local LRU is cold).

Prints one JSON line per figure: translate_cache_hit_ms (mean and p99 in params).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import report  # noqa: E402

from chuhai.comms.cache import TranslationCache  # noqa: E402
from chuhai.comms.glossary import Glossary, Term  # noqa: E402
from chuhai.comms.memory import TranslationMemory  # noqa: E402
from chuhai.comms.translator import TranslationChain  # noqa: E402

LINES = 10_000


class Reverse:
    """A stand-in machine translator: instant, deterministic."""

    name = "fake"
    timeout_s = 1.0

    def unavailable(self, source: str, target: str) -> str | None:
        return None

    async def translate(self, text: str, source: str, target: str) -> str:
        return text[::-1].replace("]]0T[[", "[[T0]]")


async def measure(chain: TranslationChain, glossary: Glossary,
                  texts: list[str]) -> list[float]:
    out = []
    for t in texts:
        start = time.perf_counter()
        tr = await chain.translate(t, "en", "de", glossary)
        out.append((time.perf_counter() - start) * 1000)
        assert tr.cached
    return out


async def main() -> None:
    glossary = Glossary.of([Term("SonicWave")])
    texts = [f"SonicWave line number {i}: does it come in blue?" for i in range(LINES)]
    chain = TranslationChain([Reverse()], TranslationMemory(), TranslationCache())
    for t in texts:
        await chain.translate(t, "en", "de", glossary)
    hits = await measure(chain, glossary, texts)
    plain = {t: t for t in texts}
    start = time.perf_counter()
    for t in texts:
        _ = plain[t]
    dict_ms = (time.perf_counter() - start) * 1000 / LINES
    p99 = statistics.quantiles(hits, n=100)[98]
    report("translate_cache_hit_ms", statistics.mean(hits), "ms (mean)", dict_ms,
           {"lines": LINES, "p99_ms": round(p99, 4), "max_ms": round(max(hits), 4),
            "baseline": "dict lookup of the same keys", "target": "<= 1 ms"})
    url = os.environ.get("CHUHAI_BENCH_REDIS_URL")
    if url:
        from redis.asyncio import Redis

        redis = Redis.from_url(url)
        prefix = f"chuhai:bench:{time.time_ns()}:"
        warm = TranslationChain([Reverse()], TranslationMemory(),
                                TranslationCache(redis=redis, prefix=prefix))
        for t in texts[:2000]:
            await warm.translate(t, "en", "de", glossary)
        cold = TranslationChain([Reverse()], TranslationMemory(),
                                TranslationCache(redis=redis, prefix=prefix))
        remote = await measure(cold, glossary, texts[:2000])
        report("translate_cache_hit_redis_ms", statistics.mean(remote), "ms (mean)",
               statistics.mean(hits), {"lines": 2000,
                                       "p99_ms": round(statistics.quantiles(remote, n=100)[98], 4),
                                       "target": "<= 1 ms"})
        async for key in redis.scan_iter(match=prefix + "*"):
            await redis.delete(key)
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
