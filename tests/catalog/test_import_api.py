"""CSV import through the API: all or nothing, problems as problem+json with line/column."""

from __future__ import annotations

import pytest

from tests.catalog.test_spreadsheet import GOOD, HEADER
from tests.factories import create_product, make_tenant


@pytest.fixture
async def tenant(stores, settings):
    return await make_tenant(stores, settings)


def _file(text: str | bytes) -> dict:
    data = text.encode() if isinstance(text, str) else text
    return {"file": ("catalog.csv", data, "text/csv")}


async def test_import_creates_products_skus_and_listings(app_client, tenant):
    resp = await app_client.post("/api/products/import", files=_file(GOOD),
                                 headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"created": 2, "updated": 0, "dry_run": False,
                           "product_codes": ["ANC1", "LAMP"]}
    page = (await app_client.get("/api/products", params={"q": "ANC1"},
                                 headers=tenant.headers)).json()
    assert len(page["items"][0]["skus"]) == 2


async def test_reimport_updates_by_product_code(app_client, tenant):
    await app_client.post("/api/products/import", files=_file(GOOD), headers=tenant.headers)
    changed = GOOD.replace("Desk lamp,9405.21", "Desk lamp XL,9405.21")
    resp = await app_client.post("/api/products/import", files=_file(changed),
                                 headers=tenant.headers)
    assert resp.json()["updated"] == 2 and resp.json()["created"] == 0
    page = (await app_client.get("/api/products", headers=tenant.headers)).json()
    assert page["total"] == 2
    assert "Desk lamp XL" in [p["title"] for p in page["items"]]


async def test_dry_run_writes_nothing(app_client, tenant):
    resp = await app_client.post("/api/products/import?dry_run=true", files=_file(GOOD),
                                 headers=tenant.headers)
    assert resp.json()["created"] == 2 and resp.json()["dry_run"] is True
    assert (await app_client.get("/api/products", headers=tenant.headers)).json()["total"] == 0


async def test_one_bad_row_imports_nothing_and_names_line_and_column(app_client, tenant):
    bad = GOOD + "ZZ9,Broken,12,CN,1,1,USD,,,,,,,\n"
    resp = await app_client.post("/api/products/import", files=_file(bad),
                                 headers=tenant.headers)
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["code"] == "import_invalid"
    assert {"line": 5, "field": "hs_code"} .items() <= problem["errors"][0].items()
    assert (await app_client.get("/api/products", headers=tenant.headers)).json()["total"] == 0


async def test_sku_code_owned_by_another_product_is_a_row_error(app_client, tenant):
    await create_product(app_client, tenant, code="OLD", skus=[{"code": "ANC1-BLK"}])
    resp = await app_client.post("/api/products/import", files=_file(GOOD),
                                 headers=tenant.headers)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "sku_code"
    assert (await app_client.get("/api/products", headers=tenant.headers)).json()["total"] == 1


@pytest.mark.parametrize(("_case", "data", "reason"), [
    ("not utf-8", "product_code,title\nX,Caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ("binary", b"\x00\x01\x02\xff" * 10, "not UTF-8"),
    ("empty", b"", "empty"),
])
async def test_unreadable_files_are_422_with_a_reason(app_client, tenant, _case, data, reason):
    resp = await app_client.post("/api/products/import", files=_file(data),
                                 headers=tenant.headers)
    assert resp.status_code == 422
    assert reason in resp.text


async def test_import_without_a_file_is_422(app_client, tenant):
    resp = await app_client.post("/api/products/import", headers=tenant.headers)
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_input"


async def test_import_with_bom_and_crlf_line_ends(app_client, tenant):
    data = ("\ufeff" + GOOD.replace("\n", "\r\n")).encode()
    resp = await app_client.post("/api/products/import", files=_file(data),
                                 headers=tenant.headers)
    assert resp.status_code == 200, resp.text


async def test_reimport_of_a_price_sheet_keeps_variants_and_other_markets(app_client, tenant):
    await app_client.post("/api/products/import", files=_file(GOOD), headers=tenant.headers)
    prices = "product_code,US_price\nANC1,99.00\n"
    resp = await app_client.post("/api/products/import", files=_file(prices),
                                 headers=tenant.headers)
    assert resp.status_code == 422  # a new listing needs a title: the US one exists, though
    prices = "product_code,US_title,US_price\nANC1,ANC headphones,99.00\n"
    resp = await app_client.post("/api/products/import", files=_file(prices),
                                 headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    product = (await app_client.get("/api/products", params={"q": "ANC1"},
                                    headers=tenant.headers)).json()["items"][0]
    assert len(product["skus"]) == 2
    prices_by_market = {li["market"]: li["price"] for li in product["listings"]}
    assert prices_by_market == {"US": "99.00", "JP": "12800"}
    assert product["hs_code"] == "851830"


async def test_problem_lines_are_physical_lines_even_with_multiline_cells(app_client, tenant):
    text = HEADER + ('M1,"Two\nline title",851830,CN,1,1,USD,,,,T,1.00,,\n'
                     "M2,Bad,12,CN,1,1,USD,,,,T,1.00,,\n")
    resp = await app_client.post("/api/products/import", files=_file(text),
                                 headers=tenant.headers)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["line"] == 4
