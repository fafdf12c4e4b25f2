"""The privacy office belongs to the platform: no seller's staff — owner, privacy officer,
host — and no buyer can see or do anything in it, on any route or page. The routes are
read from the app, so a route added later is in the matrix without anyone remembering to
add it. A seller's staff may only forward a buyer's request and see whether it is open."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from chuhai.accounts.models import Subject
from chuhai.core.actor import Role
from chuhai.privacy.models import AuditEntry, DataRequest, ForwardedMessage
from tests.factories import add_staff, make_buyer, make_platform_staff, make_tenant

OFFICE_API = "/api/privacy/office"
OFFICE_PAGES = "/console/privacy/"
SELLER_PAGES = {"/console/privacy/forward"}


def _flat(routes):
    """Every route, through FastAPI's included routers (``original_router``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat(inner.routes)
        else:
            yield route


def _office_routes(app) -> list[tuple[str, str]]:
    routes = []
    for route in _flat(app.routes):
        path = getattr(route, "path", "")
        if path.startswith(OFFICE_API) or (path.startswith(OFFICE_PAGES)
                                           and path not in SELLER_PAGES):
            for method in sorted(getattr(route, "methods", set()) - {"HEAD"}):
                routes.append((method, path))
    return routes


def _fill(path: str, request_id: str) -> str:
    path = path.replace("{request_id}", request_id).replace("{action}", "complete")
    return re.sub(r"\{section\}", "requests", path)


@pytest.fixture
async def world(stores, settings, app_client):
    """A DE buyer with an open, verified erasure request; a platform officer; a second
    seller's owner, privacy officer and host."""
    officer = await make_platform_staff(stores, settings)
    buyer = await make_buyer(stores, settings, "DE")
    opened = await app_client.post(f"{OFFICE_API}/requests", headers=officer.headers, json={
        "subject_id": buyer.actor.subject_id, "kind": "erasure",
        "verification": "signed letter"})
    assert opened.status_code == 201, opened.text
    seller = await make_tenant(stores, settings, role=Role.OWNER)
    outsiders = {
        "seller owner": seller.headers,
        "seller privacy officer": (await add_staff(stores, settings, seller,
                                                   Role.PRIVACY_OFFICER)).headers,
        "seller host": (await add_staff(stores, settings, seller, Role.HOST)).headers,
        "buyer": buyer.headers,
    }
    return officer, buyer, opened.json()["id"], outsiders


def test_the_matrix_covers_every_office_route(app_client):
    app = app_client._transport.app
    routes = _office_routes(app)
    api = {p for _m, p in routes if p.startswith(OFFICE_API)}
    assert {f"{OFFICE_API}/requests", f"{OFFICE_API}/requests/{{request_id}}/complete",
            f"{OFFICE_API}/audit", f"{OFFICE_API}/consent-stats",
            f"{OFFICE_API}/transfers"} <= api
    assert any(p.startswith(OFFICE_PAGES) for _m, p in routes)
    assert all(isinstance(r, APIRoute) for r in _flat(app.routes)
               if getattr(r, "path", "").startswith(OFFICE_API))


async def test_no_seller_staff_and_no_buyer_can_use_any_office_route(app_client, stores, world):
    _officer, buyer, request_id, outsiders = world
    app = app_client._transport.app

    def body_for(path: str) -> dict[str, str] | None:  # a valid body: refused for who, not what
        return {"verify": {"method": "id card"}, "extend": {"reason": "a reason"},
                "reject": {"reason": "a reason"}, "complete": None,
                "requests": {"subject_id": buyer.actor.subject_id, "kind": "access"},
                }.get(path.rsplit("/", 1)[-1])

    async with stores.session() as s:
        audit_before = await s.scalar(select(func.count()).select_from(AuditEntry))
    checked = 0
    for who, headers in outsiders.items():
        for method, path in _office_routes(app):
            url = _fill(path, request_id)
            if path.startswith(OFFICE_API):
                resp = await app_client.request(method, url, headers=headers,
                                                json=body_for(path) if method == "POST" else None)
                assert resp.status_code in (401, 403), (who, method, url, resp.text)
                assert resp.json()["code"] in ("platform_only", "permission_denied",
                                               "staff_only", "unauthenticated"), resp.text
            else:
                resp = await app_client.request(
                    method, url, headers={**headers, "content-type":
                                          "application/x-www-form-urlencoded"},
                    content=b"method=x&reason=x", follow_redirects=False)
                if method == "GET":
                    assert resp.status_code in (303, 403), (who, url, resp.status_code)
                    assert buyer.actor.subject_id not in resp.text
                    assert "Data-subject requests" not in resp.text
                else:
                    assert resp.status_code == 303, (who, url)
                    assert "error=" in resp.headers["location"] or \
                        resp.headers["location"].startswith("/login")
            checked += 1
    assert checked >= 4 * 10
    # Nothing changed: the request is still open, the buyer still exists, no audit entry.
    async with stores.session() as s:
        req = await s.get(DataRequest, request_id)
        assert req.status == "open" and req.subject_id == buyer.actor.subject_id
        assert await s.get(Subject, buyer.actor.subject_id) is not None
        assert await s.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


async def test_the_platforms_officer_runs_the_office(app_client, world):
    officer, _buyer, request_id, _ = world
    for path in ("/requests", "/audit", "/consent-stats", "/transfers"):
        resp = await app_client.get(OFFICE_API + path, headers=officer.headers)
        assert resp.status_code == 200, (path, resp.text)
    page = await app_client.get("/console/privacy/requests", headers=officer.headers)
    assert page.status_code == 200 and request_id in page.text


async def test_a_seller_forwards_a_request_and_sees_only_open_or_closed(
        app_client, stores, settings, world):
    officer, buyer, _request_id, outsiders = world
    host = outsiders["seller host"]
    resp = await app_client.post("/api/privacy/forwarded", headers=host, json={
        "buyer": buyer.actor.subject_id, "kind": "access", "received_via": "chat",
        "text": "Bitte schicken Sie mir meine Daten."})
    assert resp.status_code == 201, resp.text
    forwarded = resp.json()
    assert forwarded["state"] == "open" and set(forwarded) == {"id", "kind", "received_at",
                                                               "state"}
    # The platform sees the buyer's words and where they came from.
    msg = await app_client.get(f"{OFFICE_API}/requests/{forwarded['id']}/message",
                               headers=officer.headers)
    assert msg.status_code == 200 and msg.json()["text"] == "Bitte schicken Sie mir meine Daten."
    queue = (await app_client.get(f"{OFFICE_API}/requests", headers=officer.headers)).json()
    (item,) = [i for i in queue if i["id"] == forwarded["id"]]
    assert item["channel"] == "seller" and item["status"] == "awaiting_verification"
    # The seller's owner sees the org's forward, never the buyer's words or the deadline.
    mine = (await app_client.get("/api/privacy/forwarded",
                                 headers=outsiders["seller owner"])).json()
    assert [m["id"] for m in mine] == [forwarded["id"]] and "due_at" not in mine[0]
    # Another seller sees none of it.
    other = await make_tenant(stores, settings)
    assert (await app_client.get("/api/privacy/forwarded", headers=other.headers)).json() == []
    # The platform rejects it: the seller sees it closed, the buyer's words are gone.
    done = await app_client.post(f"{OFFICE_API}/requests/{forwarded['id']}/reject",
                                 headers=officer.headers, json={"reason": "duplicate"})
    assert done.status_code == 200, done.text
    mine = (await app_client.get("/api/privacy/forwarded", headers=host)).json()
    assert mine[0]["state"] == "closed"
    async with stores.session(buyer.actor.region) as s:
        assert await s.get(ForwardedMessage, forwarded["id"]) is None


async def test_a_forward_for_no_buyer_or_from_a_buyer_is_refused(app_client, world):
    _officer, buyer, _rid, outsiders = world
    body = {"buyer": "nobody@nowhere.example", "kind": "erasure", "received_via": "email",
            "text": "delete me"}
    resp = await app_client.post("/api/privacy/forwarded", headers=outsiders["seller owner"],
                                 json=body)
    assert resp.status_code == 404 and resp.json()["code"] == "subject_not_found"
    for bad in ({"kind": "rectification"}, {"received_via": "pigeon"}, {"text": "\x00"},
                {"received_at": "2020-01-01T00:00:00Z"}, {"received_at": "2026-01-01T00:00:00"}):
        resp = await app_client.post("/api/privacy/forwarded",
                                     headers=outsiders["seller owner"],
                                     json={**body, "buyer": buyer.actor.subject_id, **bad})
        assert resp.status_code == 422, (bad, resp.text)
    resp = await app_client.post("/api/privacy/forwarded", headers=buyer.headers,
                                 json={**body, "buyer": buyer.actor.subject_id})
    assert resp.status_code in (401, 403)


async def test_a_seller_cannot_complete_an_erasure_in_two_calls(app_client, world):
    """The breach the probe found: any org's owner could list every request and complete
    an erasure of any buyer."""
    _officer, _buyer, request_id, outsiders = world
    owner = outsiders["seller owner"]
    assert (await app_client.get(f"{OFFICE_API}/requests", headers=owner)).status_code == 403
    resp = await app_client.post(f"{OFFICE_API}/requests/{request_id}/complete", headers=owner)
    assert resp.status_code == 403 and resp.json()["code"] == "platform_only"
    listed = await app_client.get(f"{OFFICE_API}/requests", headers=_officer.headers)
    assert [r["status"] for r in listed.json() if r["id"] == request_id] == ["open"]
