"""Routes: register webhook endpoints, see deliveries with their attempts, retry one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from chuhai.core.ids import SerialId
from chuhai.core.text import SafeModel
from chuhai.web.deps import CurrentActor, UoW
from chuhai.webhooks import service
from chuhai.webhooks.models import WebhookDelivery, WebhookEndpoint

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


class EndpointIn(SafeModel):
    url: str = Field(min_length=8, max_length=500)
    events: list[str] = Field(default_factory=lambda: ["*"], min_length=1, max_length=40)


class EndpointOut(BaseModel):
    id: str
    url: str
    events: list[str]
    active: bool
    secret: str | None = Field(None, description="Shown once, when the endpoint is created")


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    history: list[dict[str, Any]]


def _ep(e: WebhookEndpoint, secret: bool = False) -> EndpointOut:
    return EndpointOut(id=e.id, url=e.url, events=e.events, active=e.active,
                       secret=e.secret if secret else None)


def delivery_out(d: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(id=d.id, endpoint_id=d.endpoint_id, event_id=d.event_id,
                       event_type=d.event_type, status=d.status, attempts=d.attempts,
                       next_attempt_at=d.next_attempt_at, delivered_at=d.delivered_at,
                       history=d.history)


@router.post("", response_model=EndpointOut, status_code=201)
async def create(body: EndpointIn, uow: UoW, actor: CurrentActor) -> EndpointOut:
    """Register a URL for order and drop events; keep the returned secret to verify the
    ``Chuhai-Signature`` header (see docs/api.md)."""
    return _ep(await service.create_endpoint(uow, actor, body.url, body.events), secret=True)


@router.get("", response_model=list[EndpointOut])
async def list_(uow: UoW, actor: CurrentActor) -> list[EndpointOut]:
    return [_ep(e) for e in await service.list_endpoints(uow, actor)]


@router.delete("/{endpoint_id}", status_code=204)
async def delete(endpoint_id: str, uow: UoW, actor: CurrentActor) -> Response:
    await service.delete_endpoint(uow, actor, endpoint_id[:40])
    return Response(status_code=204)


@router.get("/deliveries", response_model=list[DeliveryOut])
async def deliveries(uow: UoW, actor: CurrentActor) -> list[DeliveryOut]:
    return [delivery_out(d) for d in await service.list_deliveries(uow, actor)]


@router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryOut)
async def retry(delivery_id: SerialId, uow: UoW, actor: CurrentActor) -> DeliveryOut:
    return delivery_out(await service.redeliver(uow, actor, delivery_id))
