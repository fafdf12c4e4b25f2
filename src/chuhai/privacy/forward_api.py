"""A seller's staff forward a buyer's data-subject request to the platform, and see
whether their forwards are open or closed (privacy/forwarding.py says why no more)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, Field

from chuhai.core.text import NonEmptyText, SafeModel
from chuhai.privacy import forwarding
from chuhai.web.deps import CurrentActor, UoW, limit

router = APIRouter(prefix="/api/privacy/forwarded", tags=["privacy"])


class ForwardIn(SafeModel):
    buyer: Annotated[NonEmptyText, Field(max_length=254, description="The buyer's id "
                                         "(cus_…) or the e-mail address of their account")]
    kind: str = Field(pattern=r"^(access|erasure|opt_out)$")
    text: Annotated[NonEmptyText, Field(max_length=2000, description="What the buyer "
                                        "wrote or said, as received")]
    received_via: str = Field(pattern=r"^(chat|email|phone|letter|other)$")
    received_at: AwareDatetime | None = Field(
        None, description="When the buyer asked (the deadline runs from then); default now")


class ForwardedOut(BaseModel):
    id: str
    kind: str
    received_at: str
    state: str = Field(description="open | closed")


@router.post("", status_code=201, response_model=ForwardedOut)
async def forward(body: ForwardIn, request: Request, uow: UoW,
                  actor: CurrentActor) -> dict[str, Any]:
    """Hand a buyer's request on to the platform's privacy office, which verifies the
    buyer and answers within the law's deadline."""
    # Each forward looks a buyer up by e-mail: bounded, so it is no way to probe addresses.
    await limit(request, f"privacy:forward:{actor.org()}", 30, 3600)
    req = await forwarding.forward(uow, actor, key=request.app.state.signing_key,
                                   buyer=body.buyer, kind=body.kind, text=body.text,
                                   received_via=body.received_via,
                                   received_at=body.received_at)
    await uow.commit()
    return forwarding.Forwarded(req.id, req.kind, req.received_at, True).as_dict()


@router.get("", response_model=list[ForwardedOut])
async def my_forwards(uow: UoW, actor: CurrentActor) -> list[dict[str, Any]]:
    """This org's forwards, newest first."""
    return [f.as_dict() for f in await forwarding.forwarded_by(uow, actor)]
