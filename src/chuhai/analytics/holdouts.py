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
from sqlalchemy.exc import IntegrityError

from chuhai.accounts.models import Org
from chuhai.analytics import experiments as rules
from chuhai.analytics import lift as lift_report
from chuhai.analytics.experiments import EXPOSED, HOLDOUT
from chuhai.analytics.models import Experiment, ExperimentAssignment
from chuhai.checkout.models import Order, OrderEvent
from chuhai.checkout.states import OrderStatus
from chuhai.core.actor import PLATFORM_ORG_ID, Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores, UnitOfWork, unit_of_work
from chuhai.core.errors import Conflict, DomainError, Forbidden, NotFound
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
            # Only a row seen in the store is remembered: one written by this request is
            # not committed yet (the page may still roll back), so it is looked for again
            # next time, and then remembered.
            session = uow.region(region)
            if await session.scalar(select(ExperimentAssignment.id).where(
                    ExperimentAssignment.experiment_id == exp.id,
                    ExperimentAssignment.subject_id == subject_id)) is not None:
                _RECORDED[key] = None
                if len(_RECORDED) > MAX_RECORDED:
                    _RECORDED.popitem(last=False)
            else:
                await session.execute(insert_for(session, table).values(
                    experiment_id=exp.id, subject_id=subject_id, group=group,
                    country=country.upper()[:2], assigned_at=now
                ).on_conflict_do_nothing(index_elements=["experiment_id", "subject_id"]))
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
    """A new experiment of the actor's org (the platform's staff: the platform's). One of
    each kind per org at a time (a partial unique index holds it under concurrent starts).
    A personalization holdout changes a buyer's whole feed, every seller's items in it, so
    only the platform runs one."""
    actor.require(Perm.SELLING)
    kind = rules.check_kind(kind)
    bp = rules.share_bp(share)
    org_id = actor.org()
    if kind == "personalization" and org_id != PLATFORM_ORG_ID:
        raise Forbidden("a personalization holdout changes every seller's feed: only the "
                        "platform's staff run one", code="platform_only")
    running_one = Conflict(f"a {kind} experiment is running; stop it first",
                           code="experiment_running")
    async with stores.session() as s:
        if await s.scalar(select(Experiment.id).where(
                Experiment.status == "running", Experiment.kind == kind,
                Experiment.org_id == org_id)) is not None:
            raise running_one
        exp = Experiment(id=new_id("exp"), org_id=org_id, name=name[:120], kind=kind,
                         share_bp=bp, salt=secrets.token_hex(16), status="running",
                         started_at=utcnow(), created_by=actor.subject_id)
        s.add(exp)
        try:
            await s.commit()
        except IntegrityError:  # a concurrent start won
            await s.rollback()
            raise running_one from None
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
    """Every assigned buyer, once, with their orders paid while the experiment ran (the
    org's, or any seller's for the platform's; gross: whatever happened to them after), GMV
    in ``currency`` at the ECB rate of the payment day. A guest who browsed markets of two
    regions has a row in each: the same buyer (their group is the same hash), counted once.
    Also counts who was left out and why."""
    end = exp.stopped_at or now or utcnow()
    left_out = {"no_personalization_consent": 0, "unconverted_currency": 0}
    groups: dict[str, str] = {}
    home: dict[str, tuple[str, str]] = {}  # subject -> (region, country) of their first row
    per: dict[str, list[Decimal]] = {}
    for region in stores.regions:
        async with stores.session(region) as r:
            for subject, group, country in (await r.execute(
                    select(ExperimentAssignment.subject_id, ExperimentAssignment.group,
                           ExperimentAssignment.country)
                    .where(ExperimentAssignment.experiment_id == exp.id))).all():
                groups.setdefault(subject, group)
                home.setdefault(subject, (region, country))
            q = (select(Order.buyer_id, Order.total_minor, Order.currency, OrderEvent.at)
                 .join(OrderEvent, OrderEvent.order_id == Order.id)
                 .where(OrderEvent.to_status == OrderStatus.PAID,
                        OrderEvent.at >= exp.started_at, OrderEvent.at <= end))
            if exp.org_id != PLATFORM_ORG_ID:
                q = q.where(Order.org_id == exp.org_id)
            for buyer, total, cur, at in (await r.execute(q)).all():
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
        keep = await _consenting(stores, home)
        left_out["no_personalization_consent"] = len(groups) - len(keep)
        groups = {k: v for k, v in groups.items() if k in keep}
    out = []
    for subject, group in groups.items():
        acc = per.get(subject, [Decimal(0), Decimal(0)])
        out.append(Outcome(subject, group, int(acc[0]), float(acc[1])))
    return out, left_out


async def _consenting(stores: Stores, home: dict[str, tuple[str, str]]) -> set[str]:
    """Who allows personalization now, under the law of the country they were enrolled in
    (read in the region that holds their consent ledger)."""
    keep = set()
    async with unit_of_work(stores) as uow:
        for subject, (region, country) in home.items():
            if await consent.allowed(uow, subject_id=subject, region=region, country=country,
                                     purpose="personalization"):
                keep.add(subject)
    return keep


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
