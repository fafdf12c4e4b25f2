"""Concurrent requests with one API token: recording when it was last used never fails a
request. On SQLite the write used to ride the look-up's read transaction; two requests that
both had to upgrade their lock made one fail at once with "database is locked" (a 500)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from chuhai.accounts.models import ApiToken
from chuhai.app import create_app
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.migrate import upgrade_all
from tests.factories import make_tenant


async def test_a_burst_with_one_token_is_all_answered_and_the_use_recorded(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="burst", background=False)
    stores = Stores(settings)
    try:
        await upgrade_all(stores)
        tenant = await make_tenant(stores, settings)
        app = create_app(settings, stores=stores)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t", headers=tenant.headers) as client:
            for _ in range(3):
                async with stores.session() as s:  # every request of the burst writes
                    await s.execute(update(ApiToken).values(
                        last_used_at=utcnow() - timedelta(hours=1)))
                    await s.commit()
                answers = await asyncio.gather(*(client.get("/api/products")
                                                 for _ in range(12)))
                assert [r.status_code for r in answers] == [200] * 12, [
                    r.text for r in answers if r.status_code != 200][:1]
        async with stores.session() as s:
            used = await s.scalar(select(ApiToken.last_used_at))
        assert used is not None and utcnow() - used < timedelta(minutes=1)
    finally:
        await stores.dispose()
