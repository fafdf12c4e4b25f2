"""Exchange rates: the ECB euro reference rates (XML or CSV), pegs, and conversion.

Rates are kept as "units of X per 1 EUR" by date, as the ECB publishes them; a cross rate
goes through the euro. A conversion on a day uses the latest rate published on or before it
(the ECB publishes on TARGET working days only) and says which date it used, so a quote can
show it and warn when it is old. Pegged currencies the ECB does not publish (SAR, AED) follow
their anchor.

Pure: parsing and arithmetic; reading files is the caller's job.
"""

from __future__ import annotations

import bisect
import csv
import io
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

import pycountry

ECB_SOURCE = "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html"
MAX_FILE_BYTES = 20 * 1024 * 1024
# A quote whose rate is older than this is marked approximate and warns; the ECB publishes
# every TARGET working day, so a week covers the longest run of holidays (Easter).
STALE_FX_DAYS = 7


class FxError(ValueError):
    """A rates file that cannot be read, or a conversion with no rate."""

    def __init__(self, message: str, code: str = "fx_rate_unknown") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Peg:
    currency: str
    anchor: str
    units_per_anchor: Decimal
    effective_from: date
    source: tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    """A central bank's published rate against an anchor on one day (VND: the State Bank of
    Vietnam's central rate per USD) — for currencies the ECB does not publish and that float.
    It becomes a rate of that day, so its age shows in quotes like any other."""

    currency: str
    anchor: str
    units_per_anchor: Decimal
    on: date
    source: tuple[str, ...]


@dataclass(frozen=True)
class Used:
    """Which rate a conversion used (shown in quotes)."""

    currency: str
    per_eur: Decimal
    on: date
    source: str


@dataclass
class RateTable:
    """Units per EUR by currency and date; add more days with ``add``."""

    days: dict[str, list[date]] = field(default_factory=dict)
    rates: dict[tuple[str, date], Decimal] = field(default_factory=dict)
    pegs: dict[str, Peg] = field(default_factory=dict)
    sources: dict[tuple[str, date], str] = field(default_factory=dict)
    references: dict[str, list[Reference]] = field(default_factory=dict)

    def add(self, currency: str, day: date, per_eur: Decimal, source: str = ECB_SOURCE) -> None:
        if per_eur <= 0:
            raise FxError(f"rate for {currency} on {day} must be positive", code="fx_file_invalid")
        if (currency, day) not in self.rates:
            bisect.insort(self.days.setdefault(currency, []), day)
        self.rates[(currency, day)] = per_eur
        self.sources[(currency, day)] = source

    def merge(self, other: RateTable) -> None:
        for (cur, day), rate in other.rates.items():
            self.add(cur, day, rate, other.sources.get((cur, day), ECB_SOURCE))
        self.pegs.update(other.pegs)
        for refs in other.references.values():
            for ref in refs:
                self.add_reference(ref)

    def add_reference(self, ref: Reference) -> None:
        """A dated cross rate: converts through its anchor's rate of the quote's day, and
        counts as old as the older of the two (a year-old VND figure reads as a year old)."""
        refs = self.references.setdefault(ref.currency, [])
        refs.append(ref)
        refs.sort(key=lambda r: r.on)

    def currencies(self) -> set[str]:
        return {"EUR", *self.days, *self.pegs, *self.references}

    def latest(self) -> date | None:
        return max((d[-1] for d in self.days.values() if d), default=None)

    def per_eur(self, currency: str, day: date) -> Used:
        """Units of ``currency`` per EUR on ``day`` (latest published on or before it)."""
        if currency == "EUR":
            return Used("EUR", Decimal(1), day, "")
        peg = self.pegs.get(currency)
        if peg is not None and peg.effective_from <= day:
            anchor = self.per_eur(peg.anchor, day)
            return Used(currency, anchor.per_eur * peg.units_per_anchor, anchor.on,
                        peg.source[0])
        refs = self.references.get(currency)
        if refs and currency not in self.days:
            ref = next((r for r in reversed(refs) if r.on <= day), None)
            if ref is None:
                raise FxError(f"no exchange rate for {currency} on or before {day} "
                              f"(the first is {refs[0].on})")
            anchor = self.per_eur(ref.anchor, day)
            return Used(currency, anchor.per_eur * ref.units_per_anchor,
                        min(ref.on, anchor.on), ref.source[0])
        days = self.days.get(currency)
        if not days:
            raise FxError(f"no exchange rate for {currency}")
        i = bisect.bisect_right(days, day)
        if i == 0:
            raise FxError(f"no exchange rate for {currency} on or before {day} "
                          f"(the first is {days[0]})")
        on = days[i - 1]
        return Used(currency, self.rates[(currency, on)], on, self.sources[(currency, on)])

    def convert(self, amount: Decimal, src: str, dst: str, day: date) -> Decimal:
        """Exact (unrounded) conversion; the caller rounds where the law says."""
        if src == dst:
            return amount
        return amount / self.per_eur(src, day).per_eur * self.per_eur(dst, day).per_eur


def _rate(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise FxError(f"{where}: {text!r} is not a rate", code="fx_file_invalid") from None
    if not value.is_finite() or value <= 0:
        raise FxError(f"{where}: {text!r} is not a positive rate", code="fx_file_invalid")
    return value


def _currency(code: str, where: str) -> str:
    code = code.strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise FxError(f"{where}: {code!r} is not an ISO 4217 currency", code="fx_file_invalid")
    return code


def parse_ecb_xml(data: bytes) -> RateTable:
    """The ECB's gesmes envelope: Cube time=… > Cube currency=… rate=…."""
    if len(data) > MAX_FILE_BYTES:
        raise FxError("the rates file is too large", code="fx_file_invalid")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise FxError("rates files with DTDs or entities are refused", code="fx_file_invalid")
    try:
        root = ET.fromstring(data)  # noqa: S314 — DTDs refused above, so no entity expansion
    except ET.ParseError as exc:
        raise FxError(f"not well-formed XML: {exc}", code="fx_file_invalid") from None
    table = RateTable()
    for cube in root.iter():
        if not cube.tag.endswith("Cube") or "time" not in cube.attrib:
            continue
        try:
            day = date.fromisoformat(cube.attrib["time"])
        except ValueError:
            raise FxError(f"bad date {cube.attrib['time']!r}", code="fx_file_invalid") from None
        for child in cube:
            cur = _currency(child.attrib.get("currency", ""), str(day))
            table.add(cur, day, _rate(child.attrib.get("rate", ""), f"{day} {cur}"))
    if not table.days:
        raise FxError("no rates found (expected the ECB's <Cube time=…> format)",
                      code="fx_file_invalid")
    return table


def parse_ecb_csv(text: str) -> RateTable:
    """The ECB's CSV (eurofxref.csv or eurofxref-hist.csv): Date, USD, JPY, …; N/A skipped."""
    if len(text) > MAX_FILE_BYTES:
        raise FxError("the rates file is too large", code="fx_file_invalid")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0][0].strip().lower() != "date":
        raise FxError("the first column must be Date (the ECB's CSV format)",
                      code="fx_file_invalid")
    header = [h.strip() for h in rows[0]]
    currencies = [(i, _currency(h, "header")) for i, h in enumerate(header) if i and h]
    table = RateTable()
    for n, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            try:  # the daily file writes "24 November 2026"
                day = datetime.strptime(row[0].strip(), "%d %B %Y").date()
            except ValueError:
                raise FxError(f"line {n}: bad date {row[0]!r}", code="fx_file_invalid") from None
        for i, cur in currencies:
            cell = row[i].strip() if i < len(row) else ""
            if cell and cell.upper() != "N/A":
                table.add(cur, day, _rate(cell, f"line {n} {cur}"))
    if not table.days:
        raise FxError("no rates found", code="fx_file_invalid")
    return table


def parse_rates(data: bytes) -> RateTable:
    """XML or CSV, told apart by the first non-blank character."""
    head = data.lstrip()[:1]
    if head == b"<":
        return parse_ecb_xml(data)
    try:
        return parse_ecb_csv(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FxError("the rates file is not UTF-8 text", code="fx_file_invalid") from None


def parse_pegs(text: str) -> dict[str, Peg]:
    data = tomllib.loads(text)
    pegs: dict[str, Peg] = {}
    for p in data.get("peg", []):
        cur = _currency(p["currency"], "pegs.toml")
        pegs[cur] = Peg(cur, _currency(p["anchor"], "pegs.toml"),
                        _rate(str(p["units_per_anchor"]), f"pegs.toml {cur}"),
                        p["effective_from"], tuple(p["source"]))
    return pegs


def parse_references(text: str) -> list[Reference]:
    """The ``[[reference]]`` tables of pegs.toml (dated central-bank rates)."""
    data = tomllib.loads(text)
    refs = []
    for r in data.get("reference", []):
        cur = _currency(r["currency"], "pegs.toml reference")
        on = r["date"]
        if not isinstance(on, date) or not r.get("source"):
            raise FxError(f"pegs.toml reference {cur}: needs a date and a source",
                          code="fx_file_invalid")
        refs.append(Reference(cur, _currency(r["anchor"], "pegs.toml reference"),
                              _rate(str(r["units_per_anchor"]), f"pegs.toml {cur}"), on,
                              tuple(r["source"])))
    return refs
