"""The live room's viewer and replay pages speak the buyer's language (web/i18n.py): their
browser's against the market's, their setting, ``?lang=`` (remembered); right to left for
Arabic; an unknown room answers in the buyer's language too, never a 500."""

from __future__ import annotations

import json
import re

import httpx

from chuhai.web import i18n
from tests.factories import make_buyer, make_tenant


async def open_room(client: httpx.AsyncClient, tenant, markets: list[str],
                    titles: dict[str, str]) -> str:
    created = await client.post("/api/rooms", headers=tenant.headers, json={
        "titles": titles, "markets": markets, "scheduled_at": "2030-01-01T12:00:00Z"})
    assert created.status_code == 201, created.text
    room = created.json()["id"]
    assert (await client.post(f"/api/rooms/{room}/open", headers=tenant.headers)
            ).status_code == 200
    return room


def html_tag(page: httpx.Response) -> tuple[str, str]:
    m = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', page.text)
    assert m, page.text[:200]
    return m[1], m[2]


def said(lang: str, message: str) -> str:
    text = i18n.translations(lang).gettext(message)
    assert text != message
    return text


async def test_a_visitor_is_greeted_in_their_browsers_language_among_the_markets(
        app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    room = await open_room(app_client, tenant, ["JP", "DE"],
                           {"en": "Night market", "ja": "夜市", "de": "Nachtmarkt"})
    ja = await app_client.get(f"/live/{room}?market=JP", headers={"Accept-Language": "ja-JP"})
    assert html_tag(ja) == ("ja", "ltr")
    assert said("ja", "Checkout") in ja.text and "夜市" in ja.text
    assert 'data-lang="ja"' in ja.text  # the chat is translated into the same language
    # No usable header: the market's language; a browser the market does not speak but the
    # project does: that one.
    de = await app_client.get(f"/live/{room}?market=DE", headers={"Accept-Language": "zz"})
    assert html_tag(de)[0] == "de" and "Nachtmarkt" in de.text
    fr = await app_client.get(f"/live/{room}?market=DE", headers={"Accept-Language": "fr-CH"})
    assert html_tag(fr)[0] == "fr" and said("fr", "Share") in fr.text
    catalog = re.search(r'<script type="application/json" id="i18n-catalog">(.*?)</script>',
                        fr.text, re.S)
    assert catalog and json.loads(catalog[1])["Sold out"] == said("fr", "Sold out")


async def test_the_buyers_setting_and_then_a_language_asked_for_which_is_remembered(
        app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    room = await open_room(app_client, tenant, ["DE"], {"en": "Night market"})
    lena = await make_buyer(stores, settings, "DE")  # German is her setting
    page = await app_client.get(f"/live/{room}", headers={**lena.headers,
                                                            "Accept-Language": "en-US"})
    assert html_tag(page) == ("de", "ltr") and "Night market" in page.text
    arabic = await app_client.get(f"/live/{room}?lang=ar", headers=lena.headers)
    assert html_tag(arabic) == ("ar", "rtl")
    assert f"{i18n.COOKIE}=ar" in arabic.headers["set-cookie"]
    again = await app_client.get(f"/live/{room}", headers={
        **lena.headers, "Cookie": f"{lena.headers['Cookie']}; {i18n.COOKIE}=ar"})
    assert html_tag(again) == ("ar", "rtl")
    app_client.cookies.clear()  # a visitor who never asked
    for odd in ("xx", "<script>", "de" * 500, ""):
        resp = await app_client.get(f"/live/{room}", params={"lang": odd}, headers={
            "Accept-Language": "x" * 10_000})
        assert resp.status_code == 200 and html_tag(resp)[0] == "de"


async def test_the_replay_and_an_unknown_room_speak_the_visitors_language(
        app_client, stores, settings):
    tenant = await make_tenant(stores, settings)
    room = await open_room(app_client, tenant, ["US"], {"en": "Night market"})
    assert (await app_client.post(f"/api/rooms/{room}/end", headers=tenant.headers)
            ).status_code == 200
    replay = await app_client.get(f"/replay/{room}", headers={"Accept-Language": "ko"})
    assert html_tag(replay) == ("ko", "ltr") and said("ko", "Products shown") in replay.text
    gone = await app_client.get("/live/room_nope", headers={"Accept-Language": "ar-SA"})
    assert gone.status_code == 404 and html_tag(gone) == ("ar", "rtl")
    assert said("ar", "This live room was not found.") in gone.text
