"""Screening rule packs: the TOML files under rules/screening, read and checked.

A pack is one market's law and culture (``DE.toml``), a layer of law several markets share
(``layers/EU.toml``: the EU directives and regulations every member state applies, written
once and listed for each of its ``markets``), or one language's profanity, hate and political
talk (``lang/de.toml``) and advertising talk (``ads/de.toml``).

A rule may carry ``examples``: sentences in any language that say what the rule forbids in
other words; the semantic layer (``semantic.py``) flags a line whose meaning is close enough
to one of them. A pack may carry ``counter_examples``: lawful lines that resemble its rules,
which the calibration of that layer's thresholds must keep below them.

Every rule names its source and the date it took effect, so a verdict can say which law a
line broke. Loading checks everything at once and lists every problem with its file and rule
id — a bad pattern must fail `chuhai rules check`, not a live room.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from chuhai.comms.screening.jurisdictions import cited, jurisdiction

CATEGORIES = ("absolute_claim", "health_claim", "device_claim", "cosmetic_claim",
              "price_claim", "endorsement", "urgency", "cultural_taboo", "political",
              "profanity", "insult", "hate", "pii")
ACTIONS = ("block", "require_disclosure", "warn", "suggest", "allow")
RANK = {"allow": 0, "suggest": 1, "warn": 2, "require_disclosure": 3, "block": 4}
SIDES = ("host", "viewer", "both")
MATCHES = ("literal", "words", "regex")
CONFIDENCE = ("primary", "secondary", "unverified")
KINDS = ("market", "layer", "language")
SPECIFICITY = {"market": 0, "layer": 1, "language": 2}  # which of two findings names the law


class PackError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]) + (" …" if len(problems) > 5 else ""))
        self.problems = problems


def norm(text: str) -> str:
    """What patterns and lines are compared as: NFKC (full-width → ASCII, compatibility
    forms) then casefold."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Rule:
    id: str
    pack: str            # "DE" or "lang.de"
    category: str
    lang: str
    side: str
    match: str
    patterns: tuple[str, ...]
    unless: tuple[str, ...]
    action: str
    suggestion: str
    rationale: str
    sources: tuple[str, ...]
    effective_from: dt.date
    confidence: str
    examples: tuple[str, ...] = ()
    kind: str = "market"  # the kind of pack it comes from (SPECIFICITY)
    # other jurisdictions' dates: ``effective_from`` is the date of the first address's law
    in_force: tuple[tuple[str, dt.date], ...] = ()

    def applies_to(self, side: str) -> bool:
        return self.side == "both" or self.side == side

    def citation(self, places: tuple[str, ...]) -> tuple[tuple[str, ...], dt.date]:
        """The addresses a finding for ``places`` (a market, then its layers) cites, its
        own law first, and the date that law took effect there."""
        order = cited(self.sources, places)
        return order, dict(self.in_force).get(jurisdiction(order[0]) or "",
                                              self.effective_from)


@dataclass(frozen=True)
class Pack:
    id: str
    kind: str            # market | layer | language
    languages: tuple[str, ...]
    rules: tuple[Rule, ...]
    file: str
    markets: tuple[str, ...] = ()            # a layer's markets
    counter_examples: tuple[str, ...] = ()   # lawful lines like its rules (calibration)


def _texts(raw: Any) -> list[str] | None:
    """A list of non-blank sentences, or None when it is anything else."""
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        return None
    return [" ".join(x.split()) for x in raw]


def _rule(raw: dict[str, Any], pack: str, kind: str, file: str, problems: list[str]
          ) -> Rule | None:
    rid = str(raw.get("id", "?"))
    where = f"{file} {rid}"
    bad = [f"{where}: {k} must be one of {allowed}" for k, allowed in (
        ("category", CATEGORIES), ("action", ACTIONS), ("side", SIDES), ("match", MATCHES),
        ("confidence", CONFIDENCE)) if raw.get(k) not in allowed]
    patterns = raw.get("patterns")
    if not isinstance(patterns, list) or not patterns or not all(
            isinstance(p, str) and p.strip() for p in patterns):
        bad.append(f"{where}: patterns must be a non-empty list of text")
        patterns = []
    sources = raw.get("source")
    sources = [sources] if isinstance(sources, str) else sources
    # addresses, and optionally citations in words ("StGB §130"): at least one address
    if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip()
                                                for s in sources) or not any(
            s.startswith(("http://", "https://")) for s in sources):
        bad.append(f"{where}: source must list at least one http(s) address")
        sources = []
    eff = raw.get("effective_from")
    if not isinstance(eff, dt.date) or isinstance(eff, dt.datetime):  # a day, not a time
        bad.append(f"{where}: effective_from must be a date")
        eff = dt.date.min
    for key in ("id", "lang", "suggestion", "rationale"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            bad.append(f"{where}: {key} is required")
    if raw.get("match") == "regex":
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                bad.append(f"{where}: pattern {p!r} is not a valid regex ({exc})")
    unless = raw.get("unless", [])
    if not isinstance(unless, list) or not all(isinstance(u, str) for u in unless):
        bad.append(f"{where}: unless must be a list of text")
        unless = []
    examples = _texts(raw.get("examples", []))
    if examples is None:
        bad.append(f"{where}: examples must be a list of sentences")
        examples = []
    in_force = raw.get("in_force", {})
    if not isinstance(in_force, dict) or not all(
            isinstance(k, str) and isinstance(v, dt.date) and not isinstance(v, dt.datetime)
            for k, v in in_force.items()):
        bad.append(f"{where}: in_force maps a jurisdiction (DE, EU, US…) to a date")
        in_force = {}
    cited_places = {jurisdiction(s) for s in sources or ()}
    for place in in_force if isinstance(in_force, dict) else ():
        if place not in cited_places:
            bad.append(f"{where}: in_force names {place}, whose law no source address holds")
    if bad:
        problems += bad
        return None
    match = raw["match"]
    pats = tuple(dict.fromkeys(p if match == "regex" else norm(p).strip() for p in patterns))
    # addresses first: a finding's ``source`` is the first address
    ordered = sorted(sources, key=lambda s: not s.startswith(("http://", "https://")))
    return Rule(rid, pack, raw["category"], raw["lang"], raw["side"], match, pats,
                tuple(norm(u) for u in unless), raw["action"], raw["suggestion"].strip(),
                " ".join(raw["rationale"].split()), tuple(ordered), eff, raw["confidence"],
                tuple(dict.fromkeys(examples)), kind, tuple(sorted(in_force.items())))



def parse_pack(text: str, file: str, problems: list[str]) -> Pack | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{file}: not valid TOML ({exc})")
        return None
    head = data.get("pack", {})
    pid, kind = head.get("id"), head.get("kind")
    if not isinstance(pid, str) or kind not in KINDS:
        problems.append(f"{file}: [pack] needs an id and kind = market | layer | language")
        return None
    markets = head.get("markets", [])
    if kind == "layer" and (not isinstance(markets, list) or not markets or not all(
            isinstance(m, str) and len(m) == 2 and m.isupper() for m in markets)):
        problems.append(f"{file}: a layer lists its markets (two-letter codes)")
        return None
    counter = _texts(head.get("counter_examples", []))
    if counter is None:
        problems.append(f"{file}: counter_examples must be a list of sentences")
        counter = []
    rules = [r for raw in data.get("rule", [])
             if (r := _rule(raw, pid, kind, file, problems))]
    return Pack(pid, kind, tuple(head.get("languages", ())), tuple(rules), file,
                tuple(markets) if kind == "layer" else (), tuple(counter))


def _default_files() -> list[tuple[str, str]]:
    """Market packs at the top; shared law in ``layers/``; language packs in sub-folders
    (``lang/`` for profanity, insults, hate and politics, ``ads/`` for advertising talk
    every market restricts)."""
    root = resources.files("chuhai") / "rules" / "screening"
    files: list[tuple[str, str]] = []

    def walk(folder: Any, prefix: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                files.append((f"{prefix}{entry.name}", entry.read_text("utf-8")))
            elif entry.is_dir() and not entry.name.startswith((".", "_")) and \
                    entry.name != "semantic":  # the semantic layer's data, not packs
                walk(entry, f"{prefix}{entry.name}/")

    walk(root, "screening/")
    return files


def load_packs(files: Iterable[tuple[str, str]] | None = None,
               extra_dir: Path | None = None) -> list[Pack]:
    """All packs; raises PackError listing every problem (ids must be unique too)."""
    sources = list(files) if files is not None else _default_files()
    if extra_dir is not None and extra_dir.is_dir():
        sources += [(str(p), p.read_text("utf-8")) for p in sorted(extra_dir.rglob("*.toml"))]
    problems: list[str] = []
    packs = [p for name, text in sources if (p := parse_pack(text, name, problems))]
    seen: dict[str, str] = {}
    for pack in packs:
        for rule in pack.rules:
            if rule.id in seen:
                problems.append(f"{pack.file} {rule.id}: id already used in {seen[rule.id]}")
            seen[rule.id] = pack.file
    if problems:
        raise PackError(problems)
    return packs
