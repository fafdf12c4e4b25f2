"""A finding: one rule that matched one span of a line, with its source and a rewrite.

Its own module because both the engine and the price rule (``prices``) make findings; when
it lived in the engine, the price rule had to import the engine that imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Finding:
    rule: str
    category: str
    action: str
    start: int
    end: int
    match: str
    source: str
    suggestion: str
    rationale: str = ""
    sources: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "category": self.category, "action": self.action,
                "span": [self.start, self.end], "match": self.match, "source": self.source,
                "sources": list(self.sources or (self.source,)),
                "suggestion": self.suggestion, "rationale": self.rationale}
