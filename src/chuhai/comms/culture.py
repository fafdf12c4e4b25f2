"""Localization advice from Hofstede's six dimensions: for a seller culture presenting to a
target market, what to lead with and what to avoid.

The scores (rules/culture/hofstede.toml) are published data with their source; the advice
rules (rules/culture/advice.toml) say which score, or which gap between seller and market,
calls for which change in presentation, each with its rationale and source. A rule fires on
the target's own score ("high uncertainty avoidance → lead with certifications") or on the
distance from the seller's culture ("a high-power-distance host presenting to a low one").
Pure after loading.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

DIMENSIONS = {
    "pdi": "power distance", "idv": "individualism", "mas": "masculinity",
    "uai": "uncertainty avoidance", "lto": "long-term orientation", "ivr": "indulgence"}


class UnknownCulture(LookupError):
    def __init__(self, code: str, known: list[str]) -> None:
        super().__init__(f"no Hofstede scores for {code!r}; known: {', '.join(known)}")
        self.code = code


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    scores: dict[str, int]  # a dimension may be missing where the data has no score
    source: str
    confidence: str


@dataclass(frozen=True)
class Advice:
    id: str
    dimension: str
    when: str
    priority: int
    advice: str
    do: tuple[str, ...]
    avoid: tuple[str, ...]
    rationale: str
    sources: tuple[str, ...]
    threshold: int | None = None
    gap: int | None = None

    def fires(self, seller: Country, target: Country) -> bool:
        t = target.scores.get(self.dimension)
        s = seller.scores.get(self.dimension)
        if t is None:
            return False
        if self.when == "target_high":
            return t >= (self.threshold or 0)
        if self.when == "target_low":
            return t <= (self.threshold or 0)
        if s is None or self.gap is None:
            return False
        if self.when == "gap_up":
            return t - s >= self.gap
        if self.when == "gap_down":
            return s - t >= self.gap
        return False


@dataclass(frozen=True)
class Culture:
    countries: dict[str, Country]
    rules: tuple[Advice, ...]
    meta: dict[str, Any]

    def country(self, code: str) -> Country:
        found = self.countries.get(code.upper())
        if found is None:
            raise UnknownCulture(code, sorted(self.countries))
        return found

    def advise(self, seller: str, target: str) -> dict[str, Any]:
        s, t = self.country(seller), self.country(target)
        fired = sorted((r for r in self.rules if r.fires(s, t)),
                       key=lambda r: (r.priority, r.dimension, r.id))
        return {
            "seller": {"code": s.code, "name": s.name, "scores": s.scores},
            "target": {"code": t.code, "name": t.name, "scores": t.scores},
            "gaps": {d: t.scores[d] - s.scores[d] for d in DIMENSIONS
                     if d in t.scores and d in s.scores},
            "advice": [{"id": r.id, "dimension": r.dimension,
                        "dimension_name": DIMENSIONS[r.dimension], "when": r.when,
                        "priority": r.priority, "advice": r.advice, "do": list(r.do),
                        "avoid": list(r.avoid), "rationale": r.rationale,
                        "sources": list(r.sources)} for r in fired],
            "data_source": self.meta.get("source"),
            "data_published": str(self.meta.get("published", "")),
        }


def parse(scores_text: str, advice_text: str) -> Culture:
    data = tomllib.loads(scores_text)
    meta_src = data.get("meta", {}).get("source", [])
    meta_src = [meta_src] if isinstance(meta_src, str) else list(meta_src)
    countries = {}
    for code, raw in data.get("country", {}).items():
        scores = {d: int(raw[d]) for d in DIMENSIONS if isinstance(raw.get(d), int | float)}
        bad = [d for d, v in scores.items() if not 0 <= v <= 120]
        if bad:
            raise ValueError(f"hofstede.toml {code}: scores out of range {bad}")
        src = raw.get("source") or meta_src  # a row without its own source: the matrix
        src = [src] if isinstance(src, str) else list(src)
        countries[code.upper()] = Country(code.upper(), str(raw.get("name", code)), scores,
                                          str(src[0]) if src else "",
                                          str(raw.get("confidence", "")))
    rules = []
    for raw in tomllib.loads(advice_text).get("advice", []):
        if raw.get("dimension") not in DIMENSIONS:
            raise ValueError(f"advice.toml {raw.get('id')}: unknown dimension")
        if raw.get("when") not in ("target_high", "target_low", "gap_up", "gap_down"):
            raise ValueError(f"advice.toml {raw.get('id')}: unknown 'when'")
        src = raw.get("source", [])
        rules.append(Advice(
            str(raw["id"]), raw["dimension"], raw["when"], int(raw.get("priority", 2)),
            " ".join(str(raw["advice"]).split()), tuple(raw.get("do", ())),
            tuple(raw.get("avoid", ())), " ".join(str(raw.get("rationale", "")).split()),
            tuple([src] if isinstance(src, str) else src), raw.get("threshold"),
            raw.get("gap")))
    return Culture(countries, tuple(rules), data.get("meta", {}))


@lru_cache(maxsize=1)
def load() -> Culture:
    root = resources.files("chuhai") / "rules" / "culture"
    return parse((root / "hofstede.toml").read_text("utf-8"),
                 (root / "advice.toml").read_text("utf-8"))
