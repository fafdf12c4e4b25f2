"""When a data-subject request must be answered: pure date arithmetic over the regime rules
in rules/privacy/requests.toml.

Business days skip weekends and the public holidays of the person's market (the ``holidays``
package — a Thanksgiving inside a CCPA acknowledgement window moves it by a day). A month is
a calendar month from the same day number, or the month's last day when it is shorter (the
reading of "one month" the EDPB and ICO give: 31 January → 28 February)."""

from __future__ import annotations

import calendar
import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import holidays

from chuhai.privacy import sourced

UNITS = frozenset({"days", "business_days", "months", "hours"})
KINDS = ("access", "erasure", "rectification", "opt_out")
# Subdivisions whose holidays count (the regime is a state law).
_SUBDIVISION = {"CCPA": ("US", "CA")}


class RequestRulesError(ValueError):
    pass


@dataclass(frozen=True)
class Span:
    amount: int
    unit: str

    def __str__(self) -> str:
        unit = self.unit.replace("_", " ")
        return f"{self.amount} {unit[:-1] if self.amount == 1 else unit}"


@dataclass(frozen=True)
class RequestRule:
    id: str
    respond: Span
    extension: Span | None
    acknowledge: Span | None
    opt_out: Span | None
    clock_pauses_for_verification: bool
    statutory: bool
    note: str
    sources: tuple[str, ...]
    effective_from: dt.date
    confidence: str

    @property
    def rule_id(self) -> str:
        return f"dsr.{self.id.lower()}"


def _span(raw: object, where: str, problems: list[str]) -> Span | None:
    if raw is None:
        return None
    if (not isinstance(raw, dict) or not isinstance(raw.get("amount"), int)
            or raw["amount"] < 1 or raw.get("unit") not in UNITS):
        problems.append(f"{where}: needs a positive whole amount and a unit in {sorted(UNITS)}")
        return None
    return Span(raw["amount"], raw["unit"])


def parse(text: str) -> list[RequestRule]:
    problems: list[str] = []
    out = []
    for raw in tomllib.loads(text).get("regime", []):
        rid = str(raw.get("id", "?"))
        before = len(problems)
        respond = _span(raw.get("respond"), f"{rid}.respond", problems)
        if respond is None and len(problems) == before:
            problems.append(f"{rid}: respond is required")
        spans = {k: _span(raw.get(k), f"{rid}.{k}", problems)
                 for k in ("extension", "acknowledge", "opt_out")}
        sourced.check(raw, rid, problems)
        if len(problems) > before or respond is None:
            continue
        out.append(RequestRule(rid, respond, spans["extension"], spans["acknowledge"],
                               spans["opt_out"],
                               bool(raw.get("clock_pauses_for_verification", False)),
                               bool(raw.get("statutory", True)),
                               " ".join(str(raw.get("note", "")).split()), tuple(raw["source"]),
                               raw["effective_from"], raw["confidence"]))
    if problems:
        raise RequestRulesError("; ".join(problems))
    return out


@lru_cache(maxsize=1)
def load() -> dict[str, RequestRule]:
    text = (resources.files("chuhai") / "rules" / "privacy" / "requests.toml").read_text("utf-8")
    return {r.id: r for r in parse(text)}


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def _holidays(country: str, regime: str, years: range) -> holidays.HolidayBase | dict[str, str]:
    country_code, subdiv = _SUBDIVISION.get(regime, (country, None))
    try:
        return holidays.country_holidays(country_code, subdiv=subdiv, years=years)
    except (NotImplementedError, KeyError):  # a country the package does not know
        return {}


def add(when: dt.datetime, span: Span, *, country: str = "", regime: str = "") -> dt.datetime:
    """``when`` plus ``span``, counting business days in ``country``'s calendar."""
    if span.unit == "hours":
        return when + dt.timedelta(hours=span.amount)
    if span.unit == "days":
        return when + dt.timedelta(days=span.amount)
    if span.unit == "months":
        return _add_months(when, span.amount)
    off = _holidays(country, regime, range(when.year, when.year + 2))
    day, left = when, span.amount
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day.date() not in off:
            left -= 1
    return day


@dataclass(frozen=True)
class Due:
    respond_by: dt.datetime
    acknowledge_by: dt.datetime | None
    extended_by: dt.datetime | None  # the latest date if the extension is taken


def due(rule: RequestRule, kind: str, *, received: dt.datetime,
        verified: dt.datetime | None, country: str) -> Due:
    """The deadlines of one request. Where the law stops the clock for identity checks, it
    runs from verification; elsewhere from receipt. An opt-out uses the regime's opt-out
    period when it has one (shorter than the general answer)."""
    start = verified if (rule.clock_pauses_for_verification and verified) else received
    span = rule.opt_out if kind == "opt_out" and rule.opt_out else rule.respond
    respond_by = add(start, span, country=country, regime=rule.id)
    ack = (add(received, rule.acknowledge, country=country, regime=rule.id)
           if rule.acknowledge else None)
    extended = None
    if rule.extension and not (kind == "opt_out" and rule.opt_out):
        if rule.extension.unit == span.unit and span.unit in ("months", "days"):
            # "extended by two further months": three months from the start (31 Jan →
            # 30 Apr), not two months from the first deadline (28 Feb → 28 Apr)
            extended = add(start, Span(span.amount + rule.extension.amount, span.unit),
                           country=country, regime=rule.id)
        else:
            extended = add(respond_by, rule.extension, country=country, regime=rule.id)
    return Due(respond_by, ack, extended)
