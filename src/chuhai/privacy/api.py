"""Privacy routes for the people whose data it is: their consent and their requests.
Staff routes (the request queue, the registers) are in ``privacy/office_api.py``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from chuhai.accounts.models import Customer
from chuhai.core.clock import utcnow
from chuhai.core.errors import Conflict, NotFound, Unauthenticated
from chuhai.core.guest import GUEST_COOKIE, issue_guest_id
from chuhai.core.passwords import verify_password_async
from chuhai.markets.profiles import get_profile
from chuhai.privacy import consent, requests
from chuhai.privacy.export import export_dir
from chuhai.privacy.notice import texts
from chuhai.privacy.schemas import (
    ConsentBannerOut,
    ConsentIn,
    ConsentOut,
    ConsentRecordOut,
    DataRequestOut,
    RequestIn,
)
from chuhai.web.deps import UoW, admit_sign_in, client_ip, limit, password_confirmed, set_cookie
from chuhai.web.people import Person, identify, signed_in_customer

router = APIRouter(prefix="/api/privacy", tags=["privacy"])


async def _person(request: Request, response: Response, uow: UoW, market: str | None,
                  write: bool = False) -> Person:
    """The person, with a guest id issued on first contact so their choice can be kept."""
    person = await identify(request, uow, market, write=write)
    if person.subject_id is None:
        gid, signed = issue_guest_id(request.app.state.signing_key)
        set_cookie(response, request, GUEST_COOKIE, signed, max_age=365 * 24 * 3600)
        person = Person(gid, _region(person.country), person.country, "guest",
                        person.language)
    return person


def _region(country: str) -> str:
    profile = get_profile(country)
    assert profile is not None  # identify() already refused an unknown market
    return profile.region_store


@router.get("/consent", response_model=ConsentBannerOut)
async def get_consent(request: Request, response: Response, uow: UoW,
                      market: str | None = None, lang: str | None = None) -> dict[str, Any]:
    """Your consent per purpose, with why (the basis and rule ids) and the banner's words
    in ``lang``. A ``Sec-GPC: 1`` header is recorded as a refusal of sale/share."""
    person = await _person(request, response, uow, market)
    assert person.subject_id is not None and person.region is not None
    version = request.app.state.settings.privacy_policy_version
    found = await consent.state(uow, subject_id=person.subject_id, region=person.region,
                                country=person.country, gpc=consent.gpc_signal(request.headers),
                                policy_version=version)
    await uow.commit()
    used, words = texts(lang or person.language)
    return {**found.as_dict(), "gpc": consent.gpc_signal(request.headers),
            "ask_age": consent.age_to_ask(found), "lang": used, "text": words}



@router.post("/consent", response_model=ConsentOut)
async def post_consent(body: ConsentIn, request: Request, response: Response,
                       uow: UoW) -> dict[str, Any]:
    """Record your choices (purpose → true/false). ``necessary`` cannot be refused; a
    purpose your age locks cannot be granted here (code ``age_gate``)."""
    await limit(request, f"consent:{client_ip(request)}", 30, 60)
    person = await _person(request, response, uow, body.market, write=True)
    assert person.subject_id is not None and person.region is not None
    found = await consent.decide(
        uow, subject_id=person.subject_id, region=person.region, country=person.country,
        choices=body.choices, source=body.source, age=body.age,
        policy_version=request.app.state.settings.privacy_policy_version)
    await uow.commit()
    return found.as_dict()


@router.get("/consent/history", response_model=list[ConsentRecordOut])
async def consent_history(request: Request, response: Response, uow: UoW,
                          market: str | None = None) -> list[dict[str, Any]]:
    """Every decision you made, oldest first, as the ledger holds it."""
    person = await _person(request, response, uow, market)
    assert person.subject_id is not None and person.region is not None
    rows = await consent.history(uow, person.region, person.subject_id)
    return [{"purpose": r.purpose, "granted": r.granted, "source": r.source,
             "policy_version": r.policy_version, "at": r.at.isoformat(),
             "rules": r.rule_ids} for r in rows]


async def _customer(request: Request, uow: UoW, *, write: bool = False) -> Person:
    person = await signed_in_customer(request, uow, write=write)
    if person is None:
        raise Unauthenticated("sign in to your account to make a data request",
                              code="account_required")
    return person


@router.post("/requests", status_code=201, response_model=DataRequestOut)
async def post_request(body: RequestIn, request: Request, uow: UoW) -> dict[str, Any]:
    """Ask for a copy of your data (``access``), its ``erasure``, a ``rectification`` or an
    ``opt_out`` of sale/share. With your password the request is verified at once;
    without it, the privacy officer verifies you before the work starts."""
    await limit(request, f"dsr:{client_ip(request)}", 10, 3600)
    person = await _customer(request, uow, write=True)
    assert person.subject_id is not None and person.region is not None
    verification = None
    if body.password is not None:
        customer = await uow.region(person.region).get(Customer, person.subject_id)
        hashed = customer.password_hash if customer else None
        # A password check like sign-in's, so the same per-account throttle: a stolen
        # session is no way round sign-in's limits to guess the password.
        attempt = await admit_sign_in(request, customer.email if customer else "")
        if not hashed or not await verify_password_async(body.password, hashed):
            raise Unauthenticated("the password is not right", code="bad_password")
        await password_confirmed(request, attempt)
        verification = "reauthenticated"
    req = await requests.open_request(uow, subject_id=person.subject_id, kind=body.kind,
                                      channel="self_service", created_by=person.subject_id,
                                      verification=verification, changes=body.changes)
    await uow.commit()
    return requests.classify(req, utcnow()).as_dict()


@router.get("/requests", response_model=list[DataRequestOut])
async def my_requests(request: Request, uow: UoW) -> list[dict[str, Any]]:
    """Your requests, newest first, with their deadlines and what was done."""
    person = await _customer(request, uow)
    assert person.subject_id is not None
    now = utcnow()
    return [requests.classify(r, now).as_dict()
            for r in await requests.for_subject(uow.global_, person.subject_id)]


@router.get("/requests/{request_id}/export", response_class=Response, responses={
    200: {"description": "The ZIP file", "content": {"application/zip": {
        "schema": {"type": "string", "format": "binary"}}}},
    409: {"description": "No export is ready for this request (`export_not_ready`)"}})
async def my_export(request_id: str, request: Request, uow: UoW) -> Response:
    """The ZIP of a completed access request (JSON and CSV of every store)."""
    person = await _customer(request, uow)
    req = await requests.get(uow.global_, request_id)
    if req.subject_id != person.subject_id:  # not yours: as if it did not exist
        raise NotFound("request", request_id, code="request_not_found")
    name = (req.outcome or {}).get("export")
    path = export_dir(request.app.state.settings) / str(name)
    if req.kind != "access" or req.status != "completed" or not name or not path.is_file():
        raise Conflict("no export is ready for this request", code="export_not_ready")
    return Response(path.read_bytes(), media_type="application/zip", headers={
        "content-disposition": f'attachment; filename="chuhai-data-{req.id}.zip"'})
