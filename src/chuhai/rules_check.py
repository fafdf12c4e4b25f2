"""`chuhai rules check`: every rules file, validated together, every problem listed."""

from __future__ import annotations

import tomllib
from importlib import resources

from chuhai import rules_review
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
    try:
        facts = rules_review.facts()
        problems += [f"labels: {p}" for p in rules_review.problems(facts)]
        labels = {c: sum(1 for f in facts if f.confidence == c)
                  for c in ("primary", "secondary", "unverified")}
        summary.append(f"labels: {len(facts)} facts ({labels['primary']} primary, "
                       f"{labels['secondary']} secondary, {labels['unverified']} unverified; "
                       f"`chuhai rules review` lists the queue)")
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"labels: {exc}")
    problems += _check_comms(summary)
    problems += _check_privacy(summary, profiles)
    return problems, summary


def _check_privacy(summary: list[str], profiles: dict[str, MarketProfile]) -> list[str]:
    """Consent, request deadlines, transfer mechanisms and retention: each loads, and every
    regime a market names has consent rules, a deadline and a transfer mechanism."""
    from chuhai.privacy import consent_policy, deadlines, notice, retention, transfers

    problems: list[str] = []
    try:
        consent = consent_policy.load()
        requests = deadlines.load()
        flows, thresholds = transfers.load()
        kept = retention.load()
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        return [f"privacy: {exc}"]
    named = {r.id for p in profiles.values() for r in p.privacy_regimes}
    with_flow = {f.regime for f in flows}
    for regime in sorted(named):
        for what, known in (("consent.toml", consent), ("requests.toml", requests),
                            ("transfers.toml", with_flow)):
            if regime not in known:
                problems.append(f"privacy/{what}: no rule for regime {regime}")
    english = set(notice.catalog().get("en", {}))
    problems += [f"privacy/notice_text.toml: [{lang}] lacks {sorted(english - set(t))}"
                 for lang, t in notice.catalog().items() if english - set(t)]
    summary.append(f"privacy: consent rules for {len(consent)} regimes, request deadlines "
                   f"for {len(requests)}, {len(flows)} transfer mechanisms + "
                   f"{len(thresholds)} thresholds, {len(kept)} retention rules, notice in "
                   f"{len(notice.catalog())} languages")
    return problems


def _check_comms(summary: list[str]) -> list[str]:
    """Screening packs, the phrasebook and the culture data."""
    from chuhai.comms.culture import load as load_culture
    from chuhai.comms.screening.packs import PackError, load_packs
    from chuhai.comms.service import LANGUAGES, phrasebook_memory

    problems: list[str] = []
    try:
        packs = load_packs()
        rules = sum(len(p.rules) for p in packs)
        patterns = sum(len(r.patterns) for p in packs for r in p.rules)
        markets = sorted(p.id for p in packs if p.kind == "market")
        layers = sorted(f"{p.id} ({', '.join(p.markets)})" for p in packs
                        if p.kind == "layer")
        langs = sorted(p.id for p in packs if p.kind == "language")
        examples = sum(len(r.examples) for p in packs for r in p.rules)
        summary.append(f"screening: {len(markets)} market packs ({', '.join(markets)}), "
                       f"layers {', '.join(layers) or 'none'}, {len(langs)} language packs "
                       f"({', '.join(langs)}), {rules} rules, {patterns} patterns, "
                       f"{examples} examples")
        from chuhai.markets.profiles import load_profiles

        problems += [f"screening: market {m} has no pack (rules/screening/{m}.toml)"
                     for m in sorted(set(load_profiles()) - set(markets))]
    except PackError as exc:
        problems += [f"screening: {p}" for p in exc.problems]
    try:
        text = (resources.files("chuhai") / "rules" / "phrasebook" / "commerce.toml"
                ).read_text("utf-8")
        phrases = tomllib.loads(text).get("phrase", [])
        for ph in phrases:
            missing = [lang for lang in LANGUAGES if not ph.get(lang)]
            if missing:
                problems.append(f"phrasebook {ph.get('key')}: missing {', '.join(missing)}")
        summary.append(f"phrasebook: {len(phrases)} phrases in {len(LANGUAGES)} languages "
                       f"({len(phrasebook_memory())} memory entries)")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"phrasebook: {exc}")
    try:
        culture = load_culture()
        summary.append(f"culture: Hofstede scores for {len(culture.countries)} countries, "
                       f"{len(culture.rules)} advice rules")
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"culture: {exc}")
    return problems
