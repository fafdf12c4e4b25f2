"""Script check: a run-of-show script, line by line, against each target market — what a
host should change before going live, with the rule, its source and a rewrite. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chuhai.comms.detect import detect
from chuhai.comms.screening.engine import Screener, Verdict, strongest

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
                 fallback_lang: str = "en") -> list[LineReport]:
    if len(text) > MAX_SCRIPT_CHARS:
        raise ScriptTooLarge(f"scripts are limited to {MAX_SCRIPT_CHARS:,} characters")
    lines = text.splitlines()
    if len(lines) > MAX_SCRIPT_LINES:
        raise ScriptTooLarge(f"scripts are limited to {MAX_SCRIPT_LINES:,} lines")
    said = [(n, raw.strip()) for n, raw in enumerate(lines, start=1)
            if raw.strip() and not raw.strip().startswith("#")]
    # a script is advertising: screened by meaning too, its lines embedded in one batch
    meaning = side == "host" and screener.semantic is not None
    if meaning and screener.semantic is not None and said:
        screener.semantic.vectors_of([line for _, line in said])
    reports = []
    for number, line in said:
        code = lang or detect(line, fallback_lang).lang
        reports.append(LineReport(number, line, code, tuple(
            screener.screen(line, code, m, side, meaning=meaning) for m in markets)))
    return reports


def summary(reports: Sequence[LineReport]) -> dict[str, Any]:
    counts = {a: 0 for a in ("block", "require_disclosure", "warn", "allow")}
    for r in reports:
        counts[r.action] = counts.get(r.action, 0) + 1
    return {"lines": len(reports), "actions": counts}
