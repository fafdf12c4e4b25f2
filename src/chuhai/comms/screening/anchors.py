"""Required literals of a regex: a set of strings one of which every match must contain.

Screening runs each line through one Aho–Corasick automaton; running every regex rule on
every line as well would cost more than everything else together. So each regex gets
anchors — e.g. ``\\b(was|were)\\s+\\d+ (€|eur)`` must contain "was" or "were", and
``残り\\s?\\d+`` must contain "残り" — which join the automaton: a regex runs only on a line
where one of its anchors was seen (or, for a regex whose only certainty is a digit, on a
line with a digit). A regex we cannot analyse gets no anchors and always runs. Pure.
"""

from __future__ import annotations

import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

DIGIT = "\x00digit"  # the anchor "some digit"
_MAX_ALTERNATIVES = 64   # joined literals (a cross product) kept at most
_MAX_BRANCH = 512        # alternatives of one alternation kept at most


def _score(options: frozenset[str]) -> tuple[int, int]:
    """Prefer anchors that are long (rare) and few."""
    if DIGIT in options:
        return (0, -len(options))
    return (min(len(o) for o in options), -len(options))


def _cross(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    if DIGIT in a or DIGIT in b or len(a) * len(b) > _MAX_ALTERNATIVES:
        return None
    return frozenset(x + y for x in a for y in b)


Anchor = tuple[frozenset[str], bool]  # alternatives, and whether they are the whole match


def _item(op: Any, av: Any) -> Anchor | None:
    """What one parsed element must contain, as alternatives; None when nothing certain.
    ``exact`` is true when the element matches exactly one of the strings, so neighbours
    may be joined to it ("was" + " " + "now")."""
    if op is C.LITERAL:
        return frozenset({chr(av).lower()}), True
    if op is C.SUBPATTERN:
        return _seq(av[-1])
    if op is C.BRANCH:
        options: set[str] = set()
        exact = True
        for branch in av[1]:
            got = _seq(branch)
            if got is None:
                return None
            options |= got[0]
            exact = exact and got[1]
        return (frozenset(options), exact) if len(options) <= _MAX_BRANCH else None
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, high, body = av
        got = _seq(body) if low >= 1 else None
        return None if got is None else (got[0], got[1] and low == high == 1)
    if op is C.IN:
        chars: set[str] = set()
        for kind, val in av:
            if kind is C.LITERAL:
                chars.add(chr(val).lower())
            elif kind is C.CATEGORY and val is C.CATEGORY_DIGIT and not chars and len(av) == 1:
                return frozenset({DIGIT}), False
            else:
                return None
        return (frozenset(chars), True) if 0 < len(chars) <= 8 else None
    return None


def _seq(items: Any) -> Anchor | None:
    """The best anchor set of a sequence: runs of consecutive exact elements are joined."""
    elements = list(items)
    best: frozenset[str] | None = None
    run: frozenset[str] | None = None
    all_exact = bool(elements)
    for op, av in elements:
        got = _item(op, av)
        exact = got is not None and got[1]
        all_exact = all_exact and exact
        if got is None:
            run = None
            continue
        if exact:
            joined = _cross(run, got[0]) if run is not None else got[0]
            run = joined if joined is not None else got[0]
        else:
            run = None
        for cand in (run, got[0]):
            if cand is not None and (best is None or _score(cand) > _score(best)):
                best = cand
    if best is None:
        return None
    return best, all_exact and best == run


def anchors(pattern: str) -> frozenset[str] | None:
    """Literal alternatives one of which every match of ``pattern`` contains (lower case),
    ``{DIGIT}`` when only a digit is certain, or None when nothing is."""
    try:
        parsed = P.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    got = _seq(parsed)
    if got is None or any(o == "" for o in got[0]):
        return None
    return got[0]
