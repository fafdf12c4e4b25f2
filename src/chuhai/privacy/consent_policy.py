"""What a person's consent allows, per purpose: pure functions over the regime rules
(rules/privacy/consent.toml), their own decisions and the signals their browser sends.

The answer for each purpose names why (the basis) and the rule ids it used, so a privacy
officer can show which law made analytics opt-in for this buyer and when they said yes.

Order of precedence, strongest first:
1. ``necessary`` is always allowed — the room and the order cannot work without it;
2. an age gate: below the age at which the person's law lets them consent alone, optional
   purposes stay off (a guardian's consent is not collected by chuhai);
3. the person's own latest decision for the purpose;
4. a Global Privacy Control signal refuses ``sale_share`` (and, where the law makes the
   signal binding, ``marketing`` based on cross-context tracking is unaffected: GPC is about
   selling and sharing);
5. the regime's default: ``opt_out`` purposes are on until refused, ``opt_in`` and
   ``separate`` ones off until granted. With several regimes in force, the strictest wins.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from chuhai.privacy import sourced

PURPOSES: tuple[str, ...] = ("necessary", "analytics", "personalization", "marketing",
                             "sale_share", "transfer")
OPTIONAL: tuple[str, ...] = PURPOSES[1:]
Mode = Literal["opt_in", "opt_out", "separate", "not_required"]
MODES: frozenset[str] = frozenset({"opt_in", "opt_out", "separate", "not_required"})
# How strict a default is: with two regimes in force, the stricter mode applies.
_STRICTNESS = {"not_required": 0, "opt_out": 1, "opt_in": 2, "separate": 3}
SOURCES = frozenset({"banner", "settings", "gpc", "api", "guardian", "request"})


class ConsentRulesError(ValueError):
    pass


@dataclass(frozen=True)
class RegimeConsent:
    id: str
    purposes: Mapping[str, str]
    gpc: str  # binding | advisory
    digital_consent_age: int
    country_ages: Mapping[str, int] = field(default_factory=dict)
    sale_share_opt_in_under: int | None = None
    note: str = ""
    sources: tuple[str, ...] = ()
    effective_from: dt.date = dt.date(1970, 1, 1)
    confidence: str = "policy"

    @property
    def rule_id(self) -> str:
        return f"consent.{self.id.lower()}"

    def consent_age(self, country: str | None) -> int:
        return self.country_ages.get((country or "").upper(), self.digital_consent_age)


@dataclass(frozen=True)
class Decision:
    """A person's own latest decision for one purpose, from the ledger."""

    purpose: str
    granted: bool
    source: str
    at: dt.datetime
    policy_version: str = ""


@dataclass(frozen=True)
class Effective:
    purpose: str
    allowed: bool
    basis: str  # necessary | age_gate | granted | refused | gpc | default_opt_in | …
    mode: str
    rule_ids: tuple[str, ...]
    can_change: bool  # False when the person cannot change it themselves (necessary, age)
    locked_age: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"purpose": self.purpose, "allowed": self.allowed,
                                  "basis": self.basis, "mode": self.mode,
                                  "rules": list(self.rule_ids), "can_change": self.can_change}
        if self.locked_age is not None:
            out["locked_below_age"] = self.locked_age
        return out


def parse(text: str) -> list[RegimeConsent]:
    problems: list[str] = []
    out: list[RegimeConsent] = []
    seen: set[str] = set()
    for raw in tomllib.loads(text).get("regime", []):
        rid = str(raw.get("id", "?"))
        bad = len(problems)
        if rid in seen:
            problems.append(f"{rid}: listed twice")
        seen.add(rid)
        purposes = raw.get("purposes") or {}
        for p in OPTIONAL:
            if purposes.get(p) not in MODES:
                problems.append(f"{rid}: purposes.{p} must be one of {sorted(MODES)}")
        extra = set(purposes) - set(OPTIONAL)
        if extra:
            problems.append(f"{rid}: unknown purposes {sorted(extra)}")
        if raw.get("gpc") not in ("binding", "advisory"):
            problems.append(f"{rid}: gpc must be binding or advisory")
        age = raw.get("digital_consent_age")
        if not isinstance(age, int) or not 0 < age < 30:
            problems.append(f"{rid}: digital_consent_age must be a whole number of years")
        ages = raw.get("country_ages", {})
        if any(not isinstance(v, int) or len(k) != 2 for k, v in ages.items()):
            problems.append(f"{rid}: country_ages maps two-letter codes to whole years")
        sourced.check(raw, rid, problems)
        if len(problems) > bad:
            continue
        out.append(RegimeConsent(
            rid, dict(purposes), raw["gpc"], age, {k.upper(): v for k, v in ages.items()},
            raw.get("sale_share_opt_in_under"), " ".join(str(raw.get("note", "")).split()),
            tuple(raw["source"]), raw["effective_from"], raw["confidence"]))
    if problems:
        raise ConsentRulesError("; ".join(problems))
    return out


def load() -> dict[str, RegimeConsent]:
    text = (resources.files("chuhai") / "rules" / "privacy" / "consent.toml").read_text("utf-8")
    return {r.id: r for r in parse(text)}


def _strictest(regimes: list[RegimeConsent], purpose: str) -> tuple[str, tuple[str, ...]]:
    mode = max((r.purposes[purpose] for r in regimes), key=_STRICTNESS.__getitem__)
    return mode, tuple(r.rule_id for r in regimes if r.purposes[purpose] == mode)


def effective(regimes: Iterable[RegimeConsent], *, country: str | None, age: int | None,
              decisions: Mapping[str, Decision], gpc: bool) -> dict[str, Effective]:
    """Every purpose's answer for one person. ``age`` is what they declared (None: not
    asked; the banner asks where an age gate could apply)."""
    regs = list(regimes)
    if not regs:  # no regime known for the market: the strictest reading, opt-in for all
        regs = [RegimeConsent("NONE", {p: "opt_in" for p in OPTIONAL}, "advisory", 16)]
    out = {"necessary": Effective("necessary", True, "necessary", "necessary", (), False)}
    for purpose in OPTIONAL:
        mode, rules = _strictest(regs, purpose)
        gate = _age_gate(regs, purpose, country, age)
        if gate is not None:
            gate_age, gate_rules = gate
            granted_by_guardian = (purpose in decisions and decisions[purpose].granted
                                   and decisions[purpose].source == "guardian")
            out[purpose] = Effective(purpose, granted_by_guardian,
                                     "guardian" if granted_by_guardian else "age_gate",
                                     mode, gate_rules, False, gate_age)
            continue
        if purpose == "sale_share" and age is not None and mode == "opt_out":
            minors = [r for r in regs if r.sale_share_opt_in_under
                      and age < r.sale_share_opt_in_under]
            if minors:  # e.g. California: selling a 13–15-year-old's data needs opt-in
                mode, rules = "opt_in", tuple(r.rule_id for r in minors)
        own = decisions.get(purpose)
        if mode == "not_required":
            out[purpose] = Effective(purpose, True, "not_required", mode, rules, False)
        elif own is not None and not (purpose == "sale_share" and gpc and gpc_outweighs(own)):
            out[purpose] = Effective(purpose, own.granted,
                                     "granted" if own.granted else "refused", mode, rules, True)
        elif purpose == "sale_share" and gpc:
            binding = tuple(r.rule_id for r in regs if r.gpc == "binding")
            out[purpose] = Effective(purpose, False, "gpc", mode, binding or rules, True)
        else:
            on = mode == "opt_out"
            out[purpose] = Effective(purpose, on, f"default_{mode}", mode, rules, True)
    return out


def gpc_outweighs(own: Decision | None) -> bool:
    """Whether a GPC signal overrides the person's own sale/share decision: it does unless
    they refused already or opted in on the settings page (knowingly, after the signal);
    a banner "accept all" does not outweigh it."""
    return own is None or (own.granted and own.source != "settings")


def _age_gate(regs: list[RegimeConsent], purpose: str, country: str | None,
              age: int | None) -> tuple[int, tuple[str, ...]] | None:
    """The age below which this person cannot consent alone, if they are below it."""
    if age is None:
        return None
    gated = [(r.consent_age(country), r.rule_id) for r in regs
             if r.purposes[purpose] != "not_required" and age < r.consent_age(country)]
    if not gated:
        return None
    return max(a for a, _ in gated), tuple(rid for _, rid in gated)


def needs_age(regimes: Iterable[RegimeConsent]) -> bool:
    """Whether the banner should ask for an age: any regime gates optional purposes."""
    return any(r.digital_consent_age > 0 for r in regimes)
