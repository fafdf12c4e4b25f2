"""`chuhai rules check`: every rules file, validated together, every problem listed."""

from __future__ import annotations

import tomllib
from importlib import resources

from chuhai.core import datamap
from chuhai.core.config import Settings
from chuhai.core.db import GlobalBase, RegionalBase
from chuhai.core.migrate import target_metadata
from chuhai.crossborder.loader import build as build_rulebook
from chuhai.markets.profiles import MarketProfile, MarketRulesError, load_profiles


def check_all(settings: Settings) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    summary: list[str] = []
    profiles: dict[str, MarketProfile] = {}
    try:
        profiles = load_profiles(regions=frozenset(settings.regions))
        summary.append(f"markets: {len(profiles)} profiles ({', '.join(sorted(profiles))})")
    except MarketRulesError as exc:
        problems += [f"markets/{p.file}: {p.message}" for p in exc.problems]
    try:
        text = (resources.files("chuhai") / "rules" / "hs" / "chapters.toml").read_text("utf-8")
        chapters = tomllib.loads(text)["chapters"]
        bad = [c for c in chapters if not (len(c) == 2 and c.isdigit())]
        if bad:
            problems.append(f"hs/chapters.toml: bad chapter keys {bad}")
        summary.append(f"hs: {len(chapters)} chapters")
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"hs/chapters.toml: {exc}")
    try:
        tax = datamap.taxonomy()
        target_metadata("global")
        problems += datamap.problems(GlobalBase.metadata, RegionalBase.metadata)
        summary.append(f"data map: fideslang {tax.version}, {len(tax.keys)} categories, "
                       f"{len(datamap.entries(RegionalBase.metadata))} declared regional columns")
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"datamap: {exc}")
    try:
        book = build_rulebook()
        rows = sum(len(t) for t in book.tariffs.values())
        summary.append(f"cross-border: {len(book.markets)} import regimes "
                       f"({sum(len(m.rules) for m in book.markets.values())} rules + "
                       f"{sum(len(u.rules) for u in book.unions.values())} union rules), "
                       f"{rows} tariff rows for {', '.join(sorted(book.tariffs))}, "
                       f"FX for {len(book.fx.currencies())} currencies (latest "
                       f"{book.fx.latest()}), {len(book.restrictions)} restricted-goods "
                       f"rules; version {book.version}")
        problems += [f"crossborder: market {m} has no import regime"
                     for m in sorted(set(profiles) - set(book.markets) - {"CN"})]
        problems += [f"crossborder/{m}.toml: currency {r.currency} differs from the market "
                     f"profile's {profiles[m].currency.code}"
                     for m, r in sorted(book.markets.items())
                     if m in profiles and r.currency != profiles[m].currency.code]
    except (OSError, ValueError) as exc:
        problems.append(f"crossborder: {exc}")
    return problems, summary
