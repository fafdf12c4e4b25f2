"""WebVTT captions a seller uploads: checked cue by cue before a player ever loads them.

Pure. Only what a player needs is checked (the header, cue timings inside the video, text
in every cue, sizes). What is stored is the file as read here — timings and text, without
cue settings (position, styling) — so a player shows exactly what was screened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 512 * 1024
MAX_CUES = 3000
TIME = r"(?:(\d{1,2}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
TIMING = re.compile(rf"^{TIME}\s+-->\s+{TIME}(?:\s+.*)?$")


class CaptionError(ValueError):
    """The file is not WebVTT a player can show; the message names the line."""


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_vtt(text: str, duration_s: float) -> list[Cue]:
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise CaptionError(f"the captions file is larger than {MAX_BYTES // 1024} KiB")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    if not lines or not lines[0].startswith("WEBVTT"):
        raise CaptionError("line 1: a WebVTT file starts with WEBVTT")
    cues: list[Cue] = []
    i = 1
    while i < len(lines):
        line = lines[i].strip()
        m = TIMING.match(line)
        if m is None:
            if "-->" in line:
                raise CaptionError(f"line {i + 1}: bad cue timing {line[:60]!r}")
            i += 1
            continue
        at = i
        start, end = _seconds(*m.groups()[:4]), _seconds(*m.groups()[4:8])
        if not start < end:
            raise CaptionError(f"line {i + 1}: a cue must end after it starts")
        if end > duration_s + 1.0:
            raise CaptionError(f"line {i + 1}: the cue ends at {end:.1f} s, after the video "
                               f"({duration_s:.1f} s)")
        body = []
        i += 1
        while i < len(lines) and lines[i].strip():
            body.append(lines[i])
            i += 1
        if not body:
            raise CaptionError(f"line {i}: a cue without text")
        if cues and start < cues[-1].start_s:
            raise CaptionError(f"line {at + 1}: cues out of order (this one starts at "
                               f"{start:.3f} s, before the one above)")
        if cues and start < cues[-1].end_s:
            raise CaptionError(f"line {at + 1}: this cue starts at {start:.3f} s, before the "
                               f"one above ends ({cues[-1].end_s:.3f} s); cues may not overlap")
        cues.append(Cue(start, end, "\n".join(body)))
        if len(cues) > MAX_CUES:
            raise CaptionError(f"more than {MAX_CUES} cues")
    if not cues:
        raise CaptionError("the file has no cues")
    return cues


SRT_TIMING = re.compile(r"^(\d{1,2}):([0-5]\d):([0-5]\d),(\d{3})\s+-->\s+"
                        r"(\d{1,2}):([0-5]\d):([0-5]\d),(\d{3})\s*$")


def srt_to_vtt(text: str) -> str:
    """SubRip (numbered cues, comma decimals) as WebVTT; a timing line SubRip would not
    accept is refused with its line number."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    out = ["WEBVTT", ""]
    for n, line in enumerate(lines, start=1):
        if "-->" in line:
            m = SRT_TIMING.match(line.strip())
            if m is None:
                raise CaptionError(f"line {n}: bad SubRip timing {line.strip()[:60]!r}")
            g = m.groups()
            out.append(f"{int(g[0]):02d}:{g[1]}:{g[2]}.{g[3]} --> "
                       f"{int(g[4]):02d}:{g[5]}:{g[6]}.{g[7]}")
        elif line.strip().isdigit() and (n == 1 or not lines[n - 2].strip()):
            continue  # the cue number
        else:
            out.append(line)
    return "\n".join(out)


def to_vtt(data: bytes, name: str = "") -> str:
    """An uploaded caption file (WebVTT or SubRip, UTF-8) as WebVTT text."""
    if len(data) > MAX_BYTES:
        raise CaptionError(f"the captions file is larger than {MAX_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaptionError(f"the captions file is not UTF-8 (byte {exc.start}); save it as "
                           f"UTF-8 and send it again") from None
    if name.lower().endswith(".srt") or not text.lstrip().startswith("WEBVTT"):
        return srt_to_vtt(text) if "-->" in text and "," in text else text
    return text
