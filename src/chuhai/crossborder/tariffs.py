"""Duty rates by HS code: ``rules/tariffs/<MARKET>.csv``, and the lookup a quote makes.

A row holds one rate for one tariff line (6 to 10 digits) in one window. A quote gives an HS
code of any length from 6 digits; the lookup takes the longest row that is a prefix of it.
When the code is *shorter* than the national lines under it and those lines differ, it is an
error naming the lines to choose from — a guess would be a silent wrong duty.

Pure: parsing, validation and lookup; reading files is the caller's job.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

import pycountry

COLUMNS = ("hs", "kind", "origin", "duty_type", "rate_percent", "amount", "amount_currency",
           "per_unit", "effective_from", "effective_to", "description", "source",
           "last_reviewed", "confidence", "note")
REQUIRED = ("hs", "kind", "duty_type", "effective_from", "source", "last_reviewed",
            "confidence")
DutyType = Literal["ad_valorem", "specific", "compound", "free"]
Unit = Literal["item", "pair", "kg", "dozen"]
MAX_ROWS = 200_000


@dataclass(frozen=True)
class TariffRow:
    market: str
    hs: str
    kind: Literal["base", "additional"]
    origin: str  # "" for base rows, a country or "*" for additional ones
    duty_type: DutyType
    rate: Decimal  # percent
    amount: Decimal
    amount_currency: str
    per_unit: str
    effective_from: date
    effective_to: date | None
    description: str
    source: tuple[str, ...]
    confidence: str

    id: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        origin = f".{self.origin.replace('*', 'all')}" if self.origin else ""
        object.__setattr__(self, "id", f"{self.market}.tariff.{self.hs}{origin}.{self.kind}"
                                       f"@{self.effective_from}")

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None
                                               or day <= self.effective_to)

    def same_rate(self, other: TariffRow) -> bool:
        return (self.duty_type, self.rate, self.amount, self.per_unit) == (
            other.duty_type, other.rate, other.amount, other.per_unit)


@dataclass(frozen=True)
class TariffProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class TariffFileError(ValueError):
    def __init__(self, problems: list[TariffProblem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:20])
        more = f" (+{len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(shown + more)


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} {text!r} must be a finite number ≥ 0")
    return value


def _row(market: str, rec: dict[str, str]) -> TariffRow:
    for col in REQUIRED:
        if not (rec.get(col) or "").strip():
            raise ValueError(f"{col} is required")
    hs = rec["hs"].strip()
    if not (hs.isdigit() and 6 <= len(hs) <= 10):
        raise ValueError(f"hs {hs!r} must be 6 to 10 digits")
    kind = rec["kind"].strip()
    if kind not in ("base", "additional"):
        raise ValueError(f"kind {kind!r} must be base or additional")
    origin = (rec.get("origin") or "").strip().upper()
    if kind == "base" and origin:
        raise ValueError("a base row has no origin (origin-specific rates are additional)")
    if kind == "additional" and origin != "*" and pycountry.countries.get(alpha_2=origin) is None:
        raise ValueError(f"origin {origin!r} must be a country code or * for additional rows")
    duty_type = rec["duty_type"].strip()
    if duty_type not in ("ad_valorem", "specific", "compound", "free"):
        raise ValueError(f"duty_type {duty_type!r} is not ad_valorem/specific/compound/free")
    rate = _decimal(rec.get("rate_percent") or "0", "rate_percent")
    if rate > 1000:
        raise ValueError(f"rate_percent {rate} is above 1000")
    amount = _decimal(rec.get("amount") or "0", "amount")
    currency = (rec.get("amount_currency") or "").strip().upper()
    unit = (rec.get("per_unit") or "").strip()
    if duty_type in ("specific", "compound"):
        if pycountry.currencies.get(alpha_3=currency) is None:
            raise ValueError(f"amount_currency {currency!r} is not an ISO 4217 code")
        if unit not in ("item", "pair", "kg", "dozen"):
            raise ValueError(f"per_unit {unit!r} must be item, pair, kg or dozen")
    if duty_type == "ad_valorem" and not (rec.get("rate_percent") or "").strip():
        raise ValueError("an ad_valorem row needs rate_percent")
    start = date.fromisoformat(rec["effective_from"].strip())
    end_text = (rec.get("effective_to") or "").strip()
    end = date.fromisoformat(end_text) if end_text else None
    if end is not None and end < start:
        raise ValueError("effective_to is before effective_from")
    date.fromisoformat(rec["last_reviewed"].strip())
    sources = tuple(rec["source"].split())
    if not all(s.startswith(("https://", "http://")) for s in sources):
        raise ValueError("source must be one or more http(s) addresses separated by spaces")
    confidence = rec["confidence"].strip()
    if confidence not in ("primary", "secondary", "unverified"):
        raise ValueError(f"confidence {confidence!r} is not primary/secondary/unverified")
    return TariffRow(market, hs, kind, origin, duty_type,  # type: ignore[arg-type]
                     rate, amount, currency, unit, start, end,
                     (rec.get("description") or "").strip(), sources, confidence)


def parse_tariff_csv(market: str, text: str) -> list[TariffRow]:
    """Every row validated; all problems (with their line numbers) raised together."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise TariffFileError([TariffProblem(1, f"missing column(s): {', '.join(missing)}")])
    rows: list[TariffRow] = []
    problems: list[TariffProblem] = []
    for n, rec in enumerate(reader, start=2):
        if n > MAX_ROWS:
            problems.append(TariffProblem(n, f"more than {MAX_ROWS} rows"))
            break
        try:
            rows.append(_row(market, rec))
        except (ValueError, AttributeError) as exc:
            problems.append(TariffProblem(n, str(exc)))
    seen: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r.id in seen:
            problems.append(TariffProblem(i + 2, f"duplicate of the row for {r.id}"))
        seen[r.id] = i
    if problems:
        raise TariffFileError(problems)
    return rows


class MissingRate(LookupError):
    """No rate, or an ambiguous one: the message names what is missing."""

    def __init__(self, message: str, code: str = "duty_rate_unknown",
                 choices: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.choices = choices


class Tariff:
    """One market's rows, indexed by HS prefix length for the longest-prefix lookup."""

    def __init__(self, market: str, rows: list[TariffRow]) -> None:
        self.market = market
        self.by_hs: dict[str, list[TariffRow]] = defaultdict(list)
        for r in rows:
            self.by_hs[r.hs].append(r)
        self.lengths = sorted({len(h) for h in self.by_hs}, reverse=True)
        # Lookups are pure functions of (code, origin, day) over immutable rows: memoized,
        # failures included, so a burst of quotes for one listing costs one lookup.
        self._memo: dict[tuple[str, str, str, date], TariffRow | list[TariffRow]
                         | MissingRate] = {}

    def _memoized(self, key: tuple[str, str, str, date],
                  fn: Callable[[], TariffRow | list[TariffRow]]
                  ) -> TariffRow | list[TariffRow]:
        found = self._memo.get(key)
        if found is None:
            try:
                found = fn()
            except MissingRate as exc:
                found = exc
            if len(self._memo) > 100_000:
                self._memo.clear()
            self._memo[key] = found
        if isinstance(found, MissingRate):
            raise found
        return found

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_hs.values())

    def _at(self, hs: str, day: date, kind: str) -> list[TariffRow]:
        return [r for r in self.by_hs.get(hs, ()) if r.kind == kind and r.in_force(day)]

    def base(self, hs: str, day: date) -> TariffRow:
        return self._memoized(("base", hs, "", day), lambda: self._base(hs, day))  # type: ignore[return-value]

    def _base(self, hs: str, day: date) -> TariffRow:
        for n in self.lengths:
            if n <= len(hs):
                found = self._at(hs[:n], day, "base")
                if found:
                    return found[0]
        under = sorted({r.hs for h, rows in self.by_hs.items() if h.startswith(hs) and h != hs
                        for r in rows if r.kind == "base" and r.in_force(day)})
        if under:
            first = self._at(under[0], day, "base")[0]
            if all(self._at(h, day, "base")[0].same_rate(first) for h in under):
                return first
            raise MissingRate(f"HS {hs} is ambiguous in the {self.market} tariff on {day}: "
                              f"the lines under it have different rates; give one of "
                              f"{', '.join(under)}", code="hs_code_ambiguous",
                              choices=tuple(under))
        raise MissingRate(f"no {self.market} duty rate for HS {hs} on {day}")

    def additional(self, hs: str, origin: str, day: date) -> list[TariffRow]:
        """Origin-specific duties that stack on the base (most specific line per origin)."""
        return self._memoized(("additional", hs, origin, day),  # type: ignore[return-value]
                              lambda: self._additionals(hs, origin, day))

    def _additionals(self, hs: str, origin: str, day: date) -> list[TariffRow]:
        out: list[TariffRow] = []
        for who in (origin, "*"):
            row = self._additional(hs, who, day)
            if row is not None:
                out.append(row)
        return out

    def _additional(self, hs: str, who: str, day: date) -> TariffRow | None:
        for n in self.lengths:
            if n <= len(hs):
                found = [r for r in self._at(hs[:n], day, "additional") if r.origin == who]
                if found:
                    return found[0]
        # Rows only on longer national lines: one rate for all of them, or the code is
        # too short to say which surcharge applies (never a silent zero).
        under = [r for h, rows in self.by_hs.items() if h.startswith(hs) and h != hs
                 for r in rows if r.kind == "additional" and r.origin == who and r.in_force(day)]
        if not under:
            return None
        lines = sorted({h for h, rows in self.by_hs.items() if h.startswith(hs) and h != hs
                        and any(r.kind == "base" and r.in_force(day) for r in rows)})
        covered = {r.hs for r in under}
        if lines and all(r.same_rate(under[0]) for r in under) and all(
                any(line.startswith(c) or c.startswith(line) for c in covered) for line in lines):
            return under[0]
        raise MissingRate(f"HS {hs} is ambiguous in the {self.market} tariff on {day}: an "
                          f"additional duty for origin {who} applies to some lines under it; "
                          f"give one of {', '.join(lines or sorted(covered))}",
                          code="hs_code_ambiguous", choices=tuple(lines or sorted(covered)))
