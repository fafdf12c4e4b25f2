"""Before it airs: what a video says — title, description, every caption cue — is screened
against each chosen market; it is published where it passes and held where it does not,
with what was said, where, and a suggested rewrite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from chuhai.comms.service import default_screener
from chuhai.core.db import Stores
from chuhai.video import processing
from chuhai.video.captions import Cue
from chuhai.video.screening import said, screen
from tests.factories import make_tenant
from tests.video.test_api import make_video

WINE = ("WEBVTT\n\n00:00.200 --> 00:01.200\nHello!\n\n"
        "00:01.200 --> 00:01.900\nPerfect with a glass of wine.\n")


def test_a_disease_claim_in_the_title_holds_the_video_in_japan() -> None:
    lines = said({"en": {"title": "This cream cures acne", "description": ""}}, {})
    found = screen(default_screener(), "JP", lines)
    assert found and found[0]["where"] == "texts.en.title"
    assert {f["action"] for f in found} == {"block"}
    assert any(f["rule"].startswith("JP.") for f in found)


def test_a_caption_cue_about_wine_holds_it_in_saudi_arabia_only() -> None:
    lines = said({"en": {"title": "Evening headphones", "description": ""}},
                 {"en": [Cue(0.2, 1.2, "Hello!"),
                         Cue(1.2, 1.9, "Perfect with a glass of wine.")]})
    [wine] = screen(default_screener(), "SA", lines)
    assert (wine["where"], wine["cue"], wine["start_s"], wine["end_s"]) == (
        "captions.en", 1, 1.2, 1.9)
    assert wine["category"] and wine["suggestion"]  # a rewrite to offer the seller
    assert screen(default_screener(), "DE", lines) == []
    assert screen(default_screener(), "JP", lines) == []


async def test_publishing_airs_it_where_it_passes_and_holds_it_where_it_does_not(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    tenant = await make_tenant(stores, settings)
    vid = (await make_video(app_client, tenant, clips["small"], ["DE", "JP", "SA"]))["id"]
    assert await processing.process(stores, vid) == "ready"
    ok = await app_client.post(f"/api/videos/{vid}/captions", headers=tenant.headers,
                               json={"lang": "en", "vtt": WINE})
    assert ok.status_code == 201, ok.text
    out = await app_client.post(f"/api/videos/{vid}/publish", headers=tenant.headers,
                                json={"markets": []})
    assert out.status_code == 200, out.text
    states = {m["market"]: m for m in out.json()["markets"]}
    assert (states["DE"]["state"], states["JP"]["state"]) == ("published", "published")
    assert states["SA"]["state"] == "held"
    [finding] = states["SA"]["findings"]
    assert (finding["where"], finding["cue"]) == ("captions.en", 1)
    # the seller changes the title to a disease claim: publishing again holds it in JP too
    await app_client.patch(f"/api/videos/{vid}", headers=tenant.headers, json={
        "texts": {"en": {"title": "This cream cures acne"}}})
    again = await app_client.post(f"/api/videos/{vid}/publish", headers=tenant.headers,
                                  json={"markets": ["JP"]})
    jp = next(m for m in again.json()["markets"] if m["market"] == "JP")
    assert jp["state"] == "held" and jp["findings"][0]["where"] == "texts.en.title"
