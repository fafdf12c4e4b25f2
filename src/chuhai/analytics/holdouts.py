"""Running randomized holdouts: starting and stopping them, enrolling buyers as they are
active, gating the feed, and reading the outcome per buyer for the lift report.

Enrollment happens wherever a buyer is active (the feed, the storefront and its search, a
product page, a cart add), the same for both groups, so the population is every buyer
active during the experiment — not only those who reached the feed. The first enrollment
of a buyer in an experiment is written once (``ON CONFLICT DO NOTHING``) in their home
region; the group is never updated.
"""

from __future__ import annotations

import secrets
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, select

from chuhai.accounts.models import Org
from chuhai.analytics import experiments as rules
from chuhai.analytics import lift as lift_report
from chuhai.analytics.experiments import EXPOSED, HOLDOUT
from chuhai.analytics.models import Experiment, ExperimentAssignment
from chuhai.checkout.models import Order
from chuhai.checkout.states import OrderStatus
from chuhai.core.actor import PLATFORM_ORG_ID, Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores, UnitOfWork, unit_of_work
from chuhai.core.errors import Conflict, DomainError, NotFound
from chuhai.core.ids import new_id
from chuhai.core.money import minor_digits
from chuhai.core.shortcache import ShortCache
from chuhai.core.sql import insert_for
from chuhai.crossborder.fx import FxError, RateTable
from chuhai.markets.profiles import get_profile
from chuhai.privacy import consent

RUNNING_TTL_S = 5.0
# per set of stores (a node has one; tests make many): which experiments run, read at most
# every few seconds — a start or stop on this node is seen at once, on others within that
_RUNNING: weakref.WeakKeyDictionary[Stores, ShortCache[str, tuple[Experiment, ...]]] = \
    weakref.WeakKeyDictionary()
_RECORDED: OrderedDict[tuple[str, str], None] = OrderedDict()
MAX_RECORDED = 100_000
# Orders that were paid (later states included); cancelled-before-payment ones never were.
PAID_STATES = frozenset({OrderStatus.PAID, OrderStatus.ALLOCATED, OrderStatus.SHIPPED,
                         OrderStatus.DELIVERED, OrderStatus.RETURNED, OrderStatus.REFUNDED})


@dataclass(frozen=True)
class Enrollment:
    """What a buyer's groups change in what they see."""

    no_feed: bool = False  # held out of the platform's interest experiment
    hidden_orgs: frozenset[str] = frozenset()  # held out of these sellers' interest ones
    common_feed: bool = False  # held out of a personalization experiment

    @property
    def held_out(self) -> bool:
        return self.no_feed or bool(self.hidden_orgs) or self.common_feed


NOT_ENROLLED = Enrollment()


async def running(uow: UnitOfWork) -> tuple[Experiment, ...]:
    async def load() -> tuple[Experiment, ...]:
        rows = (await uow.global_.scalars(select(Experiment).where(
            Experiment.status == "running"))).all()
        for r in rows:
            uow.global_.expunge(r)
        return tuple(rows)
    return await _running_cache(uow.stores).get("running", time.monotonic(), load)


def _running_cache(stores: Stores) -> ShortCache[str, tuple[Experiment, ...]]:
    cache = _RUNNING.get(stores)
    if cache is None:
        cache = _RUNNING[stores] = ShortCache(RUNNING_TTL_S, 4)
    return cache


async def enroll(uow: UnitOfWork, subject_id: str | None, region: str | None,
                 country: str, now: datetime | None = None) -> Enrollment:
    """Record the buyer's group in every running experiment (once) and say what it hides.
    Nobody to name (an anonymous visitor): not enrolled, the ordinary feed."""
    if subject_id is None or region is None:
        return NOT_ENROLLED
    found = await running(uow)
    if not found:
        return NOT_ENROLLED
    now = now or utcnow()
    table = cast(Table, ExperimentAssignment.__table__)
    no_feed = common = False
    hidden: set[str] = set()
    for exp in found:
        group = rules.group_of(exp.salt, subject_id, exp.share_bp)
        key = (exp.id, subject_id)
        if key not in _RECORDED:
            session = uow.region(region)
            await session.execute(insert_for(session, table).values(
                experiment_id=exp.id, subject_id=subject_id, group=group,
                country=country.upper()[:2], assigned_at=now
            ).on_conflict_do_nothing(index_elements=["experiment_id", "subject_id"]))
            _RECORDED[key] = None
            if len(_RECORDED) > MAX_RECORDED:
                _RECORDED.popitem(last=False)
        if group != HOLDOUT:
            continue
        if exp.kind == "personalization":
            common = True
        elif exp.org_id == PLATFORM_ORG_ID:
            no_feed = True
        else:
            hidden.add(exp.org_id)
    return Enrollment(no_feed, frozenset(hidden), common)


def _forget_running(stores: Stores) -> None:
    _running_cache(stores).forget()


async def start(stores: Stores, actor: Actor, *, name: str, kind: str = "interest",
                share: Any = rules.DEFAULT_SHARE) -> Experiment:
    """A new experiment of the actor's org (the platform's staff: the platform's). One
    interest experiment per org at a time, and one personalization experiment on the whole
    platform (it changes a buyer's whole feed)."""
    actor.require(Perm.SELLING)
    kind = rules.check_kind(kind)
    bp = rules.share_bp(share)
    org_id = actor.org()
    async with stores.session() as s:
        clash = select(Experiment.id).where(Experiment.status == "running",
                                            Experiment.kind == kind)
        if kind == "interest":
            clash = clash.where(Experiment.org_id == org_id)
        other = await s.scalar(clash)
        if other is not None:
            raise Conflict(f"experiment {other} of this kind is running; stop it first",
                           code="experiment_running")
        exp = Experiment(id=new_id("exp"), org_id=org_id, name=name[:120], kind=kind,
                         share_bp=bp, salt=secrets.token_hex(16), status="running",
                         started_at=utcnow(), created_by=actor.subject_id)
        s.add(exp)
        await s.commit()
        await s.refresh(exp)
    _forget_running(stores)
    return exp


async def get(stores: Stores, actor: Actor, exp_id: str) -> Experiment:
    actor.require(Perm.REPORTS_READ)
    async with stores.session() as s:
        exp = await s.get(Experiment, exp_id)
    if exp is None or exp.org_id != actor.org():
        raise NotFound("experiment", exp_id, code="experiment_not_found")
    return exp


async def list_for(stores: Stores, actor: Actor) -> list[Experiment]:
    actor.require(Perm.REPORTS_READ)
    async with stores.session() as s:
        return list((await s.scalars(select(Experiment).where(
            Experiment.org_id == actor.org()).order_by(Experiment.started_at.desc()))).all())


async def set_status(stores: Stores, actor: Actor, exp_id: str, status: str) -> Experiment:
    actor.require(Perm.SELLING)
    async with stores.session() as s:
        exp = await s.get(Experiment, exp_id)
        if exp is None or exp.org_id != actor.org():
            raise NotFound("experiment", exp_id, code="experiment_not_found")
        wanted = rules.check_status_change(exp.status, status)
        if wanted != exp.status:
            exp.status = wanted
            exp.stopped_at = utcnow()
            await s.commit()
            await s.refresh(exp)
    _forget_running(stores)
    return exp


@dataclass(frozen=True)
class Outcome:
    """One assigned buyer's result, ready for ``lift.report`` (GMV in ``currency``)."""

    subject: str
    group: str
    orders: int
    gmv: float


async def reporting_currency(stores: Stores, org_id: str) -> str:
    """The org's chosen reporting currency, else its home market's."""
    async with stores.session() as s:
        org = await s.get(Org, org_id)
    if org is None:
        return "EUR"
    if org.reporting_currency:
        return org.reporting_currency
    profile = get_profile(org.home_country)
    return profile.currency.code if profile else "EUR"


async def outcomes(stores: Stores, exp: Experiment, fx: RateTable, currency: str,
                   now: datetime | None = None) -> tuple[list[Outcome], dict[str, int]]:
    """Every assigned buyer with their paid orders (the org's, or any seller's for the
    platform's experiment) placed while the experiment ran, GMV in ``currency`` at the ECB
    rate of the order's day. Also counts who was left out and why."""
    end = exp.stopped_at or now or utcnow()
    out: list[Outcome] = []
    left_out = {"no_personalization_consent": 0, "unconverted_currency": 0}
    for region in stores.regions:
        async with unit_of_work(stores) as uow:
            r = uow.region(region)
            assigned = (await r.execute(
                select(ExperimentAssignment.subject_id, ExperimentAssignment.group,
                       ExperimentAssignment.country)
                .where(ExperimentAssignment.experiment_id == exp.id))).all()
            groups = {row[0]: row[1] for row in assigned}
            countries = {row[0]: row[2] for row in assigned}
            if not groups:
                continue
            q = select(Order.buyer_id, Order.total_minor, Order.currency,
                       Order.created_at).where(
                Order.status.in_([str(s) for s in PAID_STATES]),
                Order.created_at >= exp.started_at, Order.created_at <= end)
            if exp.org_id != PLATFORM_ORG_ID:
                q = q.where(Order.org_id == exp.org_id)
            per: dict[str, list[Decimal]] = {}
            for buyer, total, cur, at in (await r.execute(q)).all():
                if buyer not in groups:
                    continue
                try:
                    amount = fx.convert(Decimal(total).scaleb(-minor_digits(cur)), cur,
                                        currency, at.date())
                except FxError:
                    left_out["unconverted_currency"] += 1
                    continue
                acc = per.setdefault(buyer, [Decimal(0), Decimal(0)])
                acc[0] += 1
                acc[1] += amount
            if exp.kind == "personalization":
                keep = await _consenting(uow, region, countries)
                left_out["no_personalization_consent"] += len(groups) - len(keep)
                groups = {k: v for k, v in groups.items() if k in keep}
            for subject, group in groups.items():
                acc = per.get(subject, [Decimal(0), Decimal(0)])
                out.append(Outcome(subject, group, int(acc[0]), float(acc[1])))
    return out, left_out


async def _consenting(uow: UnitOfWork, region: str, countries: dict[str, str]) -> set[str]:
    """Who allows personalization now, under the law of the country they were enrolled in."""
    return {subject for subject, country in countries.items()
            if await consent.allowed(uow, subject_id=subject, region=region,
                                     country=country, purpose="personalization")}


async def lift(stores: Stores, exp: Experiment, fx: RateTable,
               now: datetime | None = None) -> dict[str, Any]:
    """The experiment's lift report (analytics/lift.py) in the org's reporting currency,
    with what it is about; ``report`` is None (and ``reason`` says why) while a group is
    still empty."""
    currency = await reporting_currency(stores, exp.org_id)
    found, left_out = await outcomes(stores, exp, fx, currency, now)
    meta: dict[str, Any] = {
        "experiment": exp.id, "name": exp.name, "kind": exp.kind,
        "share": exp.share_bp / rules.BASIS, "status": exp.status,
        "started_at": exp.started_at.isoformat(),
        "stopped_at": exp.stopped_at.isoformat() if exp.stopped_at else None,
        "scope": "platform" if exp.org_id == PLATFORM_ORG_ID else "seller",
        "assigned": {g: sum(1 for o in found if o.group == g) for g in (EXPOSED, HOLDOUT)},
        "left_out": left_out, "currency": currency,
        "fx_note": "GMV at the ECB reference rate of each order's day",
    }
    cols = lift_report.Columns(
        np.array([o.subject for o in found], dtype=object),
        np.array([o.group == HOLDOUT for o in found], dtype=bool),
        np.array([o.orders for o in found], dtype=np.int64),
        np.array([o.gmv for o in found], dtype=np.float64), currency)
    try:
        meta["report"] = lift_report.report(cols)
        meta["reason"] = None
    except DomainError as exc:
        meta["report"] = None
        meta["reason"] = {"code": exc.code, "message": exc.message}
    return meta
