"""Never a silent stale price: a quote names the rate date it used; a rate older than a week
makes the quote approximate (a warning, and the buyer's label says "estimated"); an operator
can refuse such quotes instead with CHUHAI_FX_MAX_AGE_DAYS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest

from chuhai.app import create_app
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.crossborder import loader
from chuhai.crossborder.basket import QuoteError
from chuhai.crossborder.labels import DELIVERED, DELIVERED_APPROX
from chuhai.crossborder.service import listing_quote
from chuhai.shop.pricing import Delivery, Goods, price

SNAPSHOT = date(2026, 10, 6)  # the newest day in rules/fx/ecb-eurofxref-2026-10-06.xml


@pytest.fixture(autouse=True)
def _policy_restored() -> Iterator[None]:
    yield
    loader.configure(fx_max_age_days=None)
    loader.reset()


def test_a_quote_names_the_rate_date_it_used() -> None:
    q = listing_quote("GB", date(2026, 10, 8), "851822", "CN", Decimal("30"), "USD")
    assert q.rate_date == SNAPSHOT
    assert not q.approximate
    assert q.as_dict()["rate_date"] == "2026-10-06"
    assert q.as_dict()["approximate"] is False


def test_a_rate_older_than_a_week_makes_the_quote_approximate_with_a_warning() -> None:
    q = listing_quote("GB", date(2026, 12, 6), "851822", "CN", Decimal("30"), "USD")
    assert q.approximate and q.rate_date == SNAPSHOT
    assert any("2026-10-06, 61 days before" in w for w in q.warnings)
    assert q.as_dict()["approximate"] is True


def test_a_quote_without_conversion_is_never_approximate() -> None:
    q = listing_quote("DE", date(2026, 12, 6), "851822", "CN", Decimal("30"), "EUR")
    assert q.rate_date is None and not q.approximate


def test_the_operator_setting_refuses_stale_rates_with_a_stable_code() -> None:
    loader.configure(fx_max_age_days=30)
    with pytest.raises(QuoteError) as err:
        listing_quote("GB", date(2026, 12, 6), "851822", "CN", Decimal("30"), "USD")
    assert err.value.code == "fx_rate_stale"
    assert "CHUHAI_FX_MAX_AGE_DAYS" in str(err.value)
    # within the limit it still quotes
    assert listing_quote("GB", date(2026, 10, 20), "851822", "CN", Decimal("30"),
                         "USD").rate_date == SNAPSHOT


def test_a_limit_below_one_day_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        loader.configure(fx_max_age_days=0)


def test_the_buyer_label_says_estimated_when_the_rate_is_old() -> None:
    goods = [Goods("851822", "CN", 540, 5900, "USD")]
    lane = Delivery("SZX", 5, 9, 800)
    old = price(loader.rulebook(), "GB", date(2026, 12, 6), goods, lane)
    assert old.approximate and old.label("de") == DELIVERED_APPROX["de"]
    assert old.as_dict("de_DE", "de")["rate_date"] == "2026-10-06"
    fresh = price(loader.rulebook(), "GB", date(2026, 10, 7), goods, lane)
    assert not fresh.approximate and fresh.label("de") == DELIVERED["de"]
    assert set(DELIVERED_APPROX) == set(DELIVERED)  # every language that has the one


async def test_the_quote_api_refuses_under_the_setting(stores: Stores,
                                                       migrated_settings: Settings) -> None:
    strict = migrated_settings.model_copy(update={"fx_max_age_days": 14})
    app = create_app(strict, stores=stores)
    body = {"destination": "GB", "date": "2026-12-06", "currency": "USD",
            "items": [{"hs_code": "851822", "origin": "CN", "unit_value": "30.00",
                       "currency": "USD", "quantity": 1}]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        r = await client.post("/api/quotes", json=body)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "fx_rate_stale"
        ok = await client.post("/api/quotes", json={**body, "date": "2026-10-09"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["rate_date"] == "2026-10-06"
