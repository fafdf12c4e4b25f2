"""The checks every privacy rule row passes: a source address, an effective date and an
honest confidence (rules are data: DESIGN.md). Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

CONFIDENCE = frozenset({"high", "medium", "low", "policy"})


def check(raw: Mapping[str, Any], rid: str, problems: list[str], *,
          confidence: bool = True) -> None:
    """Append to ``problems`` what is missing or malformed in ``raw``."""
    sources = raw.get("source") or []
    if not sources or not all(str(s).startswith(("http://", "https://")) for s in sources):
        problems.append(f"{rid}: at least one http(s) source is required")
    if not isinstance(raw.get("effective_from"), dt.date):
        problems.append(f"{rid}: effective_from must be a date")
    if confidence and raw.get("confidence") not in CONFIDENCE:
        problems.append(f"{rid}: confidence must be one of {sorted(CONFIDENCE)}")
