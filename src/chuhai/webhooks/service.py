"""Webhooks: endpoints, the dispatcher (outbox → deliveries) and the deliverer.

Dispatch writes deliveries into the global store first and marks the outbox event
dispatched second; a crash between the two only repeats an insert the unique
(endpoint, event) key ignores. A delivery is claimed by moving its ``next_attempt_at``
forward with a conditional UPDATE, so two nodes never send the same attempt.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import secrets
import socket
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update

from chuhai.core.actor import Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.db import GLOBAL, Stores, UnitOfWork
from chuhai.core.errors import InvalidInput, NotFound
from chuhai.core.ids import new_id
from chuhai.core.outbox import GlobalOutbox, RegionalOutbox
from chuhai.core.sql import insert_for
from chuhai.webhooks import signing
from chuhai.webhooks.models import WebhookDelivery, WebhookEndpoint

EVENT_TYPES = frozenset({
    "order.created", "order.paid", "order.allocated", "order.shipped", "order.delivered",
    "order.cancelled", "order.refunded", "order.returned",
    "drop.scheduled", "drop.started", "drop.ended", "drop.sold_out",
    "auction.started", "auction.won", "auction.unsold",
    "room.sellout_risk",  # a pinned SKU likely to sell out before the room's planned end
})
LEASE_S = 60
TIMEOUT_S = 10.0
HISTORY_KEEP = 20


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("the URL must be http(s)://host/…", code="invalid_webhook_url")


async def create_endpoint(uow: UnitOfWork, actor: Actor, url: str, events: list[str]
                          ) -> WebhookEndpoint:
    actor.require(Perm.SELLING)
    _check_url(url)
    unknown = [e for e in events if e != "*" and e not in EVENT_TYPES]
    if unknown or not events:
        raise InvalidInput(f"unknown event type(s): {', '.join(unknown) or '(none given)'}",
                           code="unknown_event_type")
    ep = WebhookEndpoint(id=new_id("whe"), org_id=actor.org(), url=url,
                         secret="whsec_" + secrets.token_urlsafe(24), events=sorted(set(events)))
    uow.global_.add(ep)
    await uow.global_.flush()
    return ep


async def list_endpoints(uow: UnitOfWork, actor: Actor) -> list[WebhookEndpoint]:
    actor.require(Perm.SELLING)
    return list((await uow.global_.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.org_id == actor.org()).order_by(WebhookEndpoint.created_at))).all())


async def delete_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: str) -> None:
    actor.require(Perm.SELLING)
    ep = await uow.global_.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.org_id == actor.org()))
    if ep is None:
        raise NotFound("webhook endpoint", endpoint_id, code="webhook_endpoint_not_found")
    await uow.global_.delete(ep)


async def list_deliveries(uow: UnitOfWork, actor: Actor, limit: int = 100
                          ) -> list[WebhookDelivery]:
    actor.require(Perm.SELLING)
    return list((await uow.global_.scalars(select(WebhookDelivery).where(
        WebhookDelivery.org_id == actor.org()).order_by(WebhookDelivery.id.desc())
        .limit(limit))).all())


async def dispatch(stores: Stores) -> int:
    """Turn undispatched outbox events of every store into deliveries; the count made."""
    made = 0
    for store in stores.specs:
        table = GlobalOutbox if store == GLOBAL else RegionalOutbox
        async with stores.session(store) as s:
            events = list((await s.scalars(select(table).where(
                table.dispatched.is_(False)).order_by(table.id).limit(200))).all())
        if not events:
            continue
        async with stores.session() as g:
            orgs = {e.org_id for e in events}
            endpoints = list((await g.scalars(select(WebhookEndpoint).where(
                WebhookEndpoint.org_id.in_(orgs), WebhookEndpoint.active.is_(True)))).all())
            for ev in events:
                for ep in endpoints:
                    if ep.org_id == ev.org_id and ("*" in ep.events or ev.type in ep.events):
                        await g.execute(insert_for(g, WebhookDelivery.__table__).values(
                            endpoint_id=ep.id, org_id=ev.org_id, event_id=ev.event_id,
                            event_type=ev.type, payload=ev.payload, status="pending",
                            attempts=0, next_attempt_at=utcnow(), history=[],
                            created_at=utcnow()).on_conflict_do_nothing())
                        made += 1
            await g.commit()
        async with stores.session(store) as s:
            await s.execute(update(table).where(table.id.in_([e.id for e in events])).values(
                dispatched=True).execution_options(synchronize_session=False))
            await s.commit()
    return made


def _private(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            return True
    return False


async def deliver_due(stores: Stores, client: httpx.AsyncClient, *,
                      allow_private: bool = False, now: datetime | None = None) -> int:
    """Send every delivery whose time has come; the number attempted."""
    now = now or utcnow()
    async with stores.session() as s:
        due = list((await s.execute(select(WebhookDelivery, WebhookEndpoint).join(
            WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id).where(
            WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at).limit(50))).all())
    if not due:
        return 0
    claimed = []
    async with stores.session() as s:  # claim first, so two nodes never send one attempt
        for d, ep in due:
            won = await s.execute(update(WebhookDelivery).where(
                WebhookDelivery.id == d.id, WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at == d.next_attempt_at).values(
                next_attempt_at=now + timedelta(seconds=LEASE_S)).execution_options(
                synchronize_session=False))
            if getattr(won, "rowcount", 0) == 1:
                claimed.append((d, ep))
        await s.commit()
    results = await asyncio.gather(*(_send(client, d, ep, allow_private)
                                     for d, ep in claimed))
    async with stores.session() as s:
        for (d, _ep), attempt in zip(claimed, results, strict=True):
            await s.execute(update(WebhookDelivery).where(WebhookDelivery.id == d.id)
                            .values(**_after(d, attempt)).execution_options(
                                synchronize_session=False))
        await s.commit()
    return len(claimed)


async def _send(client: httpx.AsyncClient, d: WebhookDelivery, ep: WebhookEndpoint,
                allow_private: bool) -> dict[str, Any]:
    """One POST; the attempt as the console shows it."""
    body = json.dumps(d.payload, separators=(",", ":"), sort_keys=True).encode()
    started = time.perf_counter()
    code: int | None = None
    error = ""
    host = urlsplit(ep.url).hostname or ""
    if not allow_private and await asyncio.to_thread(_private, host):
        error = "refused: the endpoint resolves to a private address"
    else:
        try:
            resp = await client.post(ep.url, content=body, timeout=TIMEOUT_S, headers={
                "content-type": "application/json",
                signing.HEADER: signing.sign(ep.secret, body),
                "Chuhai-Event-Id": d.event_id, "Chuhai-Event-Type": d.event_type,
                "user-agent": "chuhai-webhooks/1"})
            code = resp.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
    ms = int((time.perf_counter() - started) * 1000)
    return {"at": utcnow().isoformat(), "status": code, "ms": ms, "error": error}


def _after(d: WebhookDelivery, attempt: dict[str, Any]) -> dict[str, Any]:
    history = [*d.history, attempt][-HISTORY_KEEP:]
    values: dict[str, Any] = {"attempts": d.attempts + 1, "history": history}
    if not attempt["error"]:
        values.update(status="delivered", delivered_at=utcnow())
    else:
        delay = signing.next_delay(d.attempts + 1)
        if delay is None:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
    return values


async def redeliver(uow: UnitOfWork, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Queue a failed (or delivered) delivery again now — the console's "retry" button."""
    actor.require(Perm.SELLING)
    d = await uow.global_.scalar(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.org_id == actor.org()))
    if d is None:
        raise NotFound("webhook delivery", delivery_id, code="webhook_delivery_not_found")
    d.status = "pending"
    d.next_attempt_at = utcnow()
    await uow.global_.flush()
    return d
