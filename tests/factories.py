"""Test data builders: an org with a staff member and an API token, products."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from chuhai.accounts.service import Accounts, actor_of
from chuhai.core.actor import Actor, Role
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.secrets_store import signing_key

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"


@dataclass
class Tenant:
    org_id: str
    actor: Actor
    token: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_tenant(stores: Stores, settings: Settings, role: Role = Role.OWNER,
                      country: str = "CN") -> Tenant:
    n = next(_seq)
    uow = UnitOfWork(stores)
    acc = Accounts(uow, signing_key(settings))
    org = await acc.create_org(f"org-{n}", f"Org {n}", country)
    email = f"user{n}@org{n}.example"
    subject, _ = await acc.create_staff(Actor.system(org.id), email, f"User {n}", PASSWORD,
                                        role)
    staff_actor = actor_of(subject)
    _, raw = await acc.create_token(staff_actor, "tests")
    await uow.commit()
    await uow.close()
    return Tenant(org.id, staff_actor, raw, email)


async def make_platform_staff(stores: Stores, settings: Settings,
                              role: Role = Role.PRIVACY_OFFICER) -> Tenant:
    """A member of the platform's own staff (the platform org exists after ``chuhai
    migrate``; here it is made on first use), who runs the privacy office."""
    from chuhai.accounts.platform import ensure_platform_org

    uow = UnitOfWork(stores)
    org = await ensure_platform_org(uow.global_, settings)
    await uow.commit()
    await uow.close()
    return await add_staff(stores, settings, Tenant(org.id, Actor.system(org.id), "", ""), role)


async def add_staff(stores: Stores, settings: Settings, tenant: Tenant, role: Role) -> Tenant:
    n = next(_seq)
    uow = UnitOfWork(stores)
    acc = Accounts(uow, signing_key(settings))
    email = f"{role.value}{n}@staff.example"
    subject, _ = await acc.create_staff(Actor.system(tenant.org_id), email, f"{role} {n}",
                                        PASSWORD, role)
    actor = actor_of(subject)
    _, raw = await acc.create_token(actor, "tests")
    await uow.commit()
    await uow.close()
    return Tenant(tenant.org_id, actor, raw, email)


def product_body(code: str | None = None, **over: Any) -> dict[str, Any]:
    code = code or f"P-{next(_seq)}"
    body: dict[str, Any] = {
        "code": code,
        "title": "Wireless earbuds",
        "brand": "SonicWave",
        "hs_code": "8518.30.20",  # headphones and earphones (HTSUS 8518.30.20)
        "origin_country": "CN",
        "weight_g": 60,
        "customs_value": "14.50",
        "customs_currency": "USD",
        "certifications": ["CE", "FCC"],
        "skus": [{"code": f"{code}-BLK", "attributes": {"color": "black"}}],
        "listings": [
            {"market": "US", "title": "Wireless earbuds", "price": "39.00"},
            {"market": "JP", "title": "ワイヤレスイヤホン", "price": "5480"},
        ],
    }
    body.update(over)
    return body


async def create_product(client: httpx.AsyncClient, tenant: Tenant, **over: Any
                         ) -> dict[str, Any]:
    resp = await client.post("/api/products", json=product_body(**over), headers=tenant.headers)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def buyer(n: int | str, region: str = "us") -> Actor:
    """A signed-in customer as services see one (no account row needed for stock logic)."""
    from chuhai.core.actor import ActorKind

    return Actor(ActorKind.CUSTOMER, f"cus_test{n}", region=region)


@dataclass
class Shop:
    """A seller ready to sell: one SKU, an origin and two overseas warehouses with stock."""

    tenant: Tenant
    product_id: str
    sku_id: str
    origin: str   # Shenzhen: ships to US, DE, JP slowly and cheaply
    us_west: str  # serves US fast
    de: str       # serves DE fast


async def make_shop(stores: Stores, settings: Settings, client: httpx.AsyncClient,
                    stock: int = 100) -> Shop:
    from chuhai.inventory import stock as stock_service
    from chuhai.inventory.ledger import EntryKind
    from chuhai.inventory.schemas import WarehouseIn

    tenant = await make_tenant(stores, settings)
    product = await create_product(client, tenant, listings=[
        {"market": "US", "title": "Wireless earbuds", "price": "39.00"},
        {"market": "DE", "title": "Kabellose Ohrhörer", "price": "36.00"},
        {"market": "JP", "title": "ワイヤレスイヤホン", "price": "5480"}])
    sku_id = product["skus"][0]["id"]
    uow = UnitOfWork(stores)
    ids = []
    for code, kind, country, lanes in (
        ("SZ", "origin", "CN", {"US": {"min_days": 8, "max_days": 15, "cost": "4.00"},
                                "DE": {"min_days": 9, "max_days": 16, "cost": "4.50"},
                                "JP": {"min_days": 4, "max_days": 7, "cost": "600"}}),
        ("US-W", "overseas", "US", {"US": {"min_days": 2, "max_days": 4, "cost": "6.50"}}),
        ("DE-1", "overseas", "DE", {"DE": {"min_days": 1, "max_days": 3, "cost": "4.90"}}),
    ):
        wh = await stock_service.create_warehouse(uow, tenant.actor, WarehouseIn.model_validate(
            {"code": code, "name": code, "kind": kind, "country": country, "lanes": lanes}))
        await stock_service.manual_entry(uow, tenant.actor, sku_id=sku_id, warehouse_id=wh.id,
                                         kind=EntryKind.RECEIVE, quantity=stock)
        ids.append(wh.id)
    await uow.commit()
    await uow.close()
    return Shop(tenant, product["id"], sku_id, *ids)


@dataclass
class Buyer:
    actor: Actor
    headers: dict[str, str]


async def make_buyer(stores: Stores, settings: Settings, country: str = "US") -> Buyer:
    """A real customer account with a signed-in cookie session (and its CSRF header)."""
    from datetime import timedelta

    n = next(_seq)
    uow = UnitOfWork(stores)
    acc = Accounts(uow, signing_key(settings))
    customer = await acc.create_customer(f"buyer{n}@example.com", f"Buyer {n}", country,
                                         password=PASSWORD)
    from chuhai.core.actor import ActorKind

    actor = Actor(ActorKind.CUSTOMER, customer.id, region=customer.region)
    raw, csrf = await acc.open_session(actor, timedelta(hours=1))
    await uow.commit()
    await uow.close()
    return Buyer(actor, {"Cookie": f"chuhai_session={raw}", "x-csrf-token": csrf})


@asynccontextmanager
async def committed_shop(base: Settings, data_dir: Path, stock: int
                         ) -> AsyncIterator[tuple[Settings, Stores, Shop]]:
    """Fresh stores of ``base``'s backend (own data dir; on PostgreSQL own schemas, dropped
    at the end) that really commit — each session its own connection, unlike the rolled-back
    ``stores`` fixture — with a seller holding ``stock`` units. For concurrency and crash
    tests, and the drop benchmark."""
    import uuid

    from sqlalchemy import text

    from chuhai.app import create_app
    from chuhai.core.migrate import upgrade_all

    prefix = f"c{uuid.uuid4().hex[:8]}_"
    settings = base.model_copy(update={"data_dir": data_dir, "schema_prefix": prefix})
    stores = Stores(settings)
    try:
        await upgrade_all(stores)
        app = create_app(settings, stores=stores)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as client:
            shop = await make_shop(stores, settings, client, stock=stock)
        yield settings, stores, shop
    finally:
        if settings.database_url:
            async with stores.engines["global"].begin() as conn:
                for name in ("global", *settings.regions):
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{prefix}{name}" CASCADE'))
        await stores.dispose()


def idempotency_key() -> str:
    return f"k-{uuid.uuid4().hex}"


async def start_drop(client: httpx.AsyncClient, shop: Shop, markets: tuple[str, ...] = ("DE",),
                     *, quantity: int = 3, per_buyer_limit: int = 2,
                     prices: dict[str, str] | None = None) -> dict[str, Any]:
    """A started drop of the shop's SKU with one line per market, priced from ``prices``
    (in the market's currency; 29.00 where a market is not named)."""
    prices = prices or {}
    drop = await client.post("/api/drops", headers=shop.tenant.headers, json={
        "title": "Blitz", "per_buyer_limit": per_buyer_limit,
        "lines": [{"sku_id": shop.sku_id, "market": m, "quantity": quantity,
                   "price": prices.get(m, "29.00")} for m in markets]})
    assert drop.status_code == 201, drop.text
    started = await client.post(f"/api/drops/{drop.json()['id']}/start",
                                headers=shop.tenant.headers, json={"countdown_s": 0})
    assert started.status_code == 200, started.text
    return dict(started.json())


async def buy_from_drop(client: httpx.AsyncClient, drop: dict[str, Any], buyer: Buyer,
                        ship_to: dict[str, str], *, pay: bool = True) -> str:
    """reserve → checkout (→ pay with the test card that succeeds) as the buyer, on the
    drop's line for ``ship_to``'s country; the order's id."""
    key = idempotency_key
    line = next(ln for ln in drop["lines"] if ln["market"] == ship_to["country"])
    res = await client.post(f"/api/drops/{drop['id']}/reserve", headers=buyer.headers,
                            json={"line_id": line["id"], "quantity": 1,
                                  "idempotency_key": key()})
    assert res.status_code == 201, res.text
    order = await client.post("/api/checkout", headers=buyer.headers, json={
        "reservation_id": res.json()["id"], "idempotency_key": key(), "ship_to": ship_to})
    assert order.status_code == 201, order.text
    if pay:
        paid = await client.post(f"/api/orders/{order.json()['id']}/pay",
                                 headers=buyer.headers,
                                 json={"card_number": "4242424242424242",
                                       "idempotency_key": key()})
        assert paid.status_code == 200, paid.text
    return str(order.json()["id"])


# Addresses in the markets make_shop serves, for checkout.
ADDRESSES: dict[str, dict[str, str]] = {
    "US": {"name": "Ann Buyer", "street": "1 Main St", "city": "Portland",
           "postal_code": "97201", "region": "OR",
           "country": "US"},
    "DE": {"name": "Lena Käufer", "street": "Hauptstr. 1", "city": "Berlin",
           "postal_code": "10115", "country": "DE"},
    "JP": {"name": "Sato Hanako", "street": "1-1 Chiyoda", "city": "Tokyo", "region": "東京都",
           "postal_code": "100-0001", "country": "JP"},
}


def charge_at_test_bank(data_dir: Path, payment_id: str) -> tuple[int, str, str] | None:
    """What the built-in test provider's own ledger (``data_dir/testpay.db``, the "bank")
    holds for a payment: (amount in minor units, currency, status), or None if it was never
    asked to charge it. Read from the file, as an auditor would, not from our tables."""
    import sqlite3

    db = sqlite3.connect(data_dir / "testpay.db")
    try:
        row = db.execute("SELECT amount, currency, status FROM charges WHERE payment_id=?",
                         (payment_id,)).fetchone()
    finally:
        db.close()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]))

