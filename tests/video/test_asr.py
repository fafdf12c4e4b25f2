"""Captions from speech: voice-activity detection first (silence and a tone give no words),
then PocketSphinx — its English model ships in its wheel — on the stretches of speech, then
cues inside the video. Its accuracy is poor; these tests prove the timing and the pipeline.
Speech is made here with espeak-ng (Debian's package; .ci/run installs it)."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chuhai.core.db import Stores
from chuhai.live.simulate import ffmpeg_exe
from chuhai.video import asr, processing
from chuhai.video.captions import parse_vtt
from chuhai.video.models import Video
from tests.comms.test_providers import ServedApp
from tests.conftest import IN_CI
from tests.factories import make_tenant
from tests.video.test_api import upload
from tests.video.test_jobs import _cli, _env

SAID = ("Hello and welcome. These headphones cancel the noise on the train. "
        "The battery lasts thirty hours.")


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vertical clip whose sound is a person (a synthetic voice) speaking English."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        if IN_CI:
            pytest.fail("espeak-ng is needed (apt-get install espeak-ng); .ci/run installs it")
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    d = tmp_path_factory.mktemp("speech")
    subprocess.run([espeak, "-s", "150", "-w", str(d / "said.wav"), SAID], check=True,
                   timeout=60)
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=25",
                    "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo:d=0.8",
                    "-i", str(d / "said.wav"),
                    "-filter_complex", "[1:a][2:a]concat=n=2:v=0:a=1[a]",
                    "-map", "0:v", "-map", "[a]", "-shortest", "-t", "12",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(d / "spoken.mp4")], check=True, timeout=120)
    return d / "spoken.mp4"


def test_silence_and_a_tone_are_not_speech(clips: dict[str, Path]) -> None:
    assert asr.speech(b"\x00\x00" * asr.RATE * 2) == []
    assert asr.speech(asr.pcm16k(clips["small"])) == []  # a 440 Hz tone, two seconds


def test_words_become_readable_cues() -> None:
    words = [asr.Word("hello", 0.0, 0.4), asr.Word("world", 0.45, 0.9),
             asr.Word("again", 2.0, 2.4)]
    got = [(c.start_s, c.end_s, c.text) for c in asr.cues(words)]
    assert got == [(0.0, 0.9, "hello world"), (2.0, 2.4, "again")]


def test_pocketsphinx_captions_speech_with_times_inside_the_clip(spoken: Path) -> None:
    started = time.perf_counter()
    cues = asr.transcribe(spoken, "en", asr.PocketSphinx())
    took = time.perf_counter() - started
    assert cues, "no words recognised"
    assert cues[0].start_s >= 0.5  # the clip opens with 0.8 s of silence
    assert all(0 <= c.start_s < c.end_s <= 12.5 for c in cues)
    assert all(a.end_s <= b.start_s for a, b in itertools.pairwise(cues))
    assert took < 60


def test_a_language_the_engine_does_not_know_and_a_hung_engine_are_errors(
        spoken: Path) -> None:
    with pytest.raises(asr.AsrError) as err:
        asr.transcribe(spoken, "de", asr.PocketSphinx())
    assert err.value.code == "asr_language_unsupported"

    class Hung:
        name, note = "hung", ""

        def languages(self) -> set[str] | None:
            return None

        def transcribe(self, pcm: bytes, lang: str) -> list[asr.Word]:
            time.sleep(3)
            return []

    with pytest.raises(asr.AsrError) as err:
        asr.transcribe(spoken, "en", Hung(), timeout_s=0.2)
    assert err.value.code == "asr_timeout"


async def test_automatic_captions_are_made_while_processing(
        app_client: httpx.AsyncClient, stores: Stores, settings: Any, spoken: Path) -> None:
    tenant = await make_tenant(stores, settings)
    up = await upload(app_client, tenant, spoken.read_bytes(), spoken.name)
    german = await app_client.post("/api/videos", headers=tenant.headers, json={
        "upload_id": up, "language": "de", "auto_captions": True, "markets": ["DE"]})
    assert (german.status_code, german.json()["code"]) == (422, "asr_language_unsupported")
    r = await app_client.post("/api/videos", headers=tenant.headers, json={
        "upload_id": up, "language": "en", "auto_captions": True, "markets": ["DE"],
        "texts": {"en": {"title": "Quiet on the train"}}})
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    assert await processing.process(stores, vid) == "ready"
    async with stores.session() as s:
        video = await s.get(Video, vid)
        assert video is not None
        [cap] = video.captions
        assert (cap.lang, cap.source) == ("en", "asr") and cap.cues >= 1


def echo_translator(log: list[Any]) -> Starlette:
    """A stand-in speaking LibreTranslate's API that "translates" anything by marking it
    with the target language (the chain, not translation quality, is under test)."""
    async def translate(request: Request) -> JSONResponse:
        body = await request.json()
        log.append(body)
        return JSONResponse({"translatedText": f"[{body['target']}] {body['q']}"})

    return Starlette(routes=[Route("/translate", translate, methods=["POST"])])


def test_the_ingest_command_captions_translates_screens_and_publishes(
        tmp_path: Path, spoken: Path) -> None:
    """The issue's finish line: `chuhai video ingest clip.mp4 --auto-captions --markets
    DE,JP,SA --publish --wait --json` on a spoken clip."""
    served = ServedApp(echo_translator)
    served.start()
    try:
        env = {**_env(tmp_path), "CHUHAI_LIBRETRANSLATE_URL": served.url,
               "CHUHAI_TRANSLATE_PROVIDERS": "libretranslate"}
        env.pop("CHUHAI_DATABASE_URL")
        _cli(env, "migrate")
        _cli(env, "user", "create", "--org", "clipco", "--email", "o@clipco.example",
             "--role", "owner", "--name", "O", "--password", "a-long-password")
        out = json.loads(_cli(env, "video", "ingest", str(spoken), "--org", "clipco",
                              "--auto-captions", "--markets", "DE,JP,SA", "--publish",
                              "--wait", "--json"))
    finally:
        served.stop()
    assert out["status"] == "ready"
    captions = {c["lang"]: c for c in out["captions"]}
    assert captions["en"]["source"] == "asr" and captions["en"]["cues"] >= 1
    assert captions["de"]["source"] == captions["ja"]["source"] == "translation"
    assert "ar" in captions  # Saudi Arabia's language too
    media = tmp_path / "var" / "media"
    for lang in ("en", "de", "ja"):
        key = captions[lang]["url"].removeprefix("/media/")
        cues = parse_vtt((media / key).read_text("utf-8"), out["duration_s"])
        assert all(0 <= c.start_s < c.end_s <= out["duration_s"] + 0.05 for c in cues)
        if lang != "en":
            assert cues[0].text.startswith(f"[{lang}]")  # through the chain
    assert {m["market"]: m["state"] for m in out["markets"]} == {
        "DE": "published", "JP": "published", "SA": "published"}
