"""Whatever JSON arrives, the catalog API answers with a client error or success — never a
500, and never a half-written product."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_tenant, product_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
FIELDS = list(product_body().keys())


@pytest.fixture
async def tenant(stores, settings):
    return await make_tenant(stores, settings)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=json_values)
async def test_any_field_value_on_create_is_never_a_500(app_client, tenant, field, value):
    body = product_body()
    body[field] = value
    resp = await app_client.post("/api/products", json=body, headers=tenant.headers)
    assert resp.status_code in (201, 409, 422), resp.text
    if resp.status_code != 201:
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["code"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values)
async def test_any_body_on_update_is_never_a_500(app_client, tenant, body):
    created = await app_client.post("/api/products", json=product_body(),
                                    headers=tenant.headers)
    url = f"/api/products/{created.json()['id']}"
    resp = await app_client.patch(url, json=body, headers=tenant.headers)
    assert resp.status_code in (200, 409, 422), resp.text
