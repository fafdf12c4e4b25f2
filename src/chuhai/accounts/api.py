"""Account routes: who am I, staff, API tokens, customer sign-up."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from chuhai.accounts import service
from chuhai.accounts.models import Org
from chuhai.accounts.schemas import (
    CustomerCreate,
    CustomerOut,
    GuestOut,
    Me,
    OrgOut,
    OrgPatch,
    StaffCreate,
    StaffOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
)
from chuhai.core.actor import Role
from chuhai.core.guest import GUEST_COOKIE, issue_guest_id, read_guest_id
from chuhai.web.deps import CurrentActor, UoW, accounts, client_ip, limit, set_cookie

router = APIRouter(prefix="/api", tags=["accounts"])


@router.get("/me", response_model=Me)
async def me(actor: CurrentActor) -> Me:
    return Me(subject_id=actor.subject_id, kind=actor.kind.value, org_id=actor.org_id,
              role=actor.role, region=actor.region)


@router.get("/org", response_model=OrgOut)
async def get_org(uow: UoW, actor: CurrentActor) -> OrgOut:
    """The caller's org, with the tax registrations checkout relies on."""
    return _org_out(await service.get_org(uow.global_, actor))


@router.patch("/org", response_model=OrgOut)
async def patch_org(body: OrgPatch, uow: UoW, actor: CurrentActor) -> OrgOut:
    """Set the tax registrations (EU_IOSS, UK_VAT, AU_GST, SG_OVR, MY_LVG, BR_RC)."""
    org = await service.set_registrations(uow.global_, actor, list(body.registrations))
    return _org_out(org)


def _org_out(org: Org) -> OrgOut:
    return OrgOut(id=org.id, slug=org.slug, name=org.name, home_country=org.home_country,
                  registrations=list(org.registrations or []))


@router.post("/guest", response_model=GuestOut)
async def guest(request: Request, response: Response) -> GuestOut:
    """An anonymous viewer's id: kept if the signed cookie is valid, issued otherwise."""
    key = request.app.state.signing_key
    gid = read_guest_id(key, request.cookies.get(GUEST_COOKIE))
    if gid is None:
        gid, signed = issue_guest_id(key)
        set_cookie(response, request, GUEST_COOKIE, signed, max_age=365 * 24 * 3600)
    return GuestOut(guest_id=gid)


@router.get("/staff", response_model=list[StaffOut])
async def list_staff(request: Request, uow: UoW, actor: CurrentActor) -> list[StaffOut]:
    rows = await accounts(request, uow).list_staff(actor)
    return [StaffOut(id=s.id, email=p.email, display_name=p.display_name,
                     role=Role(s.role or "host"), active=s.active) for s, p in rows]


@router.post("/staff", response_model=StaffOut, status_code=201)
async def create_staff(body: StaffCreate, request: Request, uow: UoW,
                       actor: CurrentActor) -> StaffOut:
    s, p = await accounts(request, uow).create_staff(actor, body.email, body.display_name,
                                                     body.password, body.role)
    return StaffOut(id=s.id, email=p.email, display_name=p.display_name, role=body.role,
                    active=s.active)


def _token_out(t: object) -> TokenOut:
    return TokenOut.model_validate(t, from_attributes=True)


@router.get("/tokens", response_model=list[TokenOut])
async def list_tokens(request: Request, uow: UoW, actor: CurrentActor) -> list[TokenOut]:
    return [_token_out(t) for t in await accounts(request, uow).list_tokens(actor)]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
async def create_token(body: TokenCreate, request: Request, uow: UoW,
                       actor: CurrentActor) -> TokenCreated:
    tok, raw = await accounts(request, uow).create_token(actor, body.name)
    return TokenCreated(**_token_out(tok).model_dump(), token=raw)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
async def revoke_token(token_id: str, request: Request, uow: UoW,
                       actor: CurrentActor) -> TokenOut:
    return _token_out(await accounts(request, uow).revoke_token(actor, token_id[:40]))


@router.post("/customers", response_model=CustomerOut, status_code=201)
async def sign_up_customer(body: CustomerCreate, request: Request, uow: UoW) -> CustomerOut:
    """A buyer signs up; their data is written to their home region's store only."""
    await limit(request, f"signup:{client_ip(request)}", 20, 3600)
    c = await accounts(request, uow).create_customer(
        body.email, body.display_name, body.home_country, body.preferred_language,
        body.password)
    return CustomerOut(id=c.id, region=c.region, display_name=c.display_name,
                       home_country=c.home_country, preferred_language=c.preferred_language)


@router.get("/customers/{customer_id}", response_model=CustomerOut)
async def get_customer(customer_id: str, request: Request, uow: UoW,
                       actor: CurrentActor) -> CustomerOut:
    c = await accounts(request, uow).get_customer(actor, customer_id[:40])
    return CustomerOut(id=c.id, region=c.region, display_name=c.display_name,
                       home_country=c.home_country, preferred_language=c.preferred_language)
