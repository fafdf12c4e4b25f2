"""How far the cross-border facts can be trusted, and the queue a person works through.

Every fact (a regime rule, a tariff row, a restricted-goods rule) says where it came from
and how sure we are: ``primary`` only when read in an official text — a law or regulation,
a customs or tax authority, a central bank, the WCO or WTO — whose site is on the list kept
as data (``rules/sources/official.toml``); news, advisers and mirrors are ``secondary``;
``unverified`` is what nobody has checked. ``chuhai rules check`` refuses a ``primary`` fact
with no official source and a fact without a source or a review date (``problems``);
``chuhai rules review`` lists what needs a person (``queue``).
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlparse

from chuhai.crossborder.loader import build
from chuhai.demand.lanes import lanes

STALE_AFTER = timedelta(days=180)
ENDING_WITHIN = timedelta(days=90)


@dataclass(frozen=True)
class Fact:
    id: str
    market: str
    kind: str  # rule | tariff | restriction | lane
    confidence: str
    sources: tuple[str, ...]
    last_reviewed: date | None
    effective_to: date | None


@cache
def official_suffixes() -> tuple[str, ...]:
    text = (resources.files("chuhai") / "rules" / "sources" / "official.toml").read_text(
        "utf-8")
    return tuple(str(s).lower().lstrip(".") for s in tomllib.loads(text)["suffixes"])


def official(url: str) -> bool:
    """Whether ``url`` is on an official site (its host is, or ends in, a listed suffix)."""
    host = (urlparse(url).hostname or "").lower()
    return any(host == s or host.endswith("." + s) for s in official_suffixes())


def facts() -> list[Fact]:
    """Every fact the rulebook holds, with its label, sources and dates."""
    book = build()
    out: list[Fact] = []
    for regime in [*book.markets.values(), *book.unions.values()]:
        market = regime.market
        for r in regime.rules:
            out.append(Fact(r.id, str(market), "rule", r.confidence,
                            tuple(str(s) for s in r.source), r.last_reviewed,
                            r.effective_to))
    for x in book.restrictions:
        out.append(Fact(x.id, ",".join(x.markets), "restriction", x.confidence,
                        tuple(str(s) for s in x.source), x.last_reviewed, x.effective_to))
    base = resources.files("chuhai") / "rules" / "tariffs"
    for path in sorted(base.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".csv"):
            out += _tariff_facts(path.name.removesuffix(".csv"), path.read_text("utf-8"))
    for lane in lanes():  # restock lead times: market estimates, reviewed like the rest
        out += [Fact(f"{lane.id}.{to}", to, "lane", lane.confidence, lane.source,
                     lane.last_reviewed, None) for to in lane.to]
    return out


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()) if raw and raw.strip() else None
    except ValueError:
        return None


def _tariff_facts(market: str, text: str) -> list[Fact]:
    out = []
    for rec in csv.DictReader(io.StringIO(text)):
        origin = f".{rec.get('origin') or 'all'}" if rec.get("origin") else ""
        fid = f"{market}.tariff.{rec['hs']}{origin}.{rec['kind']}@{rec['effective_from']}"
        out.append(Fact(fid, market, "tariff", (rec.get("confidence") or "").strip(),
                        tuple((rec.get("source") or "").split()),
                        _date(rec.get("last_reviewed")), _date(rec.get("effective_to"))))
    return out


def problems(all_facts: list[Fact]) -> list[str]:
    """What ``chuhai rules check`` refuses: a ``primary`` fact without an official source;
    a fact without a source or a review date."""
    out = []
    for f in all_facts:
        if not f.sources:
            out.append(f"{f.id}: no source")
        if f.last_reviewed is None:
            out.append(f"{f.id}: no review date")
        if f.confidence == "primary" and not any(official(s) for s in f.sources):
            out.append(f"{f.id}: labelled primary, but no source is an official text "
                       f"(rules/sources/official.toml); label it secondary")
    return out


def queue(all_facts: list[Fact], today: date, market: str | None = None
          ) -> dict[str, list[Fact]]:
    """The facts that need a person, by reason: unverified, secondary (to be read in the
    official text), not reviewed in 180 days, citing only unofficial sources, ending within
    90 days (the next rule must be encoded before then)."""
    chosen = [f for f in all_facts if market is None
              or market.upper() in f.market.split(",") or f.id.startswith(market.upper())]
    return {
        "unverified": [f for f in chosen if f.confidence == "unverified"],
        "secondary": [f for f in chosen if f.confidence == "secondary"],
        "stale": [f for f in chosen if f.last_reviewed is None
                  or today - f.last_reviewed > STALE_AFTER],
        "unofficial_sources": [f for f in chosen
                               if not any(official(s) for s in f.sources)],
        "ending_soon": [f for f in chosen if f.effective_to is not None
                        and today <= f.effective_to <= today + ENDING_WITHIN],
    }


def summary(all_facts: list[Fact], today: date, market: str | None = None
            ) -> dict[str, Any]:
    q = queue(all_facts, today, market)
    chosen = [f for f in all_facts if market is None
              or market.upper() in f.market.split(",") or f.id.startswith(market.upper())]
    by_label: dict[str, int] = {}
    for f in chosen:
        by_label[f.confidence] = by_label.get(f.confidence, 0) + 1
    return {"date": today.isoformat(), "market": market, "facts": len(chosen),
            "by_confidence": by_label, "queue": {k: len(v) for k, v in q.items()},
            "items": {k: [asdict(f) | {"last_reviewed": str(f.last_reviewed),
                                       "effective_to": str(f.effective_to)}
                          for f in v] for k, v in q.items()}}
