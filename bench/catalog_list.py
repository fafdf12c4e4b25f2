"""GET /api/products (20 per page, 500 products, 3 listings each) through the whole stack
— auth, org scoping, count, serialization — against a bare SQL select of the same 20 rows
in the same run. Figure and baseline are requests per second on one core."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import httpx
from _common import fresh_install, per_second, report
from sqlalchemy import select

from chuhai.app import create_app
from chuhai.catalog import service
from chuhai.catalog.models import Product
from chuhai.catalog.schemas import ProductIn
from chuhai.core.db import unit_of_work

N = 500


async def main() -> None:
    settings, stores, actor, token = await fresh_install()
    async with unit_of_work(stores) as uow:
        for i in range(N):
            await service.create_product(uow.global_, actor, ProductIn.model_validate({
                "code": f"B-{i}", "title": f"Bench speaker {i}", "hs_code": "851822",
                "origin_country": "CN", "weight_g": 500, "customs_value": "20.00",
                "customs_currency": "USD",
                "listings": [{"market": m, "title": f"Speaker {i}", "price": p}
                             for m, p in (("US", "59.00"), ("DE", "54.99"), ("JP", "7980"))]}))
    app = create_app(settings, stores=stores)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        async def api() -> None:
            resp = await client.get("/api/products?per_page=20&page=3", headers=headers)
            assert resp.status_code == 200

        figure = await per_second(api)

    async def bare() -> None:
        async with stores.session() as s:
            rows = (await s.scalars(select(Product).order_by(Product.created_at.desc())
                                    .limit(20).offset(40))).all()
            assert len(rows) == 20

    baseline = await per_second(bare)
    await stores.dispose()
    report("catalog_list_api", figure, "req/s", baseline,
           {"products": N, "per_page": 20, "listings_per_product": 3, "store": "sqlite",
            "baseline": "bare SQLAlchemy select of the same page (with selectin loads)"})


if __name__ == "__main__":
    asyncio.run(main())
