"""What a video says, screened against each market's packs before it airs there.

Pure: the screener and the texts come in (title and description per language, each
caption cue with its time), the findings per market come out. A recorded clip can be fixed
before it airs, so it is held on anything the live chat would have *warned* about, not only
on what it would block: a market passes only when no finding is stronger than a
suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chuhai.comms.screening.engine import Screener
from chuhai.comms.screening.packs import RANK
from chuhai.comms.screening.semantic import prefetch
from chuhai.video.captions import Cue

HOLD_AT = RANK["warn"]  # warn, require_disclosure, block: held


@dataclass(frozen=True)
class Said:
    """One thing the video says: where (``texts.de.title``, ``captions.de``), in which
    language, and for a cue its index and time."""

    where: str
    lang: str
    text: str
    cue: int | None = None
    start_s: float | None = None
    end_s: float | None = None


def said(texts: Mapping[str, Mapping[str, str]],
         captions: Mapping[str, Iterable[Cue]]) -> list[Said]:
    out = [Said(f"texts.{lang}.{field}", lang, t[field])
           for lang, t in texts.items() for field in ("title", "description") if t.get(field)]
    for lang, cues in captions.items():
        out += [Said(f"captions.{lang}", lang, c.text, i, c.start_s, c.end_s)
                for i, c in enumerate(cues)]
    return out


def screen(screener: Screener, market: str, lines: Iterable[Said]) -> list[dict[str, Any]]:
    """The findings for ``market`` that hold the video there (warn or stronger), each with
    where it was said, the cue and its time, the rule and a suggested rewrite."""
    found: list[dict[str, Any]] = []
    lines = list(lines)
    verdicts = [screener.screen(line.text, line.lang.split("-")[0], market, side="host")
                for line in lines]
    # advertising: by meaning too, where the words found nothing (in one batch)
    again = [i for i, v in enumerate(verdicts) if v.action == "allow"]
    if screener.semantic is not None and again:
        prefetch(screener.semantic, [lines[i].text for i in again])
        for i in again:
            verdicts[i] = screener.screen(lines[i].text, lines[i].lang.split("-")[0],
                                          market, side="host", meaning=True)
    for line, verdict in zip(lines, verdicts, strict=True):
        for f in verdict.findings:
            if RANK[f.action] < HOLD_AT:
                continue
            found.append({"where": line.where, "cue": line.cue, "start_s": line.start_s,
                          "end_s": line.end_s, "lang": line.lang, "rule": f.rule,
                          "category": f.category, "action": f.action, "match": f.match,
                          "suggestion": f.suggestion, "source": f.source, "by": f.by})
    return found


def rescreen(screener: Screener, market: str, findings: Iterable[dict[str, Any]],
             changed: Iterable[Said], replaced: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The market's findings once ``changed`` lines were rewritten: the findings at those
    places (and everywhere under ``replaced``, a whole caption file sent again) give way to
    what the new text gives; every other finding stands, unscreened, since its text did not
    change."""
    lines = list(changed)
    gone = set(replaced)
    places = {(line.where, line.cue) for line in lines}
    kept = [f for f in findings
            if f["where"] not in gone and (f["where"], f.get("cue")) not in places]
    out = kept + screen(screener, market, lines)
    return sorted(out, key=lambda f: (str(f["where"]), f.get("cue") or -1))
