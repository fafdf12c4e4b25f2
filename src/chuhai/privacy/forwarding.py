"""A seller hands a buyer's data-subject request on to the platform.

Buyers ask whoever they talk to: a host in chat, a seller by e-mail. The seller is not the
one who answers — the buyer's account and data are the platform's — so the seller forwards
what it received (the buyer, what they asked, through which channel) and the platform's
privacy office verifies and completes it. The seller learns only that its forward is open
or closed: never the outcome, the deadline or anything else about the buyer.

The deadline runs from the day the seller received the request, since the buyer asked
then; forwarding late does not buy the platform time (the seller says when it came in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from chuhai.accounts.models import Subject
from chuhai.accounts.service import normalize_email
from chuhai.core.actor import Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import InvalidInput, NotFound
from chuhai.core.secrets_store import keyed_hash
from chuhai.privacy import audit, requests
from chuhai.privacy.models import DataRequest, ForwardedMessage

FORWARDABLE = ("access", "erasure", "opt_out")
CHANNELS = ("chat", "email", "phone", "letter", "other")
CHANNEL = "seller"  # DataRequest.channel of a forwarded request
MAX_AGE = dt.timedelta(days=30)


@dataclass(frozen=True)
class Forwarded:
    """What the forwarding seller may see of its forward."""

    id: str
    kind: str
    received_at: dt.datetime
    open: bool

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "received_at": self.received_at.isoformat(),
                "state": "open" if self.open else "closed"}


async def _buyer(uow: UnitOfWork, key: bytes, buyer: str) -> Subject:
    """The buyer by id (``cus_…``) or by e-mail (through the keyed look-up hash, so the
    global store never holds the address)."""
    buyer = buyer.strip()
    if "@" in buyer:
        subject = await uow.global_.scalar(select(Subject).where(
            Subject.login_key == keyed_hash(key, "login", normalize_email(buyer))))
    else:
        subject = await uow.global_.get(Subject, buyer[:40])
    if subject is None or subject.kind != "customer":
        raise NotFound("buyer", None, code="subject_not_found",
                       message="no buyer has this id or e-mail address; ask them to write to "
                       "the platform's privacy office themselves")
    return subject


async def forward(uow: UnitOfWork, actor: Actor, *, key: bytes, buyer: str, kind: str,
                  text: str, received_via: str, received_at: dt.datetime | None = None,
                  now: dt.datetime | None = None) -> DataRequest:
    actor.require(Perm.PRIVACY_FORWARD)
    org_id = actor.org()
    now = now or utcnow()
    if kind not in FORWARDABLE:
        raise InvalidInput(f"a forwarded request is one of {', '.join(FORWARDABLE)} (a "
                           "correction the buyer makes in their account settings)",
                           code="bad_request_kind")
    if received_via not in CHANNELS:
        raise InvalidInput(f"received_via is one of {', '.join(CHANNELS)}",
                           code="bad_channel")
    received = received_at or now
    if received > now or received < now - MAX_AGE:
        raise InvalidInput("received_at is within the last 30 days and not in the future",
                           code="bad_received_at")
    subject = await _buyer(uow, key, buyer)
    req = await requests.open_request(uow, subject_id=subject.id, kind=kind, channel=CHANNEL,
                                      created_by=actor.subject_id, now=received)
    uow.region(subject.region).add(ForwardedMessage(
        request_id=req.id, subject_id=subject.id, received_via=received_via, text=text,
        at=now))
    await audit.append(uow.global_, actor=actor.subject_id, org_id=org_id,
                       action="dsr.forward", subject=subject.id, region=subject.region,
                       details={"request": req.id, "kind": kind, "via": received_via})
    return req


async def forwarded_by(uow: UnitOfWork, actor: Actor, *, limit: int = 200) -> list[Forwarded]:
    """The org's own forwards, newest first: open or closed, nothing more."""
    actor.require(Perm.PRIVACY_FORWARD)
    staff = select(Subject.id).where(Subject.org_id == actor.org())
    rows = (await uow.global_.scalars(
        select(DataRequest).where(DataRequest.channel == CHANNEL,
                                  DataRequest.created_by.in_(staff))
        .order_by(DataRequest.received_at.desc()).limit(limit))).all()
    return [Forwarded(r.id, r.kind, r.received_at, r.status in requests.OPEN) for r in rows]


async def message(uow: UnitOfWork, req: DataRequest) -> ForwardedMessage | None:
    """The buyer's words, for the platform's officer."""
    return await uow.region(req.region).get(ForwardedMessage, req.id)


async def drop_message(uow: UnitOfWork, req: DataRequest) -> None:
    """Once a request closes, the forwarded text has served its purpose."""
    row = await uow.region(req.region).get(ForwardedMessage, req.id)
    if row is not None:
        await uow.region(req.region).delete(row)
