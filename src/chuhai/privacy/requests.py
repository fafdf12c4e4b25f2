"""Data-subject requests: received, verified, answered within the law's deadline, recorded.

A request enters the queue from the person (signed in; re-entering the password verifies
them) or from the privacy officer (a request by letter or e-mail, verified by whatever the
officer checked, named in ``verification``). Its deadline comes from the regime rules of
the person's market (rules/privacy/requests.toml; with several regimes, the earliest wins),
counted from receipt — or from verification where the law stops the clock for it (UK).

Completing a request does the work and keeps a record of it (``outcome``): access writes
the export ZIP (every store), erasure walks the data map, rectification corrects the
profile, opt-out records a ``sale_share`` refusal in the consent ledger. Every step is in
the audit log (``dsr.*``)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Customer
from chuhai.core.actor import Actor
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores, UnitOfWork, unit_of_work
from chuhai.core.errors import Conflict, InvalidInput, NotFound
from chuhai.core.ids import new_id
from chuhai.markets.profiles import get_profile
from chuhai.privacy import audit, consent, deadlines
from chuhai.privacy.deadlines import KINDS, Due, RequestRule
from chuhai.privacy.export import export_dir
from chuhai.privacy.models import DataRequest, DataRequestDetail

RECTIFIABLE = {"display_name": 120, "preferred_language": 16}
DUE_SOON = dt.timedelta(days=3)
OPEN = ("awaiting_verification", "open")


def rule_for(country: str, kind: str, received: dt.datetime) -> tuple[RequestRule, Due]:
    """The regime whose deadline comes first, among those in force in ``country``."""
    profile = get_profile(country)
    if profile is None:
        raise InvalidInput(f"no market profile for {country!r}", code="unknown_country")
    known = deadlines.load()
    options = [(known[r.id], deadlines.due(known[r.id], kind, received=received, verified=None,
                                           country=country))
               for r in profile.regimes_on(received.date()) if r.id in known]
    if not options:
        raise InvalidInput(f"no request deadlines known for {country}", code="no_dsr_rule")
    return min(options, key=lambda o: o[1].respond_by)


async def open_request(uow: UnitOfWork, *, subject_id: str, kind: str, channel: str,
                       created_by: str, verification: str | None = None,
                       changes: dict[str, str] | None = None,
                       now: dt.datetime | None = None) -> DataRequest:
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", code="bad_request_kind")
    now = now or utcnow()
    customer = await _customer(uow, subject_id)
    if kind == "rectification":
        changes = _checked_changes(changes)
    elif changes:
        raise InvalidInput("only a rectification carries changes", code="bad_changes")
    rule, due = rule_for(customer.home_country, kind, now)
    req = DataRequest(
        id=new_id("dsr"), subject_id=subject_id, region=customer.region,
        market=customer.home_country, regime=rule.id, kind=kind,
        status="open" if verification else "awaiting_verification", channel=channel,
        received_at=now, verified_at=now if verification else None,
        verification=verification, acknowledge_by=due.acknowledge_by,
        acknowledged_at=now,  # the answer to the person is the receipt
        due_at=due.respond_by, extension_until=due.extended_by, extended=False,
        outcome={}, rule_ids=[rule.rule_id], created_by=created_by)
    if verification and rule.clock_pauses_for_verification:
        req.due_at = deadlines.due(rule, kind, received=now, verified=now,
                                   country=customer.home_country).respond_by
    uow.global_.add(req)
    if changes:
        uow.region(customer.region).add(DataRequestDetail(request_id=req.id,
                                                          subject_id=subject_id,
                                                          changes=changes))
    await audit.append(uow.global_, actor=created_by, action="dsr.open", subject=subject_id,
                       region=customer.region,
                       details={"request": req.id, "kind": kind, "regime": rule.id,
                                "due": req.due_at.isoformat(), "channel": channel})
    return req


async def _customer(uow: UnitOfWork, subject_id: str) -> Customer:
    from chuhai.accounts.models import Subject

    subject = await uow.global_.get(Subject, subject_id)
    if subject is None or subject.kind != "customer":
        raise NotFound("customer", subject_id, code="subject_not_found")
    customer = await uow.region(subject.region).get(Customer, subject_id)
    if customer is None:
        raise NotFound("customer", subject_id, code="subject_not_found")
    return customer


def _checked_changes(changes: dict[str, str] | None) -> dict[str, str]:
    if not changes:
        raise InvalidInput("say what to correct: "
                           f"{', '.join(sorted(RECTIFIABLE))}", code="bad_changes")
    out = {}
    for field, value in changes.items():
        if field not in RECTIFIABLE:
            raise InvalidInput(f"{field!r} cannot be corrected here (e-mail and country "
                               "change through the account, which moves the data)",
                               code="bad_changes",
                               extra={"correctable": sorted(RECTIFIABLE)})
        value = " ".join(str(value).split())
        if not value or len(value) > RECTIFIABLE[field]:
            raise InvalidInput(f"{field} must be 1–{RECTIFIABLE[field]} characters",
                               code="bad_changes")
        out[field] = value
    return out


async def get(session: AsyncSession, request_id: str) -> DataRequest:
    req = await session.get(DataRequest, request_id[:40])
    if req is None:
        raise NotFound("request", request_id, code="request_not_found")
    return req


async def verify(uow: UnitOfWork, request_id: str, actor: Actor, method: str,
                 now: dt.datetime | None = None) -> DataRequest:
    now = now or utcnow()
    req = await get(uow.global_, request_id)
    if req.status != "awaiting_verification":
        raise Conflict(f"request is {req.status}, not awaiting verification",
                       code="request_state")
    method = " ".join(method.split())[:60]
    if not method:
        raise InvalidInput("say how the identity was verified", code="bad_verification")
    req.status, req.verified_at, req.verification = "open", now, method
    rule = deadlines.load()[req.regime]
    if rule.clock_pauses_for_verification:
        due = deadlines.due(rule, req.kind, received=req.received_at, verified=now,
                            country=req.market)
        req.extension_until = due.extended_by
        # an extension already taken moves with the clock, it is not lost
        req.due_at = (due.extended_by if req.extended and due.extended_by
                      else due.respond_by)
    await audit.append(uow.global_, actor=actor.subject_id, org_id=actor.org_id,
                       action="dsr.verify", subject=req.subject_id, region=req.region,
                       details={"request": req.id, "method": method})
    return req


async def extend(uow: UnitOfWork, request_id: str, actor: Actor, reason: str) -> DataRequest:
    """Take the law's extension (the person must be told why, within the first period)."""
    req = await get(uow.global_, request_id)
    if req.status not in OPEN:
        raise Conflict(f"request is {req.status}", code="request_state")
    if req.extended or req.extension_until is None:
        raise Conflict(f"{req.regime} allows no (further) extension", code="no_extension")
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise InvalidInput("give the reason the person will be told", code="bad_reason")
    req.extended, req.due_at = True, req.extension_until
    await audit.append(uow.global_, actor=actor.subject_id, org_id=actor.org_id,
                       action="dsr.extend", subject=req.subject_id, region=req.region,
                       details={"request": req.id, "due": req.due_at.isoformat(),
                                "reason": reason})
    return req


async def reject(uow: UnitOfWork, request_id: str, actor: Actor, reason: str) -> DataRequest:
    req = await get(uow.global_, request_id)
    if req.status not in OPEN:
        raise Conflict(f"request is {req.status}", code="request_state")
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise InvalidInput("give the reason the person will be told", code="bad_reason")
    req.status, req.completed_at = "rejected", utcnow()
    req.outcome = {"rejected": reason}
    await _drop_forwarded(uow, req)
    await audit.append(uow.global_, actor=actor.subject_id, org_id=actor.org_id,
                       action="dsr.reject", subject=req.subject_id, region=req.region,
                       details={"request": req.id, "reason": reason})
    return req


async def complete(stores: Stores, request_id: str, actor: Actor, *, key: bytes,
                   redis: Any = None) -> DataRequest:
    """Do what the request asks, then close it with a record of what was done."""
    async with unit_of_work(stores) as uow:
        req = await get(uow.global_, request_id)
        if req.status != "open":
            raise Conflict("only a verified, open request can be completed "
                           f"(this one is {req.status})", code="request_state")
        kind, subject, region = req.kind, req.subject_id, req.region
    outcome: dict[str, Any] = {}
    if kind == "access":
        from chuhai.privacy.export import export_subject

        result = await export_subject(stores, subject, actor=actor)
        folder = export_dir(stores.settings)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{request_id}.zip"
        path.write_bytes(result.data)
        outcome = {"export": path.name, "sha256": hashlib.sha256(result.data).hexdigest(),
                   "bytes": len(result.data), "rows": sum(result.counts.values())}
    elif kind == "erasure":
        from chuhai.privacy.erasure import erase_subject

        erased = await erase_subject(stores, subject, key, actor=actor, redis=redis)
        outcome = {"pseudonym": erased.pseudonym, "changes": dict(erased.counts)}
    else:
        async with unit_of_work(stores) as uow:
            if kind == "rectification":
                outcome = await _rectify(uow, req.id, subject, region, actor)
            else:
                customer = await uow.region(region).get(Customer, subject)
                if customer is None:
                    raise NotFound("customer", subject, code="subject_not_found")
                await consent.decide(uow, subject_id=subject, region=region,
                                     country=customer.home_country,
                                     choices={"sale_share": False}, source="request",
                                     policy_version=stores.settings.privacy_policy_version,
                                     actor=actor.subject_id)
                outcome = {"sale_share": "refused"}
            await uow.commit()
    async with unit_of_work(stores) as uow:
        req = await get(uow.global_, request_id)
        now = utcnow()
        if kind == "erasure":  # the queue keeps the request, but no longer names the person
            req.subject_id = outcome["pseudonym"]
        req.status, req.completed_at, req.outcome = "completed", now, outcome
        await _drop_forwarded(uow, req)
        await audit.append(uow.global_, actor=actor.subject_id, org_id=actor.org_id,
                           action="dsr.complete", subject=req.subject_id, region=region,
                           details={"request": req.id, "kind": kind,
                                    "on_time": now <= req.due_at})
        await uow.commit()
        return req


async def _drop_forwarded(uow: UnitOfWork, req: DataRequest) -> None:
    """A closed request no longer needs the buyer's words a seller forwarded."""
    from chuhai.privacy.forwarding import drop_message

    await drop_message(uow, req)


async def _rectify(uow: UnitOfWork, request_id: str, subject: str, region: str,
                   actor: Actor) -> dict[str, Any]:
    detail = await uow.region(region).get(DataRequestDetail, request_id)
    customer = await uow.region(region).get(Customer, subject)
    if detail is None or customer is None:
        raise NotFound("request details", request_id, code="request_not_found")
    for field, value in detail.changes.items():
        setattr(customer, field, value)
    fields = sorted(detail.changes)
    await uow.region(region).delete(detail)
    await audit.append(uow.global_, actor=actor.subject_id, org_id=actor.org_id,
                       action="dsr.rectify", subject=subject, region=region,
                       details={"request": request_id, "fields": fields})
    return {"corrected": fields}


@dataclass(frozen=True)
class QueueItem:
    request: DataRequest
    state: str  # overdue | due_soon | on_track | done
    days_left: float | None

    def as_dict(self) -> dict[str, Any]:
        r = self.request
        return {"id": r.id, "subject": r.subject_id, "kind": r.kind, "status": r.status,
                "market": r.market, "regime": r.regime, "channel": r.channel,
                "received_at": r.received_at.isoformat(),
                "verified_at": r.verified_at.isoformat() if r.verified_at else None,
                "due_at": r.due_at.isoformat(), "extended": r.extended,
                "extension_until": r.extension_until.isoformat()
                if r.extension_until and not r.extended else None,
                "completed_at": r.completed_at.isoformat() if r.completed_at else None,
                "state": self.state, "days_left": self.days_left, "outcome": r.outcome,
                "rules": r.rule_ids}


def classify(req: DataRequest, now: dt.datetime) -> QueueItem:
    if req.status not in OPEN:
        return QueueItem(req, "done", None)
    left = req.due_at - now
    days = round(left.total_seconds() / 86400, 1)
    if left < dt.timedelta(0):
        return QueueItem(req, "overdue", days)
    return QueueItem(req, "due_soon" if left <= DUE_SOON else "on_track", days)


async def queue(session: AsyncSession, *, include_done: bool = False, limit: int = 500,
                now: dt.datetime | None = None) -> list[QueueItem]:
    """Open requests, soonest deadline first (then, if asked, the finished ones)."""
    now = now or utcnow()
    q = select(DataRequest).order_by(DataRequest.due_at).limit(limit)
    if not include_done:
        q = q.where(DataRequest.status.in_(OPEN))
    return [classify(r, now) for r in (await session.scalars(q)).all()]


async def for_subject(session: AsyncSession, subject_id: str) -> list[DataRequest]:
    return list((await session.scalars(select(DataRequest).where(
        DataRequest.subject_id == subject_id).order_by(DataRequest.received_at.desc())
        .limit(50))).all())
