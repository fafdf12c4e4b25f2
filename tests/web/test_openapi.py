"""The OpenAPI document is a contract a client can generate code from and a fuzzer can check
answers against: every ``$ref`` resolves, every success body has a real schema (no
free-form object), every operation declares the problem+json answers it can give (RFC 9457,
one ``Problem`` schema), and real answers validate against what the document declares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from chuhai.app import create_app
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from tests.factories import make_buyer, make_tenant

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
CHANGING = {"post", "put", "patch", "delete"}

# Operations that do not need a signed-in staff member or customer (no ``require_actor``).
# Every other operation under /api must declare 401 and 403.
PUBLIC = {
    ("post", "/api/guest"), ("post", "/api/customers"), ("get", "/api/markets"),
    ("get", "/api/markets/{code}"), ("post", "/api/quotes"), ("get", "/api/fx/convert"),
    ("get", "/api/fx/rates"), ("get", "/api/rooms/{room_id}/replay"),
    ("post", "/api/customers/session"), ("get", "/api/rooms/{room_id}/offers"),
    ("post", "/api/payments/stripe"), ("post", "/api/events"), ("get", "/api/feed"),
    ("get", "/api/privacy/consent"), ("post", "/api/privacy/consent"),
    ("get", "/api/privacy/consent/history"), ("get", "/api/privacy/requests"),
    ("post", "/api/privacy/requests"), ("get", "/api/privacy/requests/{request_id}/export"),
    ("get", "/api/shop/{slug}"), ("get", "/api/shop/{slug}/products/{product_id}"),
    ("get", "/api/address-forms/{country}"), ("get", "/api/search"),
    ("get", "/api/shop/{slug}/videos"), ("post", "/api/shop/videos/{video_id}/like"),
    ("post", "/api/shop/videos/{video_id}/view"), ("options", "/api/videos/uploads"),
    ("post", "/api/feed/choice"),
}
# ... of which these look at a caller all the same (a token sent must be valid; a data
# request needs a signed-in customer): 401 too.
PUBLIC_WITH_401 = {
    ("post", "/api/events"), ("get", "/api/feed"), ("get", "/api/privacy/consent"),
    ("post", "/api/privacy/consent"), ("get", "/api/privacy/consent/history"),
    ("get", "/api/privacy/requests"), ("post", "/api/privacy/requests"),
    ("get", "/api/privacy/requests/{request_id}/export"),
    ("get", "/api/shop/{slug}"), ("get", "/api/shop/{slug}/products/{product_id}"),
}
# Operations that call ``web.deps.limit``: they answer 429 past their limit.
RATE_LIMITED = {
    ("post", "/api/customers"), ("post", "/api/translate"), ("post", "/api/customers/session"),
    ("post", "/api/drops/{drop_id}/reserve"), ("post", "/api/auctions/{auction_id}/bids"),
    ("post", "/api/checkout"), ("post", "/api/orders/{order_id}/pay"), ("post", "/api/events"),
    ("get", "/api/feed"), ("post", "/api/privacy/consent"), ("post", "/api/privacy/requests"),
    ("post", "/api/privacy/forwarded"), ("post", "/api/shop/{slug}/cart/items"),
    ("put", "/api/shop/{slug}/cart/items/{sku_id}"), ("post", "/api/shop/{slug}/checkout"),
    ("get", "/api/search"), ("post", "/api/shop/videos/{video_id}/like"),
    ("post", "/api/shop/videos/{video_id}/view"), ("get", "/api/rooms/{room_id}/sales"),
    ("post", "/api/analytics/duty-invoices"), ("get", "/api/rooms/{room_id}/sellout"),
    ("get", "/api/demand/forecast"),
}
# Parts of success bodies that are free-form on purpose, or not typed yet; the test fails
# when one is added, and when one here is typed (then take it off the list).
FREE_FORM = {
    "AuditEntryOut.details": "each audited action records its own details, hashed into the "
                             "chain exactly as stored",
    "SkuOut.attributes": "the seller's own attributes (name → value)",
    "ProductSkuOut.attributes": "the seller's own attributes (name → value)",
    "CartLineOut.attributes": "the seller's own attributes (name → value)",
    "ReplayOut.chapters[]": "not typed yet",
    "ReplayOut.chat[]": "not typed yet",
    "chuhai__crossborder__schemas__QuoteOut.lines[]": "not typed yet",
    "chuhai__crossborder__schemas__QuoteOut.charges[]": "not typed yet",
    "chuhai__checkout__schemas__QuoteOut.items[]": "not typed yet",
    "chuhai__checkout__schemas__QuoteOut.landed": "not typed yet",
    "OrderOut.items[]": "not typed yet",
    "DeliveryOut.history[]": "not typed yet",
}
_ANNOTATIONS = {"title", "description", "default", "examples", "deprecated", "readOnly"}


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir: Path = tmp_path_factory.mktemp("openapi")
    spec: dict[str, Any] = create_app(Settings(data_dir=data_dir)).openapi()
    return spec


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield method, path, op


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_ref_resolves(doc: dict[str, Any]) -> None:
    broken = []
    for ref in set(_refs(doc)):
        try:
            _resolve(doc, ref)
        except (KeyError, TypeError, AssertionError):
            broken.append(ref)
    assert sorted(broken) == []


def _free_form(schema: dict[str, Any]) -> bool:
    if not set(schema) - _ANNOTATIONS:  # {}: anything at all
        return True
    return (schema.get("type") == "object" and "properties" not in schema
            and schema.get("additionalProperties", True) in (True, {}))


def _free_parts(doc: dict[str, Any], schema: dict[str, Any], where: str,
                seen: set[str]) -> Iterator[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _free_parts(doc, _resolve(doc, schema["$ref"]), name, seen)
        return
    if _free_form(schema):
        yield where
        return
    for field, sub in schema.get("properties", {}).items():
        yield from _free_parts(doc, sub, f"{where}.{field}", seen)
    if isinstance(schema.get("items"), dict):
        yield from _free_parts(doc, schema["items"], f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _free_parts(doc, schema["additionalProperties"], f"{where}{{}}", seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key, []):
            yield from _free_parts(doc, sub, where, seen)


def _success_json(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for method, path, op in _operations(doc):
        for status, response in op["responses"].items():
            for ctype, content in response.get("content", {}).items():
                if status.startswith("2") and ctype.endswith("json"):
                    yield f"{method.upper()} {path} {status}", content["schema"]


def test_every_success_body_has_a_real_schema(doc: dict[str, Any]) -> None:
    untyped = []
    for where, schema in _success_json(doc):
        top = schema.get("items", schema) if schema.get("type") == "array" else schema
        if "$ref" not in top and "properties" not in top:
            untyped.append(where)
    assert untyped == []


def test_no_free_form_part_in_a_success_body_but_the_listed_ones(doc: dict[str, Any]) -> None:
    found = {part for where, schema in _success_json(doc)
             for part in _free_parts(doc, schema, where, set())}
    assert sorted(found - set(FREE_FORM)) == [], "type these, or list them with the reason"
    assert sorted(set(FREE_FORM) - found) == [], "typed now: take them off FREE_FORM"


def _expected(method: str, path: str, op: dict[str, Any]) -> set[int]:
    params = op.get("parameters", [])
    body = "requestBody" in op
    out: set[int] = set()
    if (method, path) not in PUBLIC:
        out |= {401, 403}
    if (method, path) in PUBLIC_WITH_401:
        out.add(401)
    if (method, path) in RATE_LIMITED:
        out.add(429)
    if "{" in path:
        out.add(404)
    if method in CHANGING:
        out.add(409)
    if params or body:
        out |= {400, 422}
    if body:
        out.add(413)
    return out


def test_every_operation_declares_the_problems_it_can_answer(doc: dict[str, Any]) -> None:
    ops = [(m, p, op) for m, p, op in _operations(doc) if p.startswith("/api/")]
    assert len(ops) > 80
    assert {(m, p) for m, p, _ in ops} >= PUBLIC | RATE_LIMITED
    missing: dict[str, list[int]] = {}
    unlimited: list[str] = []
    for method, path, op in ops:
        declared = {int(s) for s in op["responses"] if s.isdigit() and int(s) >= 400}
        if _expected(method, path, op) - declared:
            missing[f"{method.upper()} {path}"] = sorted(_expected(method, path, op) - declared)
        if 429 in declared and (method, path) not in RATE_LIMITED:
            unlimited.append(f"{method.upper()} {path}")
    assert missing == {}
    assert unlimited == [], "429 declared, but the route applies no rate limit"
    # the unauthenticated signup must not claim 401; a signed-in route must
    assert "401" not in doc["paths"]["/api/customers"]["post"]["responses"]
    assert "401" in doc["paths"]["/api/me"]["get"]["responses"]


def test_every_error_answer_is_a_problem(doc: dict[str, Any]) -> None:
    wrong = []
    for method, path, op in _operations(doc):
        for status, response in op["responses"].items():
            if status.isdigit() and int(status) >= 400 and response.get("content") != PROBLEM:
                wrong.append(f"{method.upper()} {path} {status}")
    assert wrong == []
    assert "HTTPValidationError" not in json.dumps(doc)
    assert "ValidationError" not in doc["components"]["schemas"]
    problem = doc["components"]["schemas"]["Problem"]
    assert sorted(problem["required"]) == sorted(
        ["type", "title", "status", "detail", "instance", "code"])
    assert problem["additionalProperties"] is True  # e.g. retry_after
    assert "errors" not in problem["required"]
    field = _resolve(doc, problem["properties"]["errors"]["items"]["$ref"])
    assert set(field["properties"]) == {"field", "reason", "line"}
    assert field["required"] == ["field", "reason"]
    limited = doc["paths"]["/api/translate"]["post"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]


def test_a_file_download_declares_its_media_type(doc: dict[str, Any]) -> None:
    ok = doc["paths"]["/api/privacy/requests/{request_id}/export"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["application/zip"]


def test_a_body_parsed_by_hand_is_documented_from_its_model(doc: dict[str, Any]) -> None:
    quote = doc["paths"]["/api/quotes"]["post"]["requestBody"]["content"]["application/json"]
    assert quote["schema"]["title"] == "QuoteIn" and "$defs" not in quote["schema"]
    assert {"MoneyIn", "ItemIn"} <= set(doc["components"]["schemas"])
    events = doc["paths"]["/api/events"]["post"]["requestBody"]["content"]["application/json"]
    assert events["schema"]["required"] == ["events"]


# Real answers, checked against the document the app serves.

async def _served(client: httpx.AsyncClient) -> dict[str, Any]:
    resp = await client.get("/openapi.json")
    assert resp.status_code == 200
    return dict(resp.json())


def _check(spec: dict[str, Any], method: str, path: str, resp: httpx.Response) -> Any:
    declared = spec["paths"][path][method]["responses"][str(resp.status_code)]
    ctype = resp.headers["content-type"].split(";")[0]
    schema = declared["content"][ctype]["schema"]
    typed = schema.get("items", schema) if schema.get("type") == "array" else schema
    assert "$ref" in typed, f"{method.upper()} {path}: a free-form schema proves nothing"
    validator = jsonschema_rs.validator_for({**schema, "components": spec["components"]})
    body = resp.json()
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], f"{method.upper()} {path} {resp.status_code}"
    return body


async def test_prices_and_rates_match_their_schemas(app_client: httpx.AsyncClient) -> None:
    spec = await _served(app_client)
    resp = await app_client.get("/api/fx/convert", params={
        "amount": "19.99", "from": "EUR", "to": "USD", "date": "2026-11-24", "charm": "99"})
    assert resp.status_code == 200, resp.text
    body = _check(spec, "get", "/api/fx/convert", resp)
    assert list(body) == ["amount", "currency", "display", "rate_date", "source"]
    resp = await app_client.get("/api/fx/rates", params={"date": "2026-11-24"})
    assert _check(spec, "get", "/api/fx/rates", resp)["rates"]["USD"]["per_eur"]


async def test_the_feed_and_events_match_their_schemas(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings) -> None:
    spec = await _served(app_client)
    tenant = await make_tenant(stores, settings)
    room = await app_client.post("/api/rooms", headers=tenant.headers, json={
        "titles": {"de": "Live", "en": "Live"}, "markets": ["DE"],
        "scheduled_at": "2031-03-01T18:00:00Z"})
    assert room.status_code == 201, room.text
    resp = await app_client.post("/api/events", json={
        "market": "DE", "events": [{"type": "room.view", "room_id": room.json()["id"]}]})
    assert _check(spec, "post", "/api/events", resp) == {"accepted": 1, "mode": "anonymous"}
    resp = await app_client.get("/api/feed", params={"market": "DE"})
    body = _check(spec, "get", "/api/feed", resp)
    assert room.json()["id"] in [i["room_id"] for i in body["items"]]
    assert list(body["items"][0]) == ["id", "kind", "room_id", "status", "title", "starts_at",
                                      "score", "reasons", "seller", "shop", "viewers", "video",
                                      "product"]
    assert list(body)[:3] == ["market", "mode", "personalized"]


async def test_consent_answers_match_their_schemas(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings) -> None:
    spec = await _served(app_client)
    resp = await app_client.get("/api/privacy/consent", params={"market": "DE"})
    body = _check(spec, "get", "/api/privacy/consent", resp)
    assert "locked_below_age" not in body["purposes"]["analytics"]  # absent, not null
    buyer = await make_buyer(stores, settings, "DE")
    resp = await app_client.post("/api/privacy/consent", headers=buyer.headers,
                                 json={"age": 15, "choices": {"analytics": False}})
    body = _check(spec, "post", "/api/privacy/consent", resp)
    assert body["purposes"]["analytics"]["locked_below_age"] == 16
    resp = await app_client.get("/api/privacy/consent/history", headers=buyer.headers)
    _check(spec, "get", "/api/privacy/consent/history", resp)
    resp = await app_client.post("/api/privacy/requests", headers=buyer.headers,
                                 json={"kind": "access"})
    assert resp.status_code == 201, resp.text
    assert _check(spec, "post", "/api/privacy/requests", resp)["outcome"] == {}


async def test_a_pre_encoded_script_report_matches_its_schema(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings) -> None:
    spec = await _served(app_client)
    tenant = await make_tenant(stores, settings)
    resp = await app_client.post("/api/screen/script", headers=tenant.headers, json={
        "text": "Welcome everyone!\nThis cream cures eczema, guaranteed.\n# a note\n"
                "Mail me at anna@example.com", "markets": ["DE", "US"]})
    assert resp.status_code == 200, resp.text
    body = _check(spec, "post", "/api/screen/script", resp)
    assert body["summary"]["lines"] == 3
    assert any(m["findings"] for line in body["lines"] for m in line["markets"].values())


async def test_problem_answers_match_the_problem_schema(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings) -> None:
    spec = await _served(app_client)
    resp = await app_client.get("/api/me")
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert _check(spec, "get", "/api/me", resp)["status"] == 401
    tenant = await make_tenant(stores, settings)
    resp = await app_client.post("/api/translate", headers=tenant.headers,
                                 json={"text": "", "to": "??"})
    body = _check(spec, "post", "/api/translate", resp)
    assert body["status"] == 422 and {e["field"] for e in body["errors"]} == {"text", "to"}
