"""Sign-in that neither leaks nor locks out, on both sign-in routes: the console's
``POST /login`` and the buyers' ``POST /api/customers/session`` (accounts/throttle.py,
docs/decisions/0009-sign-in-throttling.md).

Each test swaps the app's rate limiter for one on a hand-driven clock, so the delays are
exact and no test sleeps."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from chuhai.accounts.service import Accounts
from chuhai.accounts.throttle import ACCOUNT, CAP_S, DEVICE_COOKIE, PAIR
from chuhai.app import create_app
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.ratelimit import MemoryRateLimiter
from chuhai.core.secrets_store import signing_key
from tests.factories import PASSWORD, make_tenant

KINDS = ["staff", "buyer"]
WRONG = "not-the-password-at-all"
OWNER_IP = "192.0.2.10"


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(stores: Stores, migrated_settings: Settings, clock: Clock) -> FastAPI:
    the_app = create_app(migrated_settings, stores=stores)
    the_app.state.limiter = MemoryRateLimiter(clock=clock)
    return the_app


@asynccontextmanager
async def client_at(app: FastAPI, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def account(kind: str, stores: Stores, settings: Settings) -> str:
    """A staff member's or a buyer's e-mail, with the password PASSWORD."""
    if kind == "staff":
        return (await make_tenant(stores, settings)).email
    uow = UnitOfWork(stores)
    n = id(uow)
    await Accounts(uow, signing_key(settings)).create_customer(
        f"signin-{n}@example.com", "Buyer", "DE", password=PASSWORD)
    await uow.commit()
    await uow.close()
    return f"signin-{n}@example.com"


async def sign_in(kind: str, c: httpx.AsyncClient, email: str, password: str = PASSWORD
                  ) -> httpx.Response:
    if kind == "buyer":
        return await c.post("/api/customers/session",
                            json={"email": email, "password": password})
    page = await c.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]*)"', page.text)
    assert token
    return await c.post("/login", data={"email": email, "password": password,
                                        "login_csrf": token.group(1), "next": "/console"})


def ok(kind: str, resp: httpx.Response) -> bool:
    return resp.status_code == (303 if kind == "staff" else 204)


def refused(kind: str, resp: httpx.Response) -> bool:
    """429 with Retry-After, and what the page or the API says about it."""
    if resp.status_code != 429 or not resp.headers.get("retry-after", "").isdigit():
        return False
    if kind == "buyer":
        return bool(resp.json()["code"] == "rate_limited"
                    and resp.json()["retry_after"] == int(resp.headers["retry-after"]))
    return "Too many sign-in attempts. Try again in" in resp.text


async def guess(kind: str, app: FastAPI, email: str, ip: str) -> httpx.Response:
    async with client_at(app, ip) as c:
        return await sign_in(kind, c, email, WRONG)


@pytest.mark.parametrize("kind", KINDS)
async def test_guesses_from_many_addresses_at_one_account_are_slowed_not_locked(
        kind: str, app: FastAPI, clock: Clock, stores: Stores, settings: Settings) -> None:
    email = await account(kind, stores, settings)
    first = [await guess(kind, app, email, f"10.20.0.{i}") for i in range(ACCOUNT.free + 1)]
    assert [r.status_code for r in first] == [401] * (ACCOUNT.free + 1)
    slowed = await guess(kind, app, email, "10.20.1.1")  # one more address does not help
    assert refused(kind, slowed) and slowed.headers["retry-after"] == "1"
    async with client_at(app, "10.20.1.2") as c:  # not even with the right password, yet
        assert refused(kind, await sign_in(kind, c, email))
        clock.now += 1  # but no lock: after the wait, the right password gets in
        assert ok(kind, await sign_in(kind, c, email))


@pytest.mark.parametrize("kind", KINDS)
async def test_a_guessing_attacker_does_not_keep_the_owner_out_of_a_known_device(
        kind: str, app: FastAPI, stores: Stores, settings: Settings) -> None:
    email = await account(kind, stores, settings)
    async with client_at(app, OWNER_IP) as owner:
        assert ok(kind, await sign_in(kind, owner, email))  # the device becomes known
        # Guessing from everywhere, the owner's own network included, until refused there.
        statuses = [(await guess(kind, app, email, OWNER_IP if i % 2 else f"10.30.0.{i}"))
                    .status_code for i in range(2 * (ACCOUNT.free + PAIR.free))]
        assert statuses[-1] == 429
        for _ in range(31):  # and past the per-address limit (30 in 5 minutes)
            await guess(kind, app, email, OWNER_IP)
        assert (await guess(kind, app, email, OWNER_IP)).status_code == 429
        resp = await sign_in(kind, owner, email)
        assert ok(kind, resp), resp.text


@pytest.mark.parametrize("kind", KINDS)
async def test_unknown_and_known_e_mails_answer_alike_and_are_limited_alike(
        kind: str, app: FastAPI, stores: Stores, settings: Settings) -> None:
    known = await account(kind, stores, settings)
    unknown = f"nobody-{id(app)}@example.com"

    def seen(resp: httpx.Response, email: str) -> tuple[object, ...]:
        body = re.sub(r'value="[^"]*"', 'value=""', resp.text.replace(email, "EMAIL"))
        return (resp.status_code, body, resp.headers.get("retry-after"),
                "set-cookie" in resp.headers)

    answers = {}
    for n, email in enumerate((known, unknown)):
        answers[email] = [seen(await guess(kind, app, email, f"10.40.{n}.1"), email)
                          for _ in range(PAIR.free + 3)]
    assert answers[known] == answers[unknown]
    assert [a[0] for a in answers[known]] == [401] * (PAIR.free + 1) + [429] * 2


@pytest.mark.parametrize("kind", KINDS)
async def test_the_delay_is_bounded_however_long_the_guessing(
        kind: str, app: FastAPI, clock: Clock, stores: Stores, settings: Settings) -> None:
    email = await account(kind, stores, settings)
    waits: list[int] = []
    for i in range(100):
        resp = await guess(kind, app, email, f"10.50.{i // 200}.{i % 200}")
        if resp.status_code == 429:
            assert refused(kind, resp)
            waits.append(int(resp.headers["retry-after"]))
            clock.now += waits[-1]  # the attacker waits exactly as told, and goes on
        if waits[-2:] == [CAP_S, CAP_S]:
            break
    assert waits[:3] == [1, 2, 4] and waits[-2:] == [CAP_S, CAP_S]
    assert all(0 < w <= CAP_S for w in waits)


@pytest.mark.parametrize("kind", KINDS)
async def test_the_known_device_cookie_is_signed_http_only_and_same_site(
        kind: str, app: FastAPI, stores: Stores, settings: Settings) -> None:
    email = await account(kind, stores, settings)
    async with client_at(app, OWNER_IP) as c:
        resp = await sign_in(kind, c, email)
    cookie = next(h for h in resp.headers.get_list("set-cookie")
                  if h.startswith(f"{DEVICE_COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert f"Max-Age={180 * 24 * 3600}" in cookie
    async with client_at(app, "10.60.0.1") as other:  # the value is no good on another
        other.cookies.set(DEVICE_COOKIE, cookie.split(";")[0].split("=", 1)[1])
        for _ in range(PAIR.free + 1):  # account: it is an unknown device there
            await sign_in(kind, other, f"other-{id(other)}@example.com", WRONG)
        assert (await sign_in(kind, other, f"other-{id(other)}@example.com",
                              WRONG)).status_code == 429
