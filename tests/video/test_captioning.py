"""The seller corrects captions cue by cue: one cue's text or times change, a new file is
written, and that cue alone is screened again where the video airs or was held — the
findings on the rest stand as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from chuhai.comms.service import default_screener
from chuhai.core.db import Stores
from chuhai.core.errors import DomainError
from chuhai.video import processing
from chuhai.video.captioning import corrected
from chuhai.video.captions import Cue
from chuhai.video.screening import Said, rescreen, said, screen
from tests.factories import make_tenant
from tests.video.test_api import make_video
from tests.video.test_screening import WINE

CUES = [Cue(0.2, 1.2, "Hello!"), Cue(1.2, 1.9, "Perfect with a glass of wine.")]


class CountingScreener:
    """The real screener, remembering every text it was asked about."""

    def __init__(self) -> None:
        self.real = default_screener()
        self.semantic = self.real.semantic
        self.asked: list[tuple[str, str]] = []

    def screen(self, text: str, lang: str, market: str, side: str = "viewer",
               meaning: bool = False) -> Any:
        if not meaning:  # a line is read by its words first, then (if clean) by meaning
            self.asked.append((market, text))
        return self.real.screen(text, lang, market, side=side, meaning=meaning)


@pytest.mark.parametrize(("index", "text", "start", "end", "code"), [
    (2, "Hi", None, None, "cue_not_found"),
    (0, " \n ", None, None, "cue_text_empty"),
    (0, "a --> b", None, None, "cue_text_invalid"),
    (0, "x" * 301, None, None, "cue_text_invalid"),
    (0, "1\n2\n3\n4", None, None, "cue_text_invalid"),
    (0, None, 0.5, 1.5, "cue_time_invalid"),  # runs into the next cue
    (1, None, 1.0, None, "cue_time_invalid"),  # starts inside the one before
    (1, None, None, 9.0, "cue_time_invalid"),  # past the video
    (0, None, 1.0, 0.5, "cue_time_invalid"),
])
def test_a_correction_is_checked_like_an_uploaded_cue(
        index: int, text: str | None, start: float | None, end: float | None,
        code: str) -> None:
    with pytest.raises(DomainError) as err:
        corrected(CUES, index, text, start, end, duration_s=2.0)
    assert err.value.code == code


def test_a_correction_keeps_what_it_does_not_name_and_tidies_the_text() -> None:
    fixed = corrected(CUES, 1, "  Perfect with   a cup\r\n\n of tea. ", None, None, 2.0)
    assert fixed == Cue(1.2, 1.9, "Perfect with a cup\nof tea.")
    assert corrected(CUES, 0, None, 0.0, 1.1, 2.0) == Cue(0.0, 1.1, "Hello!")


def test_rescreening_looks_only_at_the_changed_line_and_keeps_the_other_findings() -> None:
    texts = {"en": {"title": "This cream cures acne", "description": ""}}
    before = screen(default_screener(), "SA", said(texts, {"en": CUES}))
    assert {f["where"] for f in before} == {"texts.en.title", "captions.en"}
    counting = CountingScreener()
    line = Said("captions.en", "en", "Perfect with a cup of tea.", 1, 1.2, 1.9)
    after = rescreen(counting, "SA", before, [line])  # type: ignore[arg-type]
    assert counting.asked == [("SA", "Perfect with a cup of tea.")]
    assert [f["where"] for f in after] == ["texts.en.title"]
    assert after[0] == next(f for f in before if f["where"] == "texts.en.title")
    # a whole file sent again: every old finding on it gives way
    assert rescreen(counting, "SA", before, [], replaced={"captions.en"}) == [
        f for f in before if f["where"] == "texts.en.title"]


async def _published(client: httpx.AsyncClient, stores: Stores, settings: Any,
                     clip: Path) -> tuple[Any, str]:
    tenant = await make_tenant(stores, settings)
    vid = (await make_video(client, tenant, clip, ["DE", "SA"]))["id"]
    assert await processing.process(stores, vid) == "ready"
    r = await client.post(f"/api/videos/{vid}/captions", headers=tenant.headers,
                          json={"lang": "en", "vtt": WINE})
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/videos/{vid}/publish", headers=tenant.headers,
                          json={"markets": []})
    states = {m["market"]: m["state"] for m in r.json()["markets"]}
    assert states == {"DE": "published", "SA": "held"}
    return tenant, vid


async def test_fixing_the_cue_that_held_it_publishes_it_and_screens_nothing_else(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, vid = await _published(app_client, stores, settings, clips["small"])
    listed = await app_client.get(f"/api/videos/{vid}/captions/en", headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    assert [c["text"] for c in listed.json()["cues"]] == ["Hello!",
                                                          "Perfect with a glass of wine."]
    counting = CountingScreener()
    monkeypatch.setattr("chuhai.video.service.default_screener",
                        lambda meaning=True: counting)
    r = await app_client.patch(f"/api/videos/{vid}/captions/en/cues/1",
                               headers=tenant.headers,
                               json={"text": "Perfect with a cup of tea."})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {m["market"]: (m["state"], m["findings"]) for m in body["markets"]} == {
        "DE": ("published", []), "SA": ("published", [])}
    assert sorted(counting.asked) == [("DE", "Perfect with a cup of tea."),
                                      ("SA", "Perfect with a cup of tea.")]
    [caption] = body["captions"]
    assert caption["source"] == "edited" and caption["cues"] == 2
    again = await app_client.get(f"/api/videos/{vid}/captions/en", headers=tenant.headers)
    assert again.json()["cues"][1]["text"] == "Perfect with a cup of tea."
    assert again.json()["cues"][0]["text"] == "Hello!"

    # the same correction again changes nothing and screens nothing
    counting.asked.clear()
    same = await app_client.patch(f"/api/videos/{vid}/captions/en/cues/1",
                                  headers=tenant.headers,
                                  json={"text": "Perfect with a cup of tea."})
    assert same.status_code == 200 and counting.asked == []
    assert same.json()["captions"][0]["url"] == caption["url"]


async def test_a_correction_that_says_something_a_market_forbids_holds_it_there(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    tenant, vid = await _published(app_client, stores, settings, clips["small"])
    await app_client.patch(f"/api/videos/{vid}/captions/en/cues/1", headers=tenant.headers,
                           json={"text": "Perfect with a cup of tea."})
    r = await app_client.patch(f"/api/videos/{vid}/captions/en/cues/0",
                               headers=tenant.headers, json={"text": "Enjoy it with wine tonight"})
    sa = next(m for m in r.json()["markets"] if m["market"] == "SA")
    assert sa["state"] == "held"
    assert [(f["where"], f["cue"]) for f in sa["findings"]] == [("captions.en", 0)]
    de = next(m for m in r.json()["markets"] if m["market"] == "DE")
    assert de["state"] == "published"


async def test_a_changed_title_is_screened_where_it_airs(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    tenant, vid = await _published(app_client, stores, settings, clips["small"])
    r = await app_client.patch(f"/api/videos/{vid}", headers=tenant.headers, json={
        "texts": {"en": {"title": "Enjoy it with wine tonight"}}})
    assert r.status_code == 200, r.text
    sa = next(m for m in r.json()["markets"] if m["market"] == "SA")
    assert sorted((f["where"], f["cue"]) for f in sa["findings"]) == [
        ("captions.en", 1), ("texts.en.title", None)]


async def test_bad_corrections_get_stable_codes_and_change_nothing(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    tenant, vid = await _published(app_client, stores, settings, clips["small"])
    other = await make_tenant(stores, settings)
    cases = [
        (f"/api/videos/{vid}/captions/fr/cues/0", tenant, {"text": "Salut"}, 404,
         "captions_not_found"),
        (f"/api/videos/{vid}/captions/en/cues/7", tenant, {"text": "Hi"}, 404,
         "cue_not_found"),
        (f"/api/videos/{vid}/captions/en/cues/0", tenant, {"text": ""}, 422, None),
        (f"/api/videos/{vid}/captions/en/cues/0", tenant, {"text": ["a"]}, 422, None),
        (f"/api/videos/{vid}/captions/en/cues/-1", tenant, {"text": "Hi"}, 422, None),
        (f"/api/videos/{vid}/captions/en/cues/0", tenant, {"start_s": 1.5}, 422,
         "cue_time_invalid"),
        (f"/api/videos/{vid}/captions/en/cues/0", other, {"text": "Hi"}, 404,
         "video_not_found"),
    ]
    for url, who, body, status, code in cases:
        r = await app_client.patch(url, headers=who.headers, json=body)
        assert r.status_code == status, (url, body, r.text)
        if code:
            assert r.json()["code"] == code, r.text
    listed = await app_client.get(f"/api/videos/{vid}/captions/en", headers=tenant.headers)
    assert [c["text"] for c in listed.json()["cues"]] == ["Hello!",
                                                          "Perfect with a glass of wine."]


async def test_what_is_stored_is_what_was_screened_not_the_file_as_sent(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    """A line of spaces ends a cue for the checker but not for a browser: had the file been
    stored as sent, a line after it would air unscreened."""
    tenant = await make_tenant(stores, settings)
    vid = (await make_video(app_client, tenant, clips["small"], ["SA"]))["id"]
    assert await processing.process(stores, vid) == "ready"
    sneaky = "WEBVTT\n\n00:00.200 --> 00:01.200\nHello!\n   \nPerfect with a glass of wine.\n"
    r = await app_client.post(f"/api/videos/{vid}/captions", headers=tenant.headers,
                              json={"lang": "en", "vtt": sneaky})
    assert r.status_code == 201, r.text
    key = r.json()["captions"][0]["url"].removeprefix("/media/")
    served = (settings.data_dir / "media" / key).read_text("utf-8")
    assert "wine" not in served and "Hello!" in served
    published = await app_client.post(f"/api/videos/{vid}/publish", headers=tenant.headers,
                                      json={"markets": []})
    assert published.json()["markets"][0]["state"] == "published"


async def test_unpublishing_a_held_market_keeps_a_later_fix_from_publishing_it(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any,
        clips: dict[str, Path]) -> None:
    tenant, vid = await _published(app_client, stores, settings, clips["small"])
    r = await app_client.post(f"/api/videos/{vid}/unpublish", headers=tenant.headers,
                              json={"markets": ["SA"]})
    assert next(m for m in r.json()["markets"] if m["market"] == "SA")["state"] == "ready"
    fixed = await app_client.patch(f"/api/videos/{vid}/captions/en/cues/1",
                                   headers=tenant.headers,
                                   json={"text": "Perfect with a cup of tea."})
    sa = next(m for m in fixed.json()["markets"] if m["market"] == "SA")
    assert sa["state"] == "ready"  # the seller took it off; a fix does not put it back
