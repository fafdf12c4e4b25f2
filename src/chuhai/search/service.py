"""Searching a market's listings: the plan (search/text.py), typo corrections against the
index's vocabulary, the full-text match (search/engine.py), then ranking, facets and pages
here — the same on SQLite and PostgreSQL.

Ranking: each query word scores by how it matched (the word itself > its stem > a
Han/kana/Thai bigram > a corrected typo > inside a compound) and where (title and brand
above description and attributes); the engine's relevance and the units sold break ties.
An empty or meaningless query — or one nothing matches — answers with the market's most
popular listings, said so (``fallback``), never an error.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Org
from chuhai.core.errors import InvalidInput
from chuhai.core.money import Money
from chuhai.core.shortcache import ShortCache
from chuhai.markets.profiles import get_profile
from chuhai.search import engine, text
from chuhai.search.models import SearchDocument
from chuhai.web.i18n import N_

CANDIDATES = 400  # best full-text matches ranked and faceted
MAX_PAGE = 50
WEIGHTS = {"exact": 1.0, "stem": 0.85, "ngram": 0.9, "typo": 0.6, "compound": 0.5}
BODY = 0.4  # a match in the description or attributes, against one in the title
_vocabulary: ShortCache[str, dict[int, list[str]]] = ShortCache(ttl_s=60.0)


@dataclass(frozen=True)
class Filters:
    chapter: str | None = None
    price_min: Decimal | None = None  # major units of the market's currency, delivered
    price_max: Decimal | None = None


@dataclass
class Hit:
    doc: SearchDocument
    score: float
    matched: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Page:
    query: str
    market: str
    currency: str
    hits: list[Hit]
    total: int
    facets: dict[str, list[dict[str, Any]]]
    next_cursor: str | None
    fallback: str | None  # "popular" when nothing matched (or nothing was asked)
    corrections: dict[str, list[str]]


def languages_of(market: str) -> list[str]:
    profile = get_profile(market)
    return [t.split("-")[0] for t in profile.languages] if profile else ["en"]


async def search(s: AsyncSession, *, q: str, market: str, org_id: str | None = None,
                 filters: Filters = Filters(), cursor: str | None = None, limit: int = 20,
                 secret: str = "", dialect: str = "sqlite") -> Page:
    market = market.upper()[:2]
    if get_profile(market) is None:
        raise InvalidInput(f"unknown market {market!r}", code="unknown_market")
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = _offset(cursor, secret, q, market, org_id, filters)
    langs = languages_of(market)
    vocab = await _vocabulary.get(f"{id(s.bind)}:{market}", time.monotonic(),
                                  lambda: _load_vocabulary(s, market))
    corrections = corrections_for(text.latin_words(q), vocab)
    plan = text.query(q, langs, market=market, org_id=org_id, corrections=corrections)
    hits: list[Hit] = []
    fallback = None
    if not plan.empty:
        found = await engine.for_dialect(dialect).match(s, plan, CANDIDATES)
        hits = await _ranked(s, plan, found)
    if not hits:
        fallback = "popular"
        hits = await _popular(s, market, org_id)
    shown = _filtered(hits, filters)
    facets = {"price": price_bands(_filtered(hits, Filters(chapter=filters.chapter))),
              "category": categories(_filtered(hits, Filters(
                  price_min=filters.price_min, price_max=filters.price_max)))}
    page = shown[offset:offset + limit]
    more = offset + limit < len(shown)
    profile = get_profile(market)
    currency = hits[0].doc.currency if hits else (profile.currency.code if profile else "USD")
    return Page(q[:text.MAX_QUERY], market, currency, page, len(shown), facets,
                _cursor(offset + limit, secret, q, market, org_id, filters) if more else None,
                fallback, {k: v for k, v in corrections.items() if v})


async def _load_vocabulary(s: AsyncSession, market: str) -> dict[int, list[str]]:
    """The market's whole words by length: what a typo is corrected to."""
    words: set[str] = set()
    for row in (await s.scalars(select(SearchDocument.words).where(
            SearchDocument.market == market))).all():
        words.update(row.split())
    by_length: dict[int, list[str]] = {}
    for w in sorted(words):
        by_length.setdefault(len(w), []).append(w)
    return by_length


def forget_vocabulary() -> None:
    _vocabulary.forget()


def corrections_for(words: list[str], vocab: dict[int, list[str]]) -> dict[str, list[str]]:
    """For each word the index does not know: its nearest known words within the typo
    distance (text.typo_distance), best first, at most three."""
    out: dict[str, list[str]] = {}
    for w in words:
        if w in vocab.get(len(w), []):
            continue
        d = text.typo_distance(w)
        pool = [v for n in range(len(w) - d, len(w) + d + 1) for v in vocab.get(n, [])]
        found = process.extract(w, pool, scorer=Levenshtein.distance, score_cutoff=d,
                                limit=3) if d and pool else []
        out[w] = [v for v, _dist, _i in sorted(found, key=lambda f: (f[1], f[0]))]
    return out


async def _ranked(s: AsyncSession, plan: text.Query,
                  found: list[tuple[int, float]]) -> list[Hit]:
    if not found:
        return []
    rel = dict(found)
    top = max(abs(r) for r in rel.values()) or 1.0
    docs = (await s.scalars(select(SearchDocument).where(
        SearchDocument.id.in_(list(rel))))).all()
    hits = []
    for d in docs:
        head, body = set(d.title_tokens.split()), set(d.body_tokens.split())
        score, matched = 0.0, []
        for unit in plan.units:
            best: tuple[float, text.Alternative, str] | None = None
            for alt in unit.alternatives:
                for where, tokens, weight in (("title", head, 1.0), ("description", body,
                                                                      BODY)):
                    if all(t in tokens for t in alt.tokens):
                        value = WEIGHTS[alt.how] * weight
                        if best is None or value > best[0]:
                            best = (value, alt, where)
            if best is not None:
                score += best[0]
                matched.append({"word": unit.text, "how": best[1].how, "as": best[1].shown,
                                "field": best[2]})
        score += 0.05 * abs(rel[d.id]) / top + 0.01 * math.log1p(d.popularity)
        hits.append(Hit(d, score, matched))
    hits.sort(key=lambda h: (-h.score, -h.doc.popularity, h.doc.id))
    return hits


async def _popular(s: AsyncSession, market: str, org_id: str | None) -> list[Hit]:
    q = select(SearchDocument).where(SearchDocument.market == market)
    if org_id:
        q = q.where(SearchDocument.org_id == org_id)
    docs = (await s.scalars(q.order_by(SearchDocument.popularity.desc(), SearchDocument.id)
                            .limit(CANDIDATES))).all()
    return [Hit(d, 0.0) for d in docs]


def _filtered(hits: list[Hit], f: Filters) -> list[Hit]:
    out = []
    for h in hits:
        if f.chapter and h.doc.hs_chapter != f.chapter:
            continue
        price = Money.from_minor(h.doc.landed_minor, h.doc.currency).amount
        if f.price_min is not None and price < f.price_min:
            continue
        if f.price_max is not None and price >= f.price_max:
            continue
        out.append(h)
    return out


def _nice(x: Decimal) -> Decimal:
    """The nearest 1, 2 or 5 × 10ⁿ at or above ``x``: band edges a buyer reads at a glance."""
    if x <= 0:
        return Decimal(1)
    exp = math.floor(math.log10(float(x)))
    for m in (1, 2, 5, 10):
        edge = Decimal(m) * Decimal(10) ** exp
        if edge >= x:
            return edge
    return Decimal(10) ** (exp + 1)


def price_bands(hits: list[Hit]) -> list[dict[str, Any]]:
    """Up to four bands of what the buyer pays (delivered), edged at round numbers near the
    quartiles of these results, each with how many results fall in it."""
    if not hits:
        return []
    prices = sorted(Money.from_minor(h.doc.landed_minor, h.doc.currency).amount for h in hits)
    edges: list[Decimal] = []
    for qtl in (0.25, 0.5, 0.75):
        edge = _nice(prices[min(len(prices) - 1, int(len(prices) * qtl))])
        if edge > prices[0] and (not edges or edge > edges[-1]) and edge <= prices[-1]:
            edges.append(edge)
    if not edges:  # one band would filter nothing
        return []
    bounds: list[Decimal | None] = [None, *edges, None]
    out = []
    for low, high in pairwise(bounds):
        n = sum(1 for p in prices if (low is None or p >= low) and (high is None or p < high))
        if n:
            out.append({"min": str(low) if low is not None else None,
                        "max": str(high) if high is not None else None, "count": n})
    return out


def categories(hits: list[Hit]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for h in hits:
        counts[h.doc.hs_chapter] = counts.get(h.doc.hs_chapter, 0) + 1
    return [{"chapter": c, "count": n} for c, n in sorted(counts.items(),
                                                           key=lambda kv: (-kv[1], kv[0]))]


@cache
def chapter_names() -> dict[str, dict[str, str]]:
    path = resources.files("chuhai") / "rules" / "hs" / "chapter_names.toml"
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def chapter_name(chapter: str, language: str) -> str:
    names = chapter_names()
    return (names.get(language, {}).get(chapter) or names.get("en", {}).get(chapter)
            or chapter)


# What a price band says (filled with amounts in the buyer's locale where shown).
BAND_LABELS = (N_("under %(high)s"), N_("%(low)s – %(high)s"), N_("%(low)s and more"))


def _fingerprint(q: str, market: str, org_id: str | None, f: Filters) -> str:
    raw = json.dumps([q[:text.MAX_QUERY], market, org_id, f.chapter, str(f.price_min),
                      str(f.price_max)])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _cursor(offset: int, secret: str, q: str, market: str, org_id: str | None,
            f: Filters) -> str:
    return str(URLSafeSerializer(secret or "chuhai", salt="search-cursor").dumps(
        {"o": offset, "h": _fingerprint(q, market, org_id, f)}))


def _offset(cursor: str | None, secret: str, q: str, market: str, org_id: str | None,
            f: Filters) -> int:
    """Where a page starts; a cursor that was not ours, or not for this search, is refused."""
    if not cursor:
        return 0
    try:
        data = URLSafeSerializer(secret or "chuhai", salt="search-cursor").loads(cursor[:200])
    except BadSignature:
        raise InvalidInput("the cursor is not one this search gave", code="invalid_cursor",
                           ) from None
    if not isinstance(data, dict) or data.get("h") != _fingerprint(q, market, org_id, f) \
            or not isinstance(data.get("o"), int) or not 0 <= data["o"] <= CANDIDATES:
        raise InvalidInput("the cursor belongs to another search", code="invalid_cursor")
    return int(data["o"])


async def shop_slugs(s: AsyncSession, org_ids: set[str]) -> dict[str, str]:
    if not org_ids:
        return {}
    return dict((await s.execute(select(Org.id, Org.slug).where(Org.id.in_(org_ids)))).all())
