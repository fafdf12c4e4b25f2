"""The consent ledger and the one question every feature asks before using personal data:
may I, for this purpose, for this person?

Decisions are appended to ``consent_ledger`` in the person's home region and each change
goes into the hash-chained audit log (``consent.change``), so neither a silent edit of the
ledger nor a decision that never happened can pass unnoticed. The answer itself is computed
by ``consent_policy.effective`` from the market's regimes, the person's latest decisions,
their declared age and a Global Privacy Control signal.

A Global Privacy Control signal (``Sec-GPC: 1``) seen for a person is recorded as a
``sale_share`` refusal with source ``gpc`` — once, not on every request — so the ledger shows
that the signal was processed (CCPA regulations, 11 CCR § 7025).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.core.clock import utcnow
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import InvalidInput
from chuhai.markets.profiles import get_profile
from chuhai.privacy import audit
from chuhai.privacy.consent_policy import (
    OPTIONAL,
    PURPOSES,
    Decision,
    Effective,
    RegimeConsent,
    effective,
    gpc_outweighs,
    load,
)
from chuhai.privacy.models import ConsentRecord

GPC_HEADER = "sec-gpc"


@lru_cache(maxsize=1)
def rules() -> dict[str, RegimeConsent]:
    return load()


def regimes_for(country: str, day: dt.date | None = None) -> list[RegimeConsent]:
    """The consent rules of the regimes in force in ``country`` on ``day``."""
    profile = get_profile(country)
    if profile is None:
        raise InvalidInput(f"no market profile for {country!r}", code="unknown_country")
    known = rules()
    day = day or utcnow().date()
    return [known[r.id] for r in profile.regimes_on(day)
            if r.id in known and known[r.id].effective_from <= day]


def gpc_signal(headers: Mapping[str, str]) -> bool:
    """The Global Privacy Control header: ``Sec-GPC: 1`` (the only valid value)."""
    return headers.get(GPC_HEADER, "").strip() == "1"


@dataclass(frozen=True)
class ConsentState:
    subject_id: str
    country: str
    regimes: tuple[str, ...]
    purposes: dict[str, Effective]
    age: int | None
    decided: bool  # has the person made any choice yet (else: show the banner)
    policy_version: str

    def allowed(self, purpose: str) -> bool:
        return self.purposes[purpose].allowed

    def as_dict(self) -> dict[str, object]:
        return {"subject": self.subject_id, "market": self.country,
                "regimes": list(self.regimes), "decided": self.decided,
                "declared_age": self.age, "policy_version": self.policy_version,
                "purposes": {p: e.as_dict() for p, e in self.purposes.items()}}


def age_to_ask(found: ConsentState) -> int | None:
    """The age the banner asks about — the highest consent age among the person's regimes
    (for their country) — until they have declared one."""
    if found.age is not None:
        return None
    known = rules()
    ages = [known[r].consent_age(found.country) for r in found.regimes if r in known]
    return max(ages) if ages else None


def defaults(country: str, *, gpc: bool = False, policy_version: str = "") -> ConsentState:
    """What the market's law allows for someone who has not chosen anything (and has no
    id yet: nothing is written)."""
    country = country.upper()
    regimes = regimes_for(country)
    return ConsentState("", country, tuple(r.id for r in regimes),
                        effective(regimes, country=country, age=None, decisions={}, gpc=gpc),
                        None, False, policy_version)


async def _latest(uow: UnitOfWork, region: str, subject_id: str
                  ) -> tuple[dict[str, Decision], int | None, bool]:
    return await _latest_in(uow.region(region), subject_id)


async def _latest_in(session: AsyncSession, subject_id: str
                     ) -> tuple[dict[str, Decision], int | None, bool]:
    rows = (await session.scalars(
        select(ConsentRecord).where(ConsentRecord.subject_id == subject_id)
        .order_by(ConsentRecord.id))).all()
    decisions: dict[str, Decision] = {}
    age = None
    for r in rows:  # later rows win
        decisions[r.purpose] = Decision(r.purpose, r.granted, r.source, r.at, r.policy_version)
        if r.declared_age is not None:
            age = r.declared_age
    chosen = any(r.source != "gpc" for r in rows)
    return decisions, age, chosen


async def state(uow: UnitOfWork, *, subject_id: str, region: str, country: str,
                gpc: bool = False, policy_version: str = "") -> ConsentState:
    """What this person's consent allows now. With ``gpc``, a first sight of the signal is
    written to the ledger."""
    country = country.upper()
    regimes = regimes_for(country)
    decisions, age, chosen = await _latest(uow, region, subject_id)
    if gpc and gpc_outweighs(decisions.get("sale_share")):
        await _append(uow, region, subject_id, country, {"sale_share": False}, "gpc",
                      policy_version, None, regimes)
        decisions["sale_share"] = Decision("sale_share", False, "gpc", utcnow(),
                                           policy_version)
    purposes = effective(regimes, country=country, age=age, decisions=decisions, gpc=gpc)
    return ConsentState(subject_id, country, tuple(r.id for r in regimes), purposes, age,
                        chosen, policy_version)


async def allowed_in(session: AsyncSession, *, subject_id: str, country: str,
                     purpose: str) -> bool:
    """The gate, read in a session the caller already holds on the person's region (a
    checkout's own transaction: no second connection). No GPC: nothing is written."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    country = country.upper()
    decisions, age, _ = await _latest_in(session, subject_id)
    return effective(regimes_for(country), country=country, age=age,
                     decisions=decisions, gpc=False)[purpose].allowed


async def allowed(uow: UnitOfWork, *, subject_id: str | None, region: str | None,
                  country: str, purpose: str, gpc: bool = False) -> bool:
    """The gate features call. No subject (nobody identified): the market's default for
    an unknown person, GPC included."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if subject_id is None or region is None:
        return defaults(country, gpc=gpc).allowed(purpose)
    found = await state(uow, subject_id=subject_id, region=region, country=country, gpc=gpc)
    return found.allowed(purpose)


async def decide(uow: UnitOfWork, *, subject_id: str, region: str, country: str,
                 choices: Mapping[str, bool], source: str, policy_version: str,
                 age: int | None = None, actor: str | None = None) -> ConsentState:
    """Record a person's choices. Refusing ``necessary`` is refused (the service cannot
    run without it); granting a purpose the person's age keeps locked is refused too."""
    country = country.upper()
    unknown = sorted(set(choices) - set(PURPOSES))
    if unknown:
        raise InvalidInput(f"unknown purposes: {', '.join(unknown)}", code="unknown_purpose",
                           extra={"purposes": list(PURPOSES)})
    if choices.get("necessary") is False:
        raise InvalidInput("necessary processing cannot be refused: without it the room and "
                           "checkout do not work", code="purpose_required")
    if age is not None and not 0 < age < 130:
        raise InvalidInput("age must be a whole number of years", code="bad_age")
    regimes = regimes_for(country)
    decisions, known_age, _ = await _latest(uow, region, subject_id)
    use_age = age if age is not None else known_age
    gated = effective(regimes, country=country, age=use_age, decisions={}, gpc=False)
    locked = [p for p, on in choices.items()
              if on and p in OPTIONAL and gated[p].basis == "age_gate" and source != "guardian"]
    if locked:
        raise InvalidInput(f"below the age of consent for {', '.join(locked)}: a parent or "
                           "guardian must give this permission", code="age_gate",
                           extra={"purposes": locked,
                                    "age": gated[locked[0]].locked_age})
    changed = {p: on for p, on in choices.items() if p in OPTIONAL and (
        p not in decisions or decisions[p].granted != on
        or decisions[p].policy_version != policy_version or decisions[p].source == "gpc")}
    if changed or (age is not None and age != known_age):
        await _append(uow, region, subject_id, country, changed or {}, source,
                      policy_version, age, regimes)
        await audit.append(uow.global_, actor=actor or subject_id, action="consent.change",
                           subject=subject_id, region=region,
                           details={"market": country, "source": source,
                                    "policy": policy_version, "choices": changed,
                                    **({"age_declared": True} if age is not None else {})})
    return await state(uow, subject_id=subject_id, region=region, country=country,
                       policy_version=policy_version)


async def _append(uow: UnitOfWork, region: str, subject_id: str, country: str,
                  choices: Mapping[str, bool], source: str, policy_version: str,
                  age: int | None, regimes: list[RegimeConsent]) -> None:
    rule_ids = [r.rule_id for r in regimes]
    session = uow.region(region)
    now = utcnow()
    if not choices and age is not None:  # an age declaration alone
        session.add(ConsentRecord(subject_id=subject_id, market=country, purpose="necessary",
                                  granted=True, policy_version=policy_version, source=source,
                                  declared_age=age, rule_ids=rule_ids, at=now))
    for purpose, on in choices.items():
        session.add(ConsentRecord(subject_id=subject_id, market=country, purpose=purpose,
                                  granted=bool(on), policy_version=policy_version,
                                  source=source, declared_age=age, rule_ids=rule_ids, at=now))
    await session.flush()


async def history(uow: UnitOfWork, region: str, subject_id: str) -> list[ConsentRecord]:
    return list((await uow.region(region).scalars(
        select(ConsentRecord).where(ConsentRecord.subject_id == subject_id)
        .order_by(ConsentRecord.id))).all())
