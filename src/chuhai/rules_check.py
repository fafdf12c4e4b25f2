"""`chuhai rules check`: every rules file, validated together, every problem listed."""

from __future__ import annotations

import tomllib
from importlib import resources

from chuhai.core import datamap
from chuhai.core.config import Settings
from chuhai.core.db import GlobalBase, RegionalBase
from chuhai.core.migrate import target_metadata
from chuhai.markets.profiles import MarketRulesError, load_profiles


def check_all(settings: Settings) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    summary: list[str] = []
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
    return problems, summary
