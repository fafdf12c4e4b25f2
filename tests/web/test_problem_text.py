"""What an error says to a buyer (web/problem_text.py): the detail of the errors a buyer meets
in their language (the remembered choice, else Accept-Language), the stable code and the
fields unchanged, English for API clients that ask for nothing and for codes without a
buyer text."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from chuhai.accounts.models import Org
from chuhai.web import i18n, problem_text
from tests.factories import make_buyer, make_shop


def test_a_buyer_error_is_said_in_the_buyers_language_and_keeps_its_code():
    body = {"code": "sold_out", "detail": "line ln_1 is sold out", "status": 409}
    de = problem_text.localize(body, "de")
    assert de["code"] == "sold_out" and de["status"] == 409
    assert de["detail"] == i18n.translations("de").gettext("Sold out.") != "Sold out."
    assert problem_text.localize(body, "en") is body


def test_an_error_without_a_buyer_text_keeps_its_english_detail():
    body = {"code": "hs_code_ambiguous", "detail": "8518 matches two headings"}
    assert problem_text.localize(body, "ja")["detail"] == "8518 matches two headings"


def test_only_the_known_field_reasons_are_translated():
    body = {"code": "invalid_address", "detail": "address is invalid", "errors": [
        {"field": "ship_to.postal_code", "reason": "is required in this country"},
        {"field": "ship_to.x", "reason": "something a seller's importer said"}, "odd"]}
    ar = problem_text.localize(body, "ar")
    assert ar["errors"][0]["field"] == "ship_to.postal_code"
    assert ar["errors"][0]["reason"] == i18n.translations("ar").gettext(
        "is required in this country") != "is required in this country"
    assert ar["errors"][1:] == body["errors"][1:]


def test_every_buyer_text_is_translated_in_every_catalog_with_its_placeholders():
    for lang in i18n.LANGUAGES[1:]:
        t = i18n.translations(lang)
        for code, text in problem_text.DETAILS.items():
            assert t.gettext(text) != text, (lang, code)
        for reason in problem_text.REASONS:
            assert t.gettext(reason) != reason, (lang, reason)


def test_a_broken_translation_falls_back_to_the_english_detail(monkeypatch):
    class Broken:
        def gettext(self, _m: str) -> str:
            return "%(nothing)s kaputt"
    monkeypatch.setattr(i18n, "translations", lambda _lang: Broken())
    assert problem_text.detail("sold_out", "line is sold out", "de", {}) == "line is sold out"


async def _slug(stores, org_id: str) -> str:
    async with stores.session() as s:
        return str(await s.scalar(select(Org.slug).where(Org.id == org_id)))


async def test_the_api_answers_a_german_browser_in_german_and_a_bare_client_in_english(
        stores, settings, app_client):
    shop = await make_shop(stores, settings, app_client)
    slug = await _slug(stores, shop.tenant.org_id)
    fr = await make_buyer(stores, settings, "FR")  # a country the seller does not sell to
    body = {"sku_id": shop.sku_id, "quantity": 1, "idempotency_key": uuid.uuid4().hex}
    bare = await app_client.post(f"/api/shop/{slug}/cart/items", headers=fr.headers, json=body)
    german = await app_client.post(f"/api/shop/{slug}/cart/items", json=body, headers={
        **fr.headers, "Accept-Language": "de-CH, de;q=0.9, en;q=0.5"})
    assert bare.json()["code"] == german.json()["code"] == "market_not_served"
    assert "content-language" not in bare.headers
    assert german.headers["content-language"] == "de"
    assert german.json()["detail"] == i18n.translations("de").gettext(
        "This seller does not sell in your country.")
    remembered = await app_client.get("/api/shop/no-such-shop", headers={
        "Cookie": f"{i18n.COOKIE}=ja", "Accept-Language": "de"})
    assert remembered.status_code == 404
    assert remembered.json()["detail"] == i18n.translations("ja").gettext(
        "This shop was not found.")


async def test_hostile_language_headers_never_break_an_error_answer(app_client):
    for header in ("x" * 10_000, ";;q=", "\u00e9" * 50, "*;q=1, zz-ZZ"):
        resp = await app_client.get("/api/shop/no-such-shop",
                                    headers={"Accept-Language": header.encode("latin-1")})
        assert resp.status_code == 404 and resp.json()["code"] == "shop_not_found"


async def test_a_busy_sqlite_store_answers_503_with_retry_after_not_a_500(
        app_client, monkeypatch) -> None:
    """SQLite refuses a read-turned-write that another connection overtook ("database is
    locked", at once, whatever the busy timeout): nothing was written, so the answer says
    to try again, in the buyer's language."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from chuhai.markets import api as markets_api

    def locked(*_a: object, **_k: object) -> object:
        raise OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(markets_api, "default_profiles", locked)
    resp = await app_client.get("/api/markets", headers={"Accept-Language": "de"})
    assert resp.status_code == 503 and resp.headers["retry-after"] == "1"
    assert resp.json()["code"] == "busy"
    assert resp.json()["detail"] == i18n.translations("de").gettext(
        "Busy for a moment: nothing was changed; try again.")
