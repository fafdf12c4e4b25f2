"""Test data builders: an org with a staff member and an API token, products."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
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
        "hs_code": "8518.30",
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
