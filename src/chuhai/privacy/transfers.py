"""The transfer register: each flow of personal data between regional stores, the lawful
mechanism it rests on (rules/privacy/transfers.toml) and how many people it carried per
calendar year — the number PIPL's thresholds are written in (100,000 / 1,000,000 people).

Flows happen when a seller's staff member, working in the org's home region, reads a buyer
stored in another region (``privacy.access.record``, the one function such reads go
through). Each person is counted once per year and flow."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.core.clock import utcnow
from chuhai.core.sql import insert_for
from chuhai.markets.profiles import get_profile
from chuhai.privacy import sourced
from chuhai.privacy.models import TransferPerson

MECHANISMS = frozenset({"adequacy", "scc", "idta", "pipl_standard_contract", "pipl_exemption",
                        "pipl_security_assessment", "consent", "contract_necessity",
                        "accountability", "other"})


class TransferRulesError(ValueError):
    pass


@dataclass(frozen=True)
class Flow:
    id: str
    regime: str
    to_region: str  # or "*"
    mechanism: str
    detail: str
    sources: tuple[str, ...]
    effective_from: dt.date
    confidence: str


@dataclass(frozen=True)
class Threshold:
    id: str
    regime: str
    people_per_year: int
    requires: str
    sensitive: bool
    sources: tuple[str, ...]
    effective_from: dt.date


def parse(text: str) -> tuple[list[Flow], list[Threshold]]:
    data = tomllib.loads(text)
    problems: list[str] = []
    flows, thresholds = [], []
    seen: set[tuple[str, str]] = set()
    for raw in data.get("flow", []):
        rid = str(raw.get("id", "?"))
        before = len(problems)
        sourced.check(raw, rid, problems)
        if raw.get("mechanism") not in MECHANISMS:
            problems.append(f"{rid}: mechanism must be one of {sorted(MECHANISMS)}")
        key = (str(raw.get("regime")), str(raw.get("to_region")))
        if key in seen:
            problems.append(f"{rid}: a second row for {key}")
        seen.add(key)
        if len(problems) > before:
            continue
        flows.append(Flow(rid, raw["regime"], raw["to_region"], raw["mechanism"],
                          " ".join(str(raw.get("detail", "")).split()), tuple(raw["source"]),
                          raw["effective_from"], raw["confidence"]))
    for raw in data.get("threshold", []):
        rid = str(raw.get("id", "?"))
        before = len(problems)
        sourced.check(raw, rid, problems, confidence=False)
        if not isinstance(raw.get("people_per_year"), int) or raw["people_per_year"] < 1:
            problems.append(f"{rid}: people_per_year must be a positive whole number")
        if len(problems) > before:
            continue
        thresholds.append(Threshold(rid, raw["regime"], raw["people_per_year"],
                                    str(raw.get("requires", "")), bool(raw.get("sensitive")),
                                    tuple(raw["source"]), raw["effective_from"]))
    if problems:
        raise TransferRulesError("; ".join(problems))
    return flows, thresholds


@lru_cache(maxsize=1)
def load() -> tuple[list[Flow], list[Threshold]]:
    text = (resources.files("chuhai") / "rules" / "privacy" / "transfers.toml").read_text(
        "utf-8")
    return parse(text)


def mechanism(regime: str, to_region: str) -> Flow | None:
    """The register's row for data leaving ``regime`` for ``to_region``: a row for that
    destination first, else the regime's default ("*")."""
    flows, _ = load()
    mine = {f.to_region: f for f in flows if f.regime == regime}
    return mine.get(to_region) or mine.get("*")


def regimes_of(market: str, day: dt.date) -> list[str]:
    profile = get_profile(market) if market else None
    return [r.id for r in profile.regimes_on(day)] if profile else []


async def count_people(session: AsyncSession, *, to_region: str,
                       people: Iterable[tuple[str, str, str]],
                       now: dt.datetime | None = None) -> None:
    """Count each (subject, from_region, market) once per year and flow."""
    now = now or utcnow()
    rows = [{"year": now.year, "from_region": reg, "to_region": to_region, "subject_id": sub,
             "market": market[:2], "first_at": now} for sub, reg, market in people]
    if not rows:
        return
    table = cast(Table, TransferPerson.__table__)
    await session.execute(insert_for(session, table).values(rows).on_conflict_do_nothing())


@dataclass(frozen=True)
class RegisterRow:
    year: int
    from_region: str
    to_region: str
    market: str
    regimes: list[str]
    people: int
    flows: list[Flow]
    alerts: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "from_region": self.from_region,
                "to_region": self.to_region, "market": self.market, "regimes": self.regimes,
                "people": self.people, "alerts": self.alerts,
                "mechanisms": [{"rule": f.id, "regime": f.regime, "mechanism": f.mechanism,
                                "detail": f.detail, "sources": list(f.sources),
                                "confidence": f.confidence} for f in self.flows]}


async def register(session: AsyncSession, *, year: int | None = None) -> list[RegisterRow]:
    """Every flow seen, per year and the exporting market, with its mechanisms, the
    number of people and any volume threshold reached."""
    q = (select(TransferPerson.year, TransferPerson.from_region, TransferPerson.to_region,
                TransferPerson.market, func.count())
         .group_by(TransferPerson.year, TransferPerson.from_region, TransferPerson.to_region,
                   TransferPerson.market)
         .order_by(TransferPerson.year.desc(), TransferPerson.from_region,
                   TransferPerson.to_region, TransferPerson.market))
    if year is not None:
        q = q.where(TransferPerson.year == year)
    _, thresholds = load()
    # Thresholds count a market's people over all destinations together, each once.
    totals = dict(((yr, m), n) for yr, m, n in (await session.execute(
        select(TransferPerson.year, TransferPerson.market,
               func.count(func.distinct(TransferPerson.subject_id)))
        .group_by(TransferPerson.year, TransferPerson.market))).all())
    out = []
    for yr, src, dst, market, people in (await session.execute(q)).all():
        total = totals.get((yr, market), people)
        regimes = regimes_of(market, dt.date(yr, 12, 31))
        flows = [f for f in (mechanism(r, dst) for r in regimes) if f is not None]
        alerts = [f"{t.regime}: {total:,} people from {market} in {yr} ≥ "
                  f"{t.people_per_year:,} → {t.requires}" for t in thresholds
                  if t.regime in regimes and not t.sensitive and total >= t.people_per_year]
        if not flows:
            alerts.append("no lawful mechanism recorded for this flow")
        out.append(RegisterRow(yr, src, dst, market, regimes, int(people), flows, alerts))
    return out


def catalogue() -> list[Flow]:
    """Every mechanism row, for the register page even before any flow happened."""
    return list(load()[0])
