"""Every cookie is set through one helper (web/deps.py ``set_cookie``): ``Secure`` whenever
the request came over HTTPS — directly, or from a proxy in ``forwarded_allow_ips`` that says
so in X-Forwarded-Proto (uvicorn's proxy-headers middleware, as ``chuhai serve`` runs it) —
and always with ``CHUHAI_SECURE_COOKIES``; the buyer session's lifetime is a setting."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import chuhai
from chuhai.accounts.service import Accounts
from chuhai.app import create_app
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.secrets_store import signing_key
from tests.factories import PASSWORD, make_tenant

SRC = Path(chuhai.__file__).parent  # the package under test, wherever it is imported from
PROXY = "10.0.0.5"
STRANGER = "203.0.113.9"


@asynccontextmanager
async def served(stores: Stores, settings: Settings, peer: str, base: str = "http://shop"
                 ) -> AsyncIterator[httpx.AsyncClient]:
    """The app as ``chuhai serve`` runs it: behind uvicorn's proxy-headers middleware that
    trusts ``forwarded_allow_ips``; the TCP peer is ``peer``."""
    app = ProxyHeadersMiddleware(create_app(settings, stores=stores),
                                 trusted_hosts=settings.forwarded_allow_ips)
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        yield client


async def buyer_email(stores: Stores, settings: Settings) -> str:
    uow = UnitOfWork(stores)
    email = f"cookies-{id(uow)}@example.com"
    await Accounts(uow, signing_key(settings)).create_customer(email, "B", "US",
                                                               password=PASSWORD)
    await uow.commit()
    await uow.close()
    return email


async def login_page(c: httpx.AsyncClient, **_: Any) -> httpx.Response:
    return await c.get("/login")


async def guest_id(c: httpx.AsyncClient, **_: Any) -> httpx.Response:
    return await c.post("/api/guest")


async def buyer_sign_in(c: httpx.AsyncClient, *, buyer: str, **_: Any) -> httpx.Response:
    return await c.post("/api/customers/session", json={"email": buyer, "password": PASSWORD})


async def staff_sign_in(c: httpx.AsyncClient, *, staff: str, **_: Any) -> httpx.Response:
    page = await c.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]*)"', page.text)
    assert token
    # The test client talks plain HTTP to the proxy's side, so it would not send a Secure
    # cookie back; a browser on HTTPS does.
    c.cookies.set("chuhai_login_csrf", token.group(1))
    return await c.post("/login", data={"email": staff, "password": PASSWORD,
                                        "login_csrf": token.group(1)})


CALLS = [login_page, guest_id, buyer_sign_in, staff_sign_in]
Call = Callable[..., Any]


def set_cookies(resp: httpx.Response) -> list[str]:
    found = resp.headers.get_list("set-cookie")
    assert found, f"{resp.request.url} set no cookie"
    return found


@pytest.fixture
async def people(stores: Stores, settings: Settings) -> dict[str, str]:
    return {"buyer": await buyer_email(stores, settings),
            "staff": (await make_tenant(stores, settings)).email}


def behind_proxy(settings: Settings) -> Settings:
    return settings.model_copy(update={"forwarded_allow_ips": PROXY})


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.__name__)
async def test_https_from_a_trusted_proxy_gets_secure_cookies(
        call: Call, stores: Stores, settings: Settings, people: dict[str, str]) -> None:
    async with served(stores, behind_proxy(settings), PROXY) as c:
        c.headers["x-forwarded-proto"] = "https"
        c.headers["x-forwarded-for"] = "198.51.100.7"
        resp = await call(c, **people)
    assert all("; secure" in h.lower() for h in set_cookies(resp)), resp.headers


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.__name__)
async def test_a_forwarded_https_from_an_untrusted_peer_is_not_believed(
        call: Call, stores: Stores, settings: Settings, people: dict[str, str]) -> None:
    async with served(stores, behind_proxy(settings), STRANGER) as c:
        c.headers["x-forwarded-proto"] = "https"
        resp = await call(c, **people)
    assert not any("; secure" in h.lower() for h in set_cookies(resp))


async def test_https_without_a_proxy_and_the_setting_both_make_cookies_secure(
        stores: Stores, settings: Settings) -> None:
    async with served(stores, settings, STRANGER, base="https://shop") as c:
        assert "secure" in set_cookies(await c.get("/login"))[0].lower()
    always = settings.model_copy(update={"secure_cookies": True})
    async with served(stores, always, STRANGER) as c:
        assert "secure" in set_cookies(await c.get("/login"))[0].lower()


async def test_the_buyer_session_lives_as_long_as_the_setting_says(
        stores: Stores, settings: Settings, people: dict[str, str]) -> None:
    short = settings.model_copy(update={"buyer_session_ttl_hours": 5})
    async with served(stores, short, STRANGER) as c:
        resp = await buyer_sign_in(c, **people)
    assert resp.status_code == 204
    session = next(h for h in set_cookies(resp) if h.startswith("chuhai_session="))
    assert "Max-Age=18000" in session


def test_the_buyer_session_lifetime_is_bounded() -> None:
    assert Settings().buyer_session_ttl_hours == 24 * 30
    for bad in (0, 24 * 91):
        with pytest.raises(ValueError, match="buyer_session_ttl_hours"):
            Settings(buyer_session_ttl_hours=bad)


def test_no_cookie_is_set_but_through_the_helper() -> None:
    offenders = [f"{path.relative_to(SRC)}:{n}"
                 for path in SRC.rglob("*.py")
                 for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                 if re.search(r"\.(set_cookie|delete_cookie)\(", line)
                 and path.relative_to(SRC).as_posix() != "web/deps.py"]
    assert offenders == []
