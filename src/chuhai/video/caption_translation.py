"""Captions into another language, cue by cue with their timing, readable at speed.

Pure, but for the one call to the translator. Speech recognition and people cut sentences
across cues ("The battery lasts" | "thirty hours."); translating the halves apart gives
nonsense in languages with another word order, so consecutive cues are first rejoined into
sentences (a cue that does not end a sentence, followed closely by the next), each sentence
is translated once, and its translation is laid back over the sentence's time span — split
at word (or, for Chinese and Japanese, character) boundaries so no cue asks more than
17 characters a second of its reader, where the span allows.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from chuhai.video.captions import Cue

MAX_CPS = 17.0  # characters per second a viewer can read (subtitling guidelines)
# Fewer for scripts whose every character carries more (Netflix's timed-text style guides:
# Japanese 4, Chinese 9, Korean 12 characters a second).
CPS = {"ja": 4.0, "zh": 9.0, "ko": 12.0}
MAX_CUE_CHARS = 42  # one line across a phone held upright
CJK_CUE_CHARS = 16
MAX_GAP_S = 0.8  # a longer pause ends a sentence even without punctuation
MIN_CUE_S = 0.7
SENTENCE_END = re.compile(r"[.!?…。！？]([\"'”’)\]]*)\s*$")
NO_SPACES = ("ja", "zh", "th")


@dataclass(frozen=True)
class Sentence:
    text: str
    start_s: float
    end_s: float


def sentences(cues: Sequence[Cue]) -> list[Sentence]:
    """Cues rejoined where a sentence runs on into the next cue."""
    out: list[Sentence] = []
    run: list[Cue] = []
    for cue in cues:
        if run and (SENTENCE_END.search(run[-1].text) or cue.start_s - run[-1].end_s > MAX_GAP_S):
            out.append(_join(run))
            run = []
        run.append(cue)
    if run:
        out.append(_join(run))
    return out


def _join(run: list[Cue]) -> Sentence:
    text = " ".join(" ".join(c.text.split()) for c in run)
    return Sentence(text, run[0].start_s, run[-1].end_s)


def _pieces(text: str, lang: str) -> list[str]:
    if lang.split("-")[0] in NO_SPACES:
        return list(text)
    return text.split(" ")


def lay_out(text: str, start_s: float, end_s: float, lang: str) -> list[Cue]:
    """``text`` over ``start_s``–``end_s``: as many cues as reading speed and a phone's line
    need (each at least MIN_CUE_S long), split at word boundaries, timed in proportion to
    their length."""
    text = " ".join(text.split())
    span = max(end_s - start_s, 0.001)
    base = lang.split("-")[0]
    per_cue = CJK_CUE_CHARS if base in ("ja", "zh", "ko") else MAX_CUE_CHARS
    cps = CPS.get(base, MAX_CPS)
    want = max(1, -(-len(text) // per_cue), round(len(text) / (cps * span) + 0.4999))
    count = max(1, min(want, int(span / MIN_CUE_S) or 1))
    pieces = _pieces(text, lang)
    joiner = "" if lang.split("-")[0] in NO_SPACES else " "
    target = len(text) / count
    groups: list[list[str]] = [[]]
    size = 0
    for p in pieces:
        if groups[-1] and size + len(p) > target and len(groups) < count:
            groups.append([])
            size = 0
        groups[-1].append(p)
        size += len(p) + len(joiner)
    texts = [joiner.join(g).strip() for g in groups if joiner.join(g).strip()]
    total = sum(len(t) for t in texts) or 1
    out, at = [], start_s
    for i, t in enumerate(texts):
        end = end_s if i == len(texts) - 1 else at + span * len(t) / total
        out.append(Cue(round(at, 3), round(end, 3), t))
        at = end
    return out


Translate = Callable[[str], Awaitable[str]]


async def translate_cues(cues: Sequence[Cue], translate: Translate, target: str) -> list[Cue]:
    """The cues in ``target``: rejoined into sentences, each translated, laid out again."""
    out: list[Cue] = []
    for s in sentences(cues):
        out += lay_out(await translate(s.text), s.start_s, s.end_s, target)
    return out


def _stamp(t: float) -> str:
    ms = round(t * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def to_webvtt(cues: Sequence[Cue]) -> str:
    body = "\n\n".join(f"{_stamp(c.start_s)} --> {_stamp(c.end_s)}\n{c.text}" for c in cues)
    return f"WEBVTT\n\n{body}\n"
