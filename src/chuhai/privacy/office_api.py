"""The privacy officer's API: the request queue, consent statistics, the transfer register,
the audit log with its verification. Every route needs ``privacy:manage``, which only the
platform's own staff hold (core.actor.PLATFORM_PERMS): a seller's owner or privacy officer
is refused with ``platform_only``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy import select

from chuhai.accounts.models import Subject
from chuhai.core.actor import Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.errors import NotFound
from chuhai.core.text import NonEmptyText, SafeModel
from chuhai.privacy import audit, forwarding, requests, stats, transfers
from chuhai.privacy.schemas import (
    AuditLogOut,
    ConsentStatOut,
    DataRequestOut,
    ForwardedMessageOut,
    TransfersOut,
)
from chuhai.web.deps import CurrentActor, UoW

router = APIRouter(prefix="/api/privacy/office", tags=["privacy office"])


class OfficeRequestIn(SafeModel):
    subject_id: str = Field(min_length=4, max_length=40)
    kind: str = Field(pattern=r"^(access|erasure|rectification|opt_out)$")
    verification: str | None = Field(None, max_length=60, description="How identity was "
                                     "checked (e.g. 'signed letter + ID'); omit to verify "
                                     "later.")
    changes: dict[str, str] | None = Field(None, max_length=4)


class Reason(SafeModel):
    reason: Annotated[NonEmptyText, Field(max_length=300)]


class Method(SafeModel):
    method: Annotated[NonEmptyText, Field(max_length=60)]


def _officer(actor: Actor) -> Actor:
    actor.require(Perm.PRIVACY_MANAGE)
    return actor


@router.get("/requests", response_model=list[DataRequestOut])
async def list_requests(uow: UoW, actor: CurrentActor,
                        done: bool = False) -> list[dict[str, Any]]:
    """Open requests, soonest deadline first; ``state`` is overdue, due_soon or on_track.
    ``done=true`` adds the completed and rejected ones with their outcome."""
    _officer(actor)
    return [i.as_dict() for i in await requests.queue(uow.global_, include_done=done)]


@router.post("/requests", status_code=201, response_model=DataRequestOut)
async def open_request(body: OfficeRequestIn, uow: UoW, actor: CurrentActor) -> dict[str, Any]:
    """Enter a request received by letter, e-mail or phone."""
    _officer(actor)
    req = await requests.open_request(uow, subject_id=body.subject_id, kind=body.kind,
                                      channel="staff", created_by=actor.subject_id,
                                      verification=body.verification, changes=body.changes)
    await uow.commit()
    return requests.classify(req, utcnow()).as_dict()


@router.post("/requests/{request_id}/verify", response_model=DataRequestOut)
async def verify_request(request_id: str, body: Method, uow: UoW,
                         actor: CurrentActor) -> dict[str, Any]:
    req = await requests.verify(uow, request_id, _officer(actor), body.method)
    await uow.commit()
    return requests.classify(req, utcnow()).as_dict()


@router.post("/requests/{request_id}/extend", response_model=DataRequestOut)
async def extend_request(request_id: str, body: Reason, uow: UoW,
                         actor: CurrentActor) -> dict[str, Any]:
    req = await requests.extend(uow, request_id, _officer(actor), body.reason)
    await uow.commit()
    return requests.classify(req, utcnow()).as_dict()


@router.post("/requests/{request_id}/reject", response_model=DataRequestOut)
async def reject_request(request_id: str, body: Reason, uow: UoW,
                         actor: CurrentActor) -> dict[str, Any]:
    req = await requests.reject(uow, request_id, _officer(actor), body.reason)
    await uow.commit()
    return requests.classify(req, utcnow()).as_dict()


@router.post("/requests/{request_id}/complete", response_model=DataRequestOut)
async def complete_request(request_id: str, request: Request, uow: UoW,
                           actor: CurrentActor) -> dict[str, Any]:
    """Do the work (export, erase, correct, opt out) and close the request."""
    _officer(actor)
    await uow.commit()
    app = request.app.state
    req = await requests.complete(app.stores, request_id, actor, key=app.signing_key,
                                  redis=app.redis)
    return requests.classify(req, utcnow()).as_dict()


@router.get("/requests/{request_id}/message", response_model=ForwardedMessageOut)
async def forwarded_message(request_id: str, uow: UoW, actor: CurrentActor) -> dict[str, Any]:
    """What the buyer wrote to the seller who forwarded the request (``channel`` seller),
    to verify and answer it; gone once the request is closed."""
    _officer(actor)
    req = await requests.get(uow.global_, request_id)
    msg = await forwarding.message(uow, req)
    if msg is None:
        raise NotFound("forwarded message", request_id, code="message_not_found")
    org = await uow.global_.scalar(select(Subject.org_id).where(Subject.id == req.created_by))
    return {"request": req.id, "received_via": msg.received_via, "text": msg.text,
            "forwarded_at": msg.at.isoformat(), "forwarded_by_org": org}


@router.get("/consent-stats", response_model=list[ConsentStatOut])
async def consent_statistics(request: Request, actor: CurrentActor) -> list[dict[str, Any]]:
    """Per market and purpose: people whose latest decision grants or refuses it."""
    _officer(actor)
    return stats.rates(await stats.consent_stats(request.app.state.stores))


@router.get("/transfers", response_model=TransfersOut)
async def transfer_register(uow: UoW, actor: CurrentActor,
                            year: Annotated[int | None, Query(ge=2000, le=2100)] = None
                            ) -> dict[str, Any]:
    """Flows between regions seen, with people per year, mechanisms and threshold alerts;
    ``mechanisms`` lists every rule in the register."""
    _officer(actor)
    rows = await transfers.register(uow.global_, year=year)
    return {"flows": [r.as_dict() for r in rows],
            "mechanisms": [{"rule": f.id, "regime": f.regime, "to_region": f.to_region,
                            "mechanism": f.mechanism, "detail": f.detail,
                            "sources": list(f.sources), "confidence": f.confidence,
                            "effective_from": f.effective_from.isoformat()}
                           for f in transfers.catalogue()]}


@router.get("/audit", response_model=AuditLogOut)
async def audit_log(uow: UoW, actor: CurrentActor,
                    size: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """The chain's verification and its latest entries."""
    _officer(actor)
    entries, head = await audit.read_chain(uow.global_)
    result = audit.verify(entries, head)
    return {"verification": result.as_dict(),
            "entries": [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor,
                         "action": e.action, "subject": e.subject, "region": e.region,
                         "details": e.details, "hash": e.hash}
                        for e in reversed(entries[-size:])]}
