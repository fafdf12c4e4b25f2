"""Request dependencies: the unit of work and the acting user.

API clients send ``Authorization: Bearer chh_…``; the console sends its session cookie and,
on every state-changing request, the session's CSRF token (form field or header), so a
page on another site cannot act with a signed-in operator's cookie.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request, Response

from chuhai.accounts.service import Accounts
from chuhai.accounts.throttle import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE_S,
    Attempt,
    SignInThrottle,
    remember_device,
)
from chuhai.core.actor import Actor
from chuhai.core.db import Stores, UnitOfWork, unit_of_work
from chuhai.core.errors import Forbidden, Unauthenticated

SESSION_COOKIE = "chuhai_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    stores: Stores = request.app.state.stores
    async with unit_of_work(stores) as uow:
        yield uow


UoW = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def accounts(request: Request, uow: UnitOfWork) -> Accounts:
    return Accounts(uow, request.app.state.signing_key)


@dataclass(frozen=True)
class Caller:
    actor: Actor
    csrf: str | None  # set for cookie sessions


async def _caller(request: Request, uow: UoW) -> Caller | None:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("use 'Authorization: Bearer <token>'", code="bad_token")
        return Caller(await accounts(request, uow).actor_for_token(token.strip()), None)
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        found = await accounts(request, uow).session_actor(raw)
        if found:
            return Caller(found[0], found[1])
    return None


async def optional_caller(request: Request, uow: UoW) -> Caller | None:
    caller = await _caller(request, uow)
    await uow.commit()  # as in require_actor: the page's own work starts a fresh transaction
    return caller


async def require_actor(request: Request, uow: UoW) -> Actor:
    caller = await _caller(request, uow)
    # End the look-up's transaction now: it gives the connection back to the pool, so a
    # handler that opens its own sessions (reserve, checkout, pay) never holds two at once
    # — with more concurrent requests than the pool has connections, that deadlocked.
    await uow.commit()
    if caller is None:
        raise Unauthenticated()
    if caller.csrf is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent and "form" in request.headers.get("content-type", ""):
            sent = str((await request.form()).get("csrf_token", ""))
        if not hmac.compare_digest(sent.encode(), caller.csrf.encode()):
            raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    return caller.actor


CurrentActor = Annotated[Actor, Depends(require_actor)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def cookie_secure(request: Request) -> bool:
    """Secure when the request came over HTTPS — directly, or through a proxy in
    ``forwarded_allow_ips`` (uvicorn takes the scheme from X-Forwarded-Proto only from
    those, as it takes the client address) — and always with ``secure_cookies`` on."""
    return bool(request.app.state.settings.secure_cookies) or request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *,
               max_age: int | None = None, samesite: Literal["lax", "strict"] = "lax",
               httponly: bool = True) -> None:
    """Every cookie the app sets goes through here, so none forgets ``Secure``."""
    response.set_cookie(name, value, max_age=max_age, httponly=httponly, samesite=samesite,
                        secure=cookie_secure(request))


def forget_cookie(response: Response, request: Request, name: str, *,
                  samesite: Literal["lax", "strict"] = "lax") -> None:
    """Delete a cookie with the attributes it was set with (a browser keeps a Secure cookie
    that an answer without ``Secure`` tries to overwrite)."""
    response.delete_cookie(name, httponly=True, samesite=samesite,
                           secure=cookie_secure(request))


async def limit(request: Request, key: str, limit: int, window_s: int) -> None:
    """Count one hit of ``key`` for this client; 429 past ``limit`` per window."""
    from chuhai.core.ratelimit import enforce

    await enforce(request.app.state.limiter, key, limit, window_s)


def _throttle(request: Request) -> SignInThrottle:
    return SignInThrottle(request.app.state.limiter, request.app.state.signing_key)


async def admit_sign_in(request: Request, email: str) -> Attempt:
    """Let one sign-in attempt for ``email`` go on to the password check, or raise
    ``RateLimited`` (429 with Retry-After): per address (30 attempts in 5 minutes), and the
    growing delays per account and per (account, address) of ``accounts/throttle.py``. A
    device that signed in to this account before skips all but its own delay."""
    from chuhai.core.ratelimit import RateLimited

    throttle = _throttle(request)
    attempt = throttle.attempt(email, client_ip(request), request.cookies.get(DEVICE_COOKIE))
    if attempt.device is None:  # a flood from the owner's network does not hold them back
        await limit(request, f"login:ip:{client_ip(request)}", 30, 300)
    wait = await throttle.admit(attempt)
    if wait:
        raise RateLimited(wait)
    return attempt


async def password_confirmed(request: Request, attempt: Attempt) -> None:
    """A right password re-entered by someone already signed in (to confirm a request):
    the counts start afresh as after a sign-in; no device cookie, nothing else changes."""
    await _throttle(request).succeeded(attempt)


async def signed_in(request: Request, response: Response, attempt: Attempt) -> None:
    """After a right password: the counts of this address or device start afresh, and the
    browser is remembered as a known device of the account (a signed cookie)."""
    await _throttle(request).succeeded(attempt)
    value = remember_device(request.app.state.signing_key, attempt.account,
                            request.cookies.get(DEVICE_COOKIE))
    set_cookie(response, request, DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_MAX_AGE_S,
               samesite="strict")
