"""Captions in the buyer's language: sentences split across cues are rejoined before
translation, each translated once through the chain, then laid back over their time at a
readable speed (at most 17 characters a second where the time allows)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chuhai.app import create_app
from chuhai.core.db import Stores
from chuhai.video import service
from chuhai.video.caption_origin import mark_behind
from chuhai.video.caption_translation import MAX_CPS, lay_out, sentences, translate_cues
from chuhai.video.captions import Cue, parse_vtt
from chuhai.video.models import Video, VideoCaption
from tests.comms.test_providers import ServedApp, libretranslate_app
from tests.factories import make_tenant
from tests.video.test_api import make_video
from tests.web.test_pages import sign_in


def test_a_sentence_cut_across_cues_is_rejoined_and_a_pause_ends_one() -> None:
    cues = [Cue(0.0, 1.0, "Hello world,"), Cue(1.1, 2.0, "the battery lasts"),
            Cue(2.1, 3.0, "thirty hours."), Cue(4.5, 5.0, "Tap buy")]
    got = [(s.text, s.start_s, s.end_s) for s in sentences(cues)]
    assert got == [("Hello world, the battery lasts thirty hours.", 0.0, 3.0),
                   ("Tap buy", 4.5, 5.0)]


def test_a_long_line_is_laid_out_in_cues_a_viewer_can_read() -> None:
    text = "Diese Kopfhörer unterdrücken Geräusche in der Bahn und halten dreißig Stunden"
    cues = lay_out(text, 10.0, 16.0, "de")
    assert len(cues) > 1
    assert cues[0].start_s == 10.0 and cues[-1].end_s == 16.0
    assert all(a.end_s == b.start_s for a, b in itertools.pairwise(cues))
    assert all(len(c.text) / (c.end_s - c.start_s) <= MAX_CPS + 1 for c in cues)
    assert " ".join(c.text for c in cues) == text  # split at words, nothing lost


def test_japanese_is_split_between_characters() -> None:
    cues = lay_out("このヘッドホンは電車の中でも騒音を消して三十時間使えます", 0.0, 2.0, "ja")
    assert len(cues) == 2 and "".join(c.text for c in cues).startswith("このヘッドホン")


async def test_each_sentence_is_translated_once() -> None:
    seen: list[str] = []

    async def upper(text: str) -> str:
        seen.append(text)
        return text.upper()

    out = await translate_cues([Cue(0, 1, "hello"), Cue(1.1, 2, "world.")], upper, "de")
    assert seen == ["hello world."] and [c.text for c in out] == ["HELLO WORLD."]


@pytest.fixture(scope="module")
def libre() -> Iterator[str]:
    served = ServedApp(libretranslate_app)
    served.start()
    try:
        yield served.url
    finally:
        served.stop()


async def test_captions_go_through_the_chain_into_german_and_an_unsupported_language_says_so(
        stores: Stores, migrated_settings: Any, clips: dict[str, Path], libre: str) -> None:
    settings = migrated_settings.model_copy(update={
        "libretranslate_url": libre, "translate_providers": ("libretranslate",)})
    app = create_app(settings, stores=stores)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        tenant = await make_tenant(stores, settings)
        vid = (await make_video(client, tenant, clips["small"], ["DE"]))["id"]
        vtt = "WEBVTT\n\n00:00.100 --> 00:00.900\nhello\n\n00:01.000 --> 00:01.800\nworld.\n"
        r = await client.post(f"/api/videos/{vid}/captions", headers=tenant.headers,
                              json={"lang": "en", "vtt": vtt})
        assert r.status_code == 201, r.text
        t = await client.post(f"/api/videos/{vid}/captions/translate", headers=tenant.headers,
                              json={"source": "en", "targets": ["de"]})
        assert t.status_code == 200, t.text
        de = next(c for c in t.json()["captions"] if c["lang"] == "de")
        assert de["source"] == "translation" and de["cues"] >= 1
        async with stores.session() as s:
            video = await service.get_video(s, tenant.actor, vid)
            row = next(c for c in video.captions if c.lang == "de")
        text = (settings.data_dir / "media" / row.key).read_text("utf-8")
        cues = parse_vtt(text, 2.0)
        # the fake knows "hello" (and "world" only without its full stop): one sentence, once
        assert " ".join(c.text for c in cues) == "hallo world."
        assert cues[0].start_s == 0.1 and cues[-1].end_s == 1.8
        ja = await client.post(f"/api/videos/{vid}/captions/translate", headers=tenant.headers,
                               json={"source": "en", "targets": ["ja"]})
        assert (ja.status_code, ja.json()["code"]) == (409, "translation_unavailable")
        none = await client.post(f"/api/videos/{vid}/captions/translate",
                                 headers=tenant.headers, json={"source": "fr", "targets": ["de"]})
        assert (none.status_code, none.json()["code"]) == (404, "captions_not_found")


async def test_a_correction_in_the_source_carries_into_its_translations(
        stores: Stores, migrated_settings: Any, clips: dict[str, Path], libre: str) -> None:
    """The seller fixes an English cue: the German made from it is made again; with no
    translator left, it is kept and marked stale instead of the correction being refused,
    and translating again clears the mark."""
    settings = migrated_settings.model_copy(update={
        "libretranslate_url": libre, "translate_providers": ("libretranslate",)})
    app = create_app(settings, stores=stores)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        tenant = await make_tenant(stores, settings)
        vid = (await make_video(client, tenant, clips["small"], ["DE"]))["id"]
        vtt = "WEBVTT\n\n00:00.100 --> 00:00.900\nhello\n\n00:01.000 --> 00:01.800\nworld.\n"
        await client.post(f"/api/videos/{vid}/captions", headers=tenant.headers,
                          json={"lang": "en", "vtt": vtt})
        await client.post(f"/api/videos/{vid}/captions/translate", headers=tenant.headers,
                          json={"source": "en", "targets": ["de"]})

        async def german() -> str:
            cues = (await client.get(f"/api/videos/{vid}/captions/de",
                                     headers=tenant.headers)).json()["cues"]
            return " ".join(c["text"] for c in cues)

        assert await german() == "hallo world."
        r = await client.patch(f"/api/videos/{vid}/captions/en/cues/1",
                               headers=tenant.headers, json={"text": "hello."})
        assert r.status_code == 200, r.text
        de = next(c for c in r.json()["captions"] if c["lang"] == "de")
        assert (de["source"], de["from_lang"], de["stale"]) == ("translation", "en", False)
        assert await german() == "hallo hello."  # the correction reached the buyer's German
        # the translator goes away: the next correction is kept, the German marked behind
        providers, app.state.comms.chain.providers = app.state.comms.chain.providers, []
        r = await client.patch(f"/api/videos/{vid}/captions/en/cues/0",
                               headers=tenant.headers, json={"text": "world"})
        assert r.status_code == 200, r.text
        de = next(c for c in r.json()["captions"] if c["lang"] == "de")
        assert de["stale"] and await german() == "hallo hello."
        en = (await client.get(f"/api/videos/{vid}/captions/en",
                               headers=tenant.headers)).json()["cues"]
        assert en[0]["text"] == "world"
        await sign_in(client, tenant.email)  # the seller's console says so
        page = (await client.get("/console/videos")).text
        assert "behind the corrected en captions: translate again" in page
        app.state.comms.chain.providers = providers  # back: translating again clears it
        t = await client.post(f"/api/videos/{vid}/captions/translate", headers=tenant.headers,
                              json={"source": "en", "targets": ["de"]})
        de = next(c for c in t.json()["captions"] if c["lang"] == "de")
        assert not de["stale"] and await german() == "Welt hello."
        # the seller corrects the German by hand: their words, never behind a source again
        app.state.comms.chain.providers = []
        await client.patch(f"/api/videos/{vid}/captions/en/cues/0", headers=tenant.headers,
                           json={"text": "hello"})
        r = await client.patch(f"/api/videos/{vid}/captions/de/cues/0",
                               headers=tenant.headers, json={"text": "Hallo"})
        de = next(c for c in r.json()["captions"] if c["lang"] == "de")
        assert (de["source"], de["stale"], de["from_lang"]) == ("edited", False, None)


def test_a_new_source_file_marks_its_translations_and_theirs_behind() -> None:
    video = Video(id="vid_x", language="en")
    video.captions = [
        VideoCaption(lang="en", source="upload", key="a", cues=1),
        VideoCaption(lang="de", source="translation", key="b", cues=1, from_lang="en"),
        VideoCaption(lang="fr", source="translation", key="c", cues=1, from_lang="de"),
        VideoCaption(lang="ja", source="edited", key="d", cues=1, from_lang=None),
        VideoCaption(lang="es", source="translation", key="e", cues=1, from_lang="ja")]
    assert sorted(mark_behind(video, "en")) == ["de", "fr"]  # the chain, not the others
    assert [c.lang for c in video.captions if c.stale] == ["de", "fr"]
