"""Search: speed at scale and quality on labelled queries, on SQLite and PostgreSQL.

Speed (``search.p95.<backend>``): ``listings`` documents (default 100,000) in 5 languages
(en/US, de/DE, fr/FR, ja/JP, ko/KR) built with search/text.py from the multilingual test
catalog (tests/search/data/catalog.toml: 40 kinds × brands × attributes), bulk-inserted;
then the full search path in process — plan, typo lookup, the engine's match, ranking,
facets, page — for a mix of queries (exact, stem, compound, typo, CJK bigram), p95 in ms.
Baseline, same run, same engine, same tokens: the bare full-text match of the plan's
expression (``search_fts MATCH`` / ``tsv @@ to_tsquery``) with ``LIMIT 20``. Target:
p95 ≤ 30 ms.

Quality (``search.quality.<lang>``): the labelled queries of tests/search/data/queries
(written before any tuning) against the demo titles and the catalog's titles of that
language, on SQLite: recall@3 (a correct answer in the first three) and MRR. No baseline:
these are absolute figures (``baseline`` null).

A backend that cannot be reached prints ``{"name": …, "skipped": reason}``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from _common import report  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from tests.factories import committed_shop  # noqa: E402

from chuhai.catalog.models import Listing, Product  # noqa: E402
from chuhai.core.clock import utcnow  # noqa: E402
from chuhai.core.config import Settings  # noqa: E402
from chuhai.demo import ARABIC, PRODUCTS  # noqa: E402
from chuhai.search import engine, service  # noqa: E402
from chuhai.search import text as stext  # noqa: E402
from chuhai.search.models import SearchDocument  # noqa: E402

DATA = ROOT / "tests" / "search" / "data"
MARKETS = {"en": "US", "de": "DE", "fr": "FR", "ja": "JP", "ko": "KR", "es": "ES",
           "zh": "CN", "ar": "SA"}
SPEED_LANGS = ["en", "de", "fr", "ja", "ko"]
QUERIES = {"en": ["headphones", "speker", "wireless charger", "usb", "bottle"],
           "de": ["verstarker", "kopfhorer", "lautsprechern", "tastatr", "lampe"],
           "fr": ["casques", "ecouteurs", "chargeur", "bouteille", "lampe"],
           "ja": ["充電", "ｽﾋﾟｰｶｰ", "ヘッドホン", "ケーブル", "マット"],
           "ko": ["무선", "헤드폰", "충전기", "케이블", "매트"]}


def kinds() -> list[dict[str, Any]]:
    return list(tomllib.loads((DATA / "catalog.toml").read_text("utf-8"))["kind"])


async def fill(stores: Any, org_id: str, docs: list[tuple[str, str, str, str, str, int]]
               ) -> None:
    """Products, listings and their search documents, in bulk.
    ``docs``: (key, language, market, title, hs, price_minor)."""
    now = utcnow()
    async with stores.session() as s:
        for i in range(0, len(docs), 5000):
            batch = docs[i:i + 5000]
            await s.execute(insert(Product), [{
                "id": f"prd_b{k}", "org_id": org_id, "code": f"B{k}", "title": title[:200],
                "description": "", "brand": "", "hs_code": hs, "origin_country": "CN",
                "weight_g": 100, "customs_value_minor": 100, "customs_currency": "USD",
                "certifications": [], "images": [], "status": "active", "created_at": now,
                "updated_at": now} for k, _lang, _m, title, hs, _p in batch])
            await s.execute(insert(Listing), [{
                "id": f"lst_b{k}", "org_id": org_id, "product_id": f"prd_b{k}", "market": m,
                "language": lang, "title": title[:200], "description": "", "price_minor": p,
                "currency": "USD", "visible": True} for k, lang, m, title, _hs, p in batch])
            rows = []
            for k, lang, m, title, hs, p in batch:
                d = stext.document(title=title, brand="", description="", attributes=[],
                                   language=lang, market=m, org_id=org_id)
                rows.append({"listing_id": f"lst_b{k}", "product_id": f"prd_b{k}",
                             "org_id": org_id, "market": m, "language": lang,
                             "title": title[:200], "image": "", "hs_chapter": hs[:2],
                             "landed_minor": p, "currency": "USD",
                             "popularity": hash(k) % 100, "title_tokens": d.title_tokens,
                             "body_tokens": d.body_tokens, "words": " ".join(d.words),
                             "source_updated_at": now, "indexed_at": now})
            await s.execute(insert(SearchDocument), rows)
        await s.commit()


def generated(n: int) -> list[tuple[str, str, str, str, str, int]]:
    rnd = random.Random(7)
    ks = kinds()
    brands = sorted({k["brand"] for k in ks}) + [f"Brand{i}" for i in range(200)]
    adjectives = ["Pro", "Mini", "Max", "Lite", "Plus", "2", "3", "X", "Air", "Go"]
    out = []
    for i in range(n):
        lang = SPEED_LANGS[i % len(SPEED_LANGS)]
        k = ks[rnd.randrange(len(ks))]
        title = f"{rnd.choice(brands)} {k[lang]} {rnd.choice(adjectives)}"
        out.append((str(i), lang, MARKETS[lang], title, k["hs"], rnd.randrange(500, 50000)))
    return out


async def speed(backend: str, pg_url: str, n: int, rounds: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="chuhai-bench-search-"))
    base = Settings(data_dir=data_dir, secret_key="bench",
                    database_url=None if backend == "sqlite" else pg_url)
    try:
        async with committed_shop(base, data_dir, 1) as (_settings, stores, shop):
            t0 = time.perf_counter()
            await fill(stores, shop.tenant.org_id, generated(n))
            build_s = time.perf_counter() - t0
            dialect = stores.engines["global"].dialect.name
            full: list[float] = []
            bare: list[float] = []
            fts = engine.for_dialect(dialect)
            async with stores.session() as s:
                if dialect != "sqlite":
                    await s.execute(text("ANALYZE"))
                for r in range(rounds + 1):
                    for lang in SPEED_LANGS:
                        for q in QUERIES[lang]:
                            market = MARKETS[lang]
                            t = time.perf_counter()
                            await service.search(s, q=q, market=market, secret="b",
                                                 dialect=dialect)
                            elapsed = (time.perf_counter() - t) * 1000
                            plan = stext.query(q, service.languages_of(market), market=market,
                                               org_id=None)
                            t = time.perf_counter()
                            if not plan.empty:
                                await fts.match(s, plan, 20)
                            bare_ms = (time.perf_counter() - t) * 1000
                            if r:  # the first round warms caches (the vocabulary)
                                full.append(elapsed)
                                bare.append(bare_ms)
            p95 = statistics.quantiles(full, n=20)[18]
            base_p95 = statistics.quantiles(bare, n=20)[18]
            report(f"search.p95.{backend}", p95, "ms", base_p95,
                   {"listings": n, "languages": SPEED_LANGS, "queries": len(full),
                    "index_build_s": round(build_s, 1), "target_ms": 30,
                    "baseline": "bare full-text match of the same tokens, LIMIT 20"})
    except OSError as exc:
        print(f'{{"name": "search.p95.{backend}", "skipped": "{exc}"}}', flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def quality() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="chuhai-bench-searchq-"))
    try:
        async with committed_shop(Settings(data_dir=data_dir, secret_key="bench"), data_dir,
                                  1) as (_settings, stores, shop):
            org = shop.tenant.org_id
            docs = []
            for k in kinds():
                for lang, market in MARKETS.items():
                    docs.append((f"{k['id']}-{lang}", lang, market, f"{k['brand']} {k[lang]}",
                                 k["hs"], 1000))
            demo = {"en": lambda p: p.title, "de": lambda p: p.de, "ja": lambda p: p.ja,
                    "ar": lambda p: ARABIC[p.code]}
            for lang, title_of in demo.items():
                for p in PRODUCTS:
                    docs.append((f"{p.code}-{lang}-demo", lang, MARKETS[lang], title_of(p),
                                 p.hs, 1000))
            await fill(stores, org, docs)
            async with stores.session() as s:
                for lang in MARKETS:
                    cases = tomllib.loads((DATA / "queries" / f"{lang}.toml").read_text(
                        "utf-8"))["query"]
                    recall, rr = [], []
                    for case in cases:
                        page = await service.search(s, q=case["q"], market=MARKETS[lang],
                                                    limit=10, secret="b")
                        keys = [h.doc.product_id.removeprefix("prd_b") for h in page.hits]
                        want = {f"{e}-{lang}" + ("-demo" if case.get("catalog") == "demo"
                                                 else "") for e in case["expect"]}
                        ranks = [i for i, key in enumerate(keys) if key in want]
                        if page.fallback:
                            ranks = []
                        recall.append(1.0 if ranks and ranks[0] < 3 else 0.0)
                        rr.append(1.0 / (ranks[0] + 1) if ranks else 0.0)
                    report(f"search.quality.{lang}", statistics.mean(recall), "recall@3",
                           None, {"mrr": round(statistics.mean(rr), 3),
                                  "queries": len(cases)})
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listings", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CHUHAI_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    if not args.skip_quality:
        await quality()
    for backend in args.backends.split(","):
        await speed(backend, args.pg_url, args.listings, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
