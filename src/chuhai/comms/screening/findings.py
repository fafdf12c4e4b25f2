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
    by: str = "pattern"            # pattern | meaning (the semantic layer)
    example: str | None = None     # by meaning: the rule's example the line is nearest to
    similarity: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule, "category": self.category, "action": self.action,
            "span": [self.start, self.end], "match": self.match, "source": self.source,
            "sources": list(self.sources or (self.source,)),
            "suggestion": self.suggestion, "rationale": self.rationale, "by": self.by}
        if self.by == "meaning":
            out |= {"example": self.example, "similarity": self.similarity}
        return out
