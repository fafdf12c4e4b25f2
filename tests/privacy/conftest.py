"""Fixtures of the data-compliance tests."""

from __future__ import annotations

import httpx
import pytest

from chuhai.core.db import Stores


@pytest.fixture
async def real(settings):
    """Stores and an app that commit for real (the usual test stores roll back), so the
    scan reads what is actually on disk."""
    from chuhai.app import create_app

    stores = Stores(settings)
    app = create_app(settings, stores=stores)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        yield stores, client
    await stores.dispose()
