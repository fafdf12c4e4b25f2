"""Speech to captions: voice-activity detection, then a speech-recognition engine on the
stretches where someone speaks, then cues a viewer can read.

Engines (``CHUHAI_ASR_ENGINE``): faster-whisper (a local CTranslate2 model directory), Vosk
(a local model directory), an OpenAI-compatible ``/audio/transcriptions`` endpoint (for
production), and PocketSphinx, whose wheel ships an English model — the engine tests and
the demo run for real. Its accuracy is poor: it proves timestamps and the pipeline, not
quality, and the player says so. Detection first (WebRTC's VAD), so silence and music give
no invented words.
"""

from __future__ import annotations

import concurrent.futures
import io
import math
import wave
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import av

from chuhai.video.captions import Cue

if TYPE_CHECKING:
    from chuhai.core.config import Settings

RATE = 16_000
FRAME_MS = 30
MIN_SPEECH_S = 0.3
JOIN_GAP_S = 0.5
CUE_CHARS = 42
CUE_MAX_S = 6.0
CUE_GAP_S = 0.6


class AsrError(RuntimeError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float


class Engine(Protocol):
    name: str
    note: str  # what a viewer should know (PocketSphinx: "automatic, low accuracy")

    def languages(self) -> set[str] | None: ...  # None: any
    def transcribe(self, pcm: bytes, lang: str) -> list[Word]: ...


def pcm16k(path: Path) -> bytes:
    """The sound track as 16 kHz mono 16-bit PCM (what every engine and the VAD want)."""
    out = bytearray()
    try:
        with av.open(str(path)) as c:
            if not c.streams.audio:
                return b""
            res = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            for frame in c.decode(audio=0):
                for rf in res.resample(frame):
                    out += bytes(rf.planes[0])[: rf.samples * 2]
            for rf in res.resample(None):
                out += bytes(rf.planes[0])[: rf.samples * 2]
    except av.error.FFmpegError as exc:
        raise AsrError("audio_unreadable", f"the sound cannot be read: {exc}") from None
    return bytes(out)


def speech(pcm: bytes, aggressiveness: int = 3) -> list[tuple[float, float]]:
    """Where someone speaks: WebRTC VAD on 30 ms frames, runs shorter than MIN_SPEECH_S
    dropped and gaps shorter than JOIN_GAP_S bridged."""
    import webrtcvad

    vad = webrtcvad.Vad(aggressiveness)
    step = RATE * FRAME_MS // 1000 * 2
    runs: list[list[float]] = []
    for i in range(0, len(pcm) - step + 1, step):
        if vad.is_speech(pcm[i:i + step], RATE):
            t = i / 2 / RATE
            if runs and t - runs[-1][1] <= JOIN_GAP_S:
                runs[-1][1] = t + FRAME_MS / 1000
            else:
                runs.append([t, t + FRAME_MS / 1000])
    return [(a, b) for a, b in runs if b - a >= MIN_SPEECH_S and _varies(pcm, a, b)]


def _varies(pcm: bytes, start: float, end: float) -> bool:
    """Speech rises and falls with its syllables; a steady tone, hum or drone does not
    (WebRTC's VAD takes a pure tone for a voice): the loudness of 30 ms frames must vary by
    at least a quarter of its mean."""
    step = RATE * FRAME_MS // 1000 * 2
    a, b = int(start * RATE) * 2, int(end * RATE) * 2
    levels = [_frame_rms(pcm[i:i + step]) for i in range(a, b - step + 1, step)]
    if len(levels) < 2:
        return False
    mean = sum(levels) / len(levels)
    if mean == 0:
        return False
    sd = math.sqrt(sum((x - mean) ** 2 for x in levels) / len(levels))
    return bool(sd / mean >= 0.25)


def _frame_rms(frame: bytes) -> float:
    samples = array("h", frame[: len(frame) // 2 * 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(x * x for x in samples) / len(samples))


def cues(words: Sequence[Word]) -> list[Cue]:
    """Words grouped into cues: a pause, a full line or six seconds ends one."""
    out: list[Cue] = []
    run: list[Word] = []
    for w in words:
        if run and (w.start_s - run[-1].end_s > CUE_GAP_S
                    or len(" ".join(x.text for x in run)) + 1 + len(w.text) > CUE_CHARS
                    or w.end_s - run[0].start_s > CUE_MAX_S):
            out.append(Cue(round(run[0].start_s, 3), round(run[-1].end_s, 3),
                           " ".join(x.text for x in run)))
            run = []
        run.append(w)
    if run:
        out.append(Cue(round(run[0].start_s, 3), round(run[-1].end_s, 3),
                       " ".join(x.text for x in run)))
    return out


def transcribe(path: Path, lang: str, engine: Engine, timeout_s: float = 600.0
               ) -> list[Cue]:
    """Captions for the speech in ``path``; an engine that does not answer within
    ``timeout_s`` is an error (the job is retried, then fails with the reason)."""
    supported = engine.languages()
    base = lang.split("-")[0]
    if supported is not None and base not in supported:
        raise AsrError("asr_language_unsupported",
                       f"{engine.name} does not recognise {lang}; upload captions instead")
    pcm = pcm16k(path)
    words: list[Word] = []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        for start, end in speech(pcm):
            piece = pcm[int(start * RATE) * 2:int(end * RATE) * 2]
            future = pool.submit(engine.transcribe, piece, base)
            try:
                found = future.result(timeout=timeout_s)
            except concurrent.futures.TimeoutError:
                raise AsrError("asr_timeout", f"{engine.name} did not answer within "
                               f"{timeout_s:.0f} s") from None
            words += [Word(w.text, round(w.start_s + start, 3), round(w.end_s + start, 3))
                      for w in found if w.text]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return cues(words)


def wav(pcm: bytes) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return buf.getvalue()


class PocketSphinx:
    name = "pocketsphinx"
    note = "automatic captions (PocketSphinx, English; low accuracy)"

    def languages(self) -> set[str] | None:
        return {"en"}

    def transcribe(self, pcm: bytes, lang: str) -> list[Word]:
        from pocketsphinx import Decoder

        d = Decoder(samprate=RATE, loglevel="FATAL")
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        out = []
        for seg in d.seg():
            word = seg.word.split("(")[0]
            if word.startswith(("<", "[")):
                continue
            out.append(Word(word, seg.start_frame / 100, seg.end_frame / 100))
        return out


class FasterWhisper:
    """A local faster-whisper (CTranslate2) model directory; runs on CPU or GPU."""

    name = "faster-whisper"
    note = "automatic captions (Whisper)"

    def __init__(self, model_dir: str) -> None:
        from faster_whisper import WhisperModel  # optional: pip install faster-whisper

        self.model = WhisperModel(model_dir, device="auto", compute_type="int8")

    def languages(self) -> set[str] | None:
        return None

    def transcribe(self, pcm: bytes, lang: str) -> list[Word]:
        import numpy as np  # comes with faster-whisper

        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        segments, _ = self.model.transcribe(audio, language=lang, word_timestamps=True,
                                            vad_filter=False)
        return [Word(w.word.strip(), w.start, w.end) for s in segments for w in (s.words or [])]


class Vosk:
    """A local Vosk (Kaldi) model directory for the model's language."""

    name = "vosk"
    note = "automatic captions (Vosk)"

    def __init__(self, model_dir: str, lang: str) -> None:
        from vosk import Model  # optional: pip install vosk

        self.model, self.lang = Model(model_dir), lang

    def languages(self) -> set[str] | None:
        return {self.lang}

    def transcribe(self, pcm: bytes, lang: str) -> list[Word]:
        import json

        from vosk import KaldiRecognizer

        rec = KaldiRecognizer(self.model, RATE)
        rec.SetWords(True)
        rec.AcceptWaveform(pcm)
        result = json.loads(rec.FinalResult())
        return [Word(w["word"], w["start"], w["end"]) for w in result.get("result", [])]


class OpenAICompatible:
    """``POST {url}/audio/transcriptions`` (OpenAI, or a local whisper server speaking its
    API) with word timestamps."""

    name = "openai"
    note = "automatic captions"

    def __init__(self, url: str, api_key: str | None, model: str, timeout_s: float) -> None:
        self.url, self.api_key, self.model, self.timeout_s = url.rstrip("/"), api_key, model, \
            timeout_s

    def languages(self) -> set[str] | None:
        return None

    def transcribe(self, pcm: bytes, lang: str) -> list[Word]:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            r = httpx.post(f"{self.url}/audio/transcriptions", headers=headers,
                           timeout=self.timeout_s,
                           files={"file": ("speech.wav", wav(pcm), "audio/wav")},
                           data={"model": self.model, "language": lang,
                                 "response_format": "verbose_json",
                                 "timestamp_granularities[]": "word"})
            r.raise_for_status()
            body = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AsrError("asr_failed", f"{self.url}: {exc}") from None
        return [Word(str(w.get("word", "")).strip(), float(w["start"]), float(w["end"]))
                for w in body.get("words", []) if "start" in w and "end" in w]


def engine_for(kind: str, *, model_dir: str | None = None, url: str | None = None,
               api_key: str | None = None, model: str = "whisper-1", lang: str = "en",
               timeout_s: float = 600.0) -> Engine:
    """The configured engine (``auto``: faster-whisper or Vosk when a model directory is
    set and the package is installed, the endpoint when a URL is set, else PocketSphinx)."""
    if kind in ("openai", "auto") and url:
        return OpenAICompatible(url, api_key, model, timeout_s)
    if kind in ("faster-whisper", "auto") and model_dir:
        try:
            return FasterWhisper(model_dir)
        except ImportError:
            if kind == "faster-whisper":
                raise AsrError("asr_unavailable", "faster-whisper is not installed") from None
    if kind in ("vosk", "auto") and model_dir:
        try:
            return Vosk(model_dir, lang)
        except ImportError:
            if kind == "vosk":
                raise AsrError("asr_unavailable", "vosk is not installed") from None
    if kind in ("pocketsphinx", "auto"):
        try:
            import pocketsphinx  # noqa: F401
        except ImportError:
            raise AsrError("asr_unavailable", "no speech-recognition engine is installed "
                           "(pip install pocketsphinx, or set CHUHAI_ASR_URL)") from None
        return PocketSphinx()
    raise AsrError("asr_unavailable", f"speech-recognition engine {kind!r} is not set up")


def for_settings(settings: Settings, lang: str) -> Engine:
    """The engine the settings name (``CHUHAI_ASR_*``), for speech in ``lang``."""
    return engine_for(settings.asr_engine, model_dir=settings.asr_model_dir,
                      url=settings.asr_url, api_key=settings.asr_api_key,
                      model=settings.asr_model, lang=lang.split("-")[0],
                      timeout_s=settings.asr_timeout_s)
