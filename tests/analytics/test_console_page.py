"""The console's Analytics page renders for a seller's staff with every section: channels,
funnel, trust figures with the duty-invoice upload, demand and reorders, settings,
experiments (the charts themselves are drawn in Chromium: tests/e2e/test_analytics.py)."""

from __future__ import annotations

from tests.factories import make_shop


async def test_the_analytics_page_renders_every_section(stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    page = await app_client.get("/console/analytics", headers=shop.tenant.headers)
    assert page.status_code == 200, page.text[:500]
    for section in ('id="channels"', 'id="funnel-form"', 'id="trust-section"',
                    'id="duty-form"', 'id="demand"', 'id="reorder-table"',
                    'id="settings-form"', 'id="experiment-form"'):
        assert section in page.text
    assert f'value="{shop.sku_id}"' in page.text  # the SKUs to forecast
    assert "Safety stock (95 %)" in page.text
