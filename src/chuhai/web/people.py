"""Who a request is about, for consent and data-subject rights: the signed-in customer, or
the guest named by the signed guest cookie — never an id the page sends. A guest's data
goes to the region of the market they are browsing, as a customer's goes to their home."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace

from fastapi import Request

from chuhai.accounts.models import Customer
from chuhai.core.actor import ActorKind
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import Forbidden, InvalidInput
from chuhai.core.guest import GUEST_COOKIE, read_guest_id
from chuhai.markets.profiles import get_profile
from chuhai.web.deps import CSRF_HEADER, optional_caller


@dataclass(frozen=True)
class Person:
    subject_id: str | None  # None: an anonymous visitor with no guest cookie yet
    region: str | None
    country: str  # whose law applies: a customer's home country, a guest's market
    kind: str  # customer | guest | anonymous
    language: str
    browsing: str = ""  # the market whose rooms and prices they are looking at
    csrf: str | None = None  # a signed-in customer's session token, for pages that post

    @property
    def market(self) -> str:
        return self.browsing or self.country


async def signed_in_customer(request: Request, uow: UnitOfWork, *,
                             write: bool = False) -> Person | None:
    """The customer signed in on this request, if any. ``write``: the request changes
    something, so a cookie session must send its CSRF token (a page on another site must
    not change a buyer's consent or file requests in their name)."""
    caller = await optional_caller(request, uow)
    if caller is None or caller.actor.kind is not ActorKind.CUSTOMER or not caller.actor.region:
        return None
    if write and caller.csrf is not None and not hmac.compare_digest(
            request.headers.get(CSRF_HEADER, "").encode(), caller.csrf.encode()):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    customer = await uow.region(caller.actor.region).get(Customer, caller.actor.subject_id)
    if customer is None:
        return None
    return Person(customer.id, customer.region, customer.home_country, "customer",
                  customer.preferred_language, csrf=caller.csrf)


async def identify(request: Request, uow: UnitOfWork, market: object = None, *,
                   write: bool = False) -> Person:
    """The signed-in customer, else the guest (or anonymous visitor) browsing ``market``."""
    country = market.upper() if isinstance(market, str) else ""
    profile = get_profile(country) if len(country) == 2 else None
    customer = await signed_in_customer(request, uow, write=write)
    if customer is not None:  # their home law; the market they browse, if a known one
        return replace(customer, browsing=profile.code if profile else customer.country)
    if profile is None:
        raise InvalidInput("name the market you are browsing (a two-letter country code)",
                           code="market_required")
    gid = read_guest_id(request.app.state.signing_key, request.cookies.get(GUEST_COOKIE))
    return Person(gid, profile.region_store if gid else None, profile.code,
                  "guest" if gid else "anonymous", profile.languages[0])
