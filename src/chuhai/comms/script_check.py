"""Script check: a run-of-show script, line by line, against each target market — what a
host should change before going live, with the rule, its source and a rewrite. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chuhai.comms.detect import detect
from chuhai.comms.screening.engine import Screener, Verdict, strongest
from chuhai.comms.screening.semantic import prefetch

MAX_SCRIPT_CHARS = 200_000
MAX_SCRIPT_LINES = 5_000


class ScriptTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class LineReport:
    number: int
    text: str
    lang: str
    verdicts: tuple[Verdict, ...]

    @property
    def action(self) -> str:
        return strongest(v.action for v in self.verdicts)

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.number, "text": self.text, "lang": self.lang,
                "action": self.action,
                "markets": {v.market: {"action": v.action, "redacted": v.redacted,
                                       "findings": [f.as_dict() for f in v.findings]}
                            for v in self.verdicts}}


def check_script(screener: Screener, text: str, markets: Sequence[str], *,
                 lang: str | None = None, side: str = "host",
                 fallback_lang: str = "en", meaning: bool = True) -> list[LineReport]:
    if len(text) > MAX_SCRIPT_CHARS:
        raise ScriptTooLarge(f"scripts are limited to {MAX_SCRIPT_CHARS:,} characters")
    lines = text.splitlines()
    if len(lines) > MAX_SCRIPT_LINES:
        raise ScriptTooLarge(f"scripts are limited to {MAX_SCRIPT_LINES:,} lines")
    said = [(n, raw.strip()) for n, raw in enumerate(lines, start=1)
            if raw.strip() and not raw.strip().startswith("#")]
    coded = [(n, line, lang or detect(line, fallback_lang).lang) for n, line in said]
    # the words first; then, for a host's script (advertising), by meaning every line
    # they let pass somewhere — those lines embedded in one batch
    first = [tuple(screener.screen(line, code, m, side) for m in markets)
             for _, line, code in coded]
    meaning = meaning and side == "host" and screener.semantic is not None
    again = [i for i, verdicts in enumerate(first)
             if meaning and any(v.action == "allow" for v in verdicts)]
    prefetch(screener.semantic, [coded[i][1] for i in again])
    for i in again:
        _, line, code = coded[i]
        first[i] = tuple(screener.screen(line, code, m, side, meaning=True)
                         for m in markets)
    reports = [LineReport(n, line, code, verdicts)
               for (n, line, code), verdicts in zip(coded, first, strict=True)]
    return reports


def summary(reports: Sequence[LineReport]) -> dict[str, Any]:
    counts = {a: 0 for a in ("block", "require_disclosure", "warn", "allow")}
    for r in reports:
        counts[r.action] = counts.get(r.action, 0) + 1
    return {"lines": len(reports), "actions": counts}
