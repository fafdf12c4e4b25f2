"""WebVTT captions a seller uploads: checked cue by cue before a player ever loads them.

Pure. Only what a player needs is checked (the header, cue timings inside the video, text
in every cue, sizes); styling and positioning settings are kept as written.
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
        cues.append(Cue(start, end, "\n".join(body)))
        if len(cues) > MAX_CUES:
            raise CaptionError(f"more than {MAX_CUES} cues")
    if not cues:
        raise CaptionError("the file has no cues")
    return cues
