"""Translation memory: exact and fuzzy matches from what was translated (or written) before.

Numbers are abstracted before matching — "only 3 left" and "only 12 left" are the same
segment ("only {n} left") — and put back in order into the stored translation, so a
phrasebook of a few hundred segments covers the live-selling talk that repeats all day.
Fuzzy matching uses rapidfuzz (normalized Indel ratio); a fuzzy hit is only taken at a high
score, and only when it carries the same numbers, because a near-miss in a price or a size
is worse than no match. Pure (in-memory index).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SLOT = re.compile(r"\{([nm])\}")
_TRAIL = " .!?。！？،؟"


def _normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split()).strip(_TRAIL)


def skeleton(text: str) -> tuple[str, tuple[str, ...]]:
    """The text with each number replaced by ``{n}``, and the numbers in order."""
    norm = _normalize(text)
    return _NUMBER.sub("{n}", norm), tuple(_NUMBER.findall(norm))


@dataclass(frozen=True)
class Match:
    text: str
    score: float  # 100 = exact
    origin: str   # phrasebook | org | …


@dataclass
class _Entry:
    target: str          # with named slots: {n}, {m} (phrasebook) or {0}, {1} (literal numbers)
    origin: str
    order: tuple[str, ...]  # slot names in the order the numbers appear in the source


class TranslationMemory:
    def __init__(self, fuzzy_cutoff: float = 92.0) -> None:
        self.fuzzy_cutoff = fuzzy_cutoff
        self._exact: dict[tuple[str, str], dict[str, _Entry]] = defaultdict(dict)

    def add(self, source_lang: str, target_lang: str, source: str, target: str,
            origin: str = "org") -> None:
        """``{n}``/``{m}`` in a phrase stand for numbers; a literal number is abstracted."""
        norm = _normalize(source)
        order = tuple(_SLOT.findall(norm))
        tgt = target
        if not order:
            # a stored sentence with literal numbers: its numbers become slots, so a new
            # sentence with other numbers reuses it (only when each appears in the target)
            nums = _NUMBER.findall(norm)
            if nums and all(n in target for n in nums):
                order = tuple(str(i) for i in range(len(nums)))
                for i, n in enumerate(nums):
                    tgt = tgt.replace(n, f"{{{i}}}", 1)
        key = _SLOT.sub("{n}", _NUMBER.sub("{n}", norm)) if order else norm
        self._exact[(source_lang, target_lang)][key] = _Entry(tgt, origin, order)

    def __len__(self) -> int:
        return sum(len(v) for v in self._exact.values())

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._exact)

    def lookup(self, text: str, source_lang: str, target_lang: str) -> Match | None:
        table = self._exact.get((source_lang, target_lang))
        if not table:
            return None
        key, numbers = skeleton(text)
        entry = table.get(key)
        score = 100.0
        if entry is None and numbers:  # a segment stored with its literal numbers
            entry = table.get(_normalize(text))
            if entry is not None:
                numbers = ()
        if entry is None:
            if len(key) < 8:  # fuzzy matching on a few characters is guessing
                return None
            best = process.extractOne(key, table.keys(), scorer=fuzz.ratio,
                                      score_cutoff=self.fuzzy_cutoff)
            if best is None or best[0].count("{n}") != len(numbers):
                return None
            entry, score = table[best[0]], float(best[1])
        filled = _fill(entry, numbers)
        return None if filled is None else Match(filled, score, entry.origin)


def _fill(entry: _Entry, numbers: tuple[str, ...]) -> str | None:
    if len(entry.order) != len(numbers):
        return None
    out = entry.target
    for name, n in zip(entry.order, numbers, strict=True):
        out = out.replace(f"{{{name}}}", n)
    return out
