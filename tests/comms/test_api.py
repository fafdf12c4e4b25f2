"""The communication API for staff: screening a line and a script, translation through the
org's glossary and memory, localization advice, and every kind of bad input."""

from __future__ import annotations

import pytest

from chuhai.core.actor import Role
from tests.factories import add_staff, create_product, make_tenant


@pytest.fixture
async def tenant(stores, settings):
    return await make_tenant(stores, settings)


async def test_screen_names_rules_sources_and_rewrites_per_market(app_client, tenant):
    r = await app_client.post("/api/screen", headers=tenant.headers, json={
        "text": "全网最低价！这款面霜能治疗湿疹", "markets": ["CN"], "lang": "zh"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["action"] == "block"
    findings = out["markets"]["CN"]["findings"]
    assert {f["category"] for f in findings} >= {"absolute_claim", "health_claim"}
    assert any(f["rule"].startswith("CN.") and f["action"] == "block" for f in findings)
    for f in findings:
        assert f["source"].startswith("http") and f["suggestion"]


async def test_screen_checks_a_former_price_against_the_products_price_history(
        app_client, tenant):
    product = await create_product(app_client, tenant, listings=[
        {"market": "DE", "title": "Ohrhörer", "price": "49.00"}])
    body = {"text": "Statt 99 € jetzt nur 49 €!", "markets": ["DE"], "lang": "de",
            "product_id": product["id"]}
    out = (await app_client.post("/api/screen", headers=tenant.headers, json=body)).json()
    omnibus = [f for f in out["markets"]["DE"]["findings"]
               if f["rule"] == "EU.omnibus.prior_price"]
    assert out["action"] == "block" and omnibus and "49.00 EUR" in omnibus[0]["suggestion"]


async def test_screen_script_reports_line_by_line(app_client, tenant):
    script = "# opening\nHallo zusammen, willkommen!\nDas ist das beste Produkt der Welt.\n"
    r = await app_client.post("/api/screen/script", headers=tenant.headers,
                              json={"text": script, "markets": ["DE", "FR"]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["summary"]["lines"] == 2
    assert [x["line"] for x in out["lines"]] == [2, 3]
    assert out["lines"][0]["action"] == "allow"
    assert out["lines"][1]["markets"]["DE"]["action"] == "warn"


async def test_translate_uses_the_phrasebook_and_protects_the_orgs_brands(app_client, tenant):
    r = await app_client.post("/api/translate", headers=tenant.headers,
                              json={"text": "Welcome to the live room!", "to": "de",
                                    "from": "en"})
    assert r.status_code == 200, r.text
    assert r.json()["provider"] == "memory:phrasebook" and r.json()["machine"] is False
    added = await app_client.post("/api/translation-memory", headers=tenant.headers, json={
        "source_lang": "en", "target_lang": "de", "source": "SonicWave earbuds are back",
        "target": "SonicWave-Ohrhörer sind wieder da"})
    assert added.status_code == 201
    again = await app_client.post("/api/translate", headers=tenant.headers, json={
        "text": "SonicWave earbuds are back", "to": "de", "from": "en"})
    assert again.json()["text"] == "SonicWave-Ohrhörer sind wieder da"
    assert again.json()["provider"] == "memory:org"


async def test_translation_without_any_translator_is_a_clear_conflict(app_client, tenant):
    r = await app_client.post("/api/translate", headers=tenant.headers, json={
        "text": "Quantum chromodynamics is fun", "to": "de", "from": "en"})
    assert r.status_code == 409 and r.json()["code"] == "translation_unavailable"


async def test_glossary_terms_can_be_added_listed_and_removed(app_client, tenant):
    h = tenant.headers
    r = await app_client.post("/api/glossary", headers=h, json={"source": "AirLite"})
    assert r.status_code == 201 and r.json()["kind"] == "do_not_translate"
    dup = await app_client.post("/api/glossary", headers=h, json={"source": "AirLite"})
    assert dup.status_code == 409 and dup.json()["code"] == "term_exists"
    bad = await app_client.post("/api/glossary", headers=h,
                                json={"source": "drop", "target": "Drop"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_term"
    listed = (await app_client.get("/api/glossary", headers=h)).json()
    assert [t["source"] for t in listed] == ["AirLite"]
    gone = await app_client.delete(f"/api/glossary/{listed[0]['id']}", headers=h)
    assert gone.status_code == 204
    again = await app_client.delete(f"/api/glossary/{listed[0]['id']}", headers=h)
    assert again.status_code == 404 and again.json()["code"] == "term_not_found"


async def test_culture_advice(app_client, tenant):
    r = await app_client.get("/api/culture/advice?seller=CN&market=DE", headers=tenant.headers)
    assert r.status_code == 200 and r.json()["advice"]
    r = await app_client.get("/api/culture/advice?seller=CN&market=XX", headers=tenant.headers)
    assert r.status_code == 404 and r.json()["code"] == "culture_unknown"


@pytest.mark.parametrize(("path", "body", "code"), [
    ("/api/screen", {"text": "", "markets": ["DE"]}, "invalid_input"),
    ("/api/screen", {"text": "x" * 2001, "markets": ["DE"]}, "invalid_input"),
    ("/api/screen", {"text": "hi", "markets": ["de"]}, "invalid_input"),
    ("/api/screen", {"text": "hi", "markets": ["ZZ"][:0]}, "invalid_input"),
    ("/api/screen", {"text": "hi", "markets": ["XX"]}, "market_unknown"),
    ("/api/screen", {"text": "hi", "markets": ["DE"], "side": "robot"}, "invalid_input"),
    ("/api/screen", {"text": 5, "markets": "DE"}, "invalid_input"),
    ("/api/screen/script", {"text": "a\n" * 6000, "markets": ["DE"]}, "script_too_large"),
    ("/api/translate", {"text": "hi", "to": "<script>"}, "invalid_input"),
    ("/api/translate", {"text": "x" * 5001, "to": "de"}, "invalid_input"),
    ("/api/translation-memory", {"source_lang": "en", "target_lang": "en", "source": "a",
                                 "target": "b"}, "same_language"),
])
async def test_bad_input_gets_a_stable_code(app_client, tenant, path, body, code):
    r = await app_client.post(path, headers=tenant.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code


async def test_staff_only_and_writes_need_catalog_rights(app_client, stores, settings, tenant):
    anon = await app_client.post("/api/screen", json={"text": "hi", "markets": ["DE"]})
    assert anon.status_code == 401
    mod = await add_staff(stores, settings, tenant, Role.MODERATOR)
    ok = await app_client.post("/api/screen", headers=mod.headers,
                               json={"text": "hi", "markets": ["DE"]})
    assert ok.status_code == 200
    denied = await app_client.post("/api/glossary", headers=mod.headers,
                                   json={"source": "AirLite"})
    assert denied.status_code == 403


async def test_the_script_check_page_needs_a_sign_in(app_client):
    r = await app_client.get("/console/script-check", follow_redirects=False)
    assert r.status_code == 303  # sign in first
