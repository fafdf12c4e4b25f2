"""Required literals of a regex: a set of strings one of which every match must contain.

Screening runs each line through one Aho–Corasick automaton; running every regex rule on
every line as well would cost more than everything else together. So each regex gets
anchors — e.g. ``\\b(was|were)\\s+\\d+ (€|eur)`` must contain "was" or "were", and
``残り\\s?\\d+`` must contain "残り" — which join the automaton: a regex runs only on a line
where one of its anchors was seen (or, for a regex whose only certainty is a digit, on a
line with a digit). A regex we cannot analyse gets no anchors and always runs. Pure.
"""

from __future__ import annotations

import functools
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


Anchor = tuple[frozenset[str], bool, bool]
# alternatives; ``exact``: the element matches exactly one of them (neighbours may be
# joined on both sides, "was" + " " + "now"); ``prefix``: every match *starts* with one of
# them (a repeat such as ``[*@#]+``: it may be joined to what comes before, then the run
# ends).


def _item(op: Any, av: Any) -> Anchor | None:
    """What one parsed element must contain; None when nothing is certain."""
    if op is C.LITERAL:
        return frozenset({chr(av).lower()}), True, True
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
        if len(options) > _MAX_BRANCH:
            return None
        return frozenset(options), exact, exact
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, high, body = av
        got = _seq(body) if low >= 1 else None
        if got is None:
            return None
        return got[0], got[1] and low == high == 1, got[1]
    if op is C.IN:
        chars: set[str] = set()
        for kind, val in av:
            if kind is C.LITERAL:
                chars.add(chr(val).lower())
            elif kind is C.CATEGORY and val is C.CATEGORY_DIGIT and not chars and len(av) == 1:
                return frozenset({DIGIT}), False, False
            else:
                return None
        return (frozenset(chars), True, True) if 0 < len(chars) <= 8 else None
    return None


def _seq(items: Any) -> Anchor | None:
    """The best anchor set of a sequence: runs of consecutive exact elements are joined."""
    elements = list(items)
    best: frozenset[str] | None = None
    run: frozenset[str] | None = None
    all_exact = bool(elements)
    first_prefix = False
    for n, (op, av) in enumerate(elements):
        got = _item(op, av)
        exact = got is not None and got[1]
        all_exact = all_exact and exact
        if n == 0:
            first_prefix = got is not None and got[2]
        if got is None:
            run = None
            continue
        candidates = [got[0]]
        if exact:
            joined = _cross(run, got[0]) if run is not None else got[0]
            run = joined if joined is not None else got[0]
            candidates.append(run)
        else:
            if got[2] and run is not None:  # a repeat starts right after the run
                joined = _cross(run, got[0])
                if joined is not None:
                    candidates.append(joined)
            run = None
        for cand in candidates:
            if best is None or _score(cand) > _score(best):
                best = cand
    if best is None:
        return None
    whole = all_exact and best == run
    return best, whole, whole or (first_prefix and len(elements) == 1)


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


@functools.cache
def anchor_groups(pattern: str) -> tuple[tuple[frozenset[str], ...], bool] | None:
    """Several independent requirements of ``pattern``: every match contains one string
    of *each* group (and a digit when the flag is set). A regex then runs only on lines
    where every group was seen — ``(#|no|number)(1|one)\\s+(brand|…|in …)`` needs "number"
    *and* "brand", not just "in". Groups of single characters are left out (a line has
    them anyway); None when nothing is certain.

    Cached: the same market rules go into one automaton per language and side, and
    parsing their regexes was nine tenths of a compile (bench/fanout.py)."""
    try:
        parsed = P.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    groups: list[frozenset[str]] = []
    digit = False
    run: frozenset[str] | None = None

    def keep(options: frozenset[str] | None) -> None:
        if options and all(len(o) >= 2 for o in options) and options not in groups:
            groups.append(options)

    for op, av in list(parsed):
        got = _item(op, av)
        if got is None:
            keep(run)
            run = None
            continue
        if DIGIT in got[0]:
            digit = True
            keep(run)
            run = None
            continue
        if got[1]:  # exact: extends the run of literals ("n" "o" "w" → "now")
            joined = _cross(run, got[0]) if run is not None else got[0]
            if joined is None:
                keep(run)
                joined = got[0]
            run = joined
        else:
            if got[2] and run is not None:
                joined = _cross(run, got[0])
                keep(joined if joined is not None else run)
            else:
                keep(run)
                keep(got[0])
            run = None
    keep(run)
    whole = anchors(pattern)
    if whole is not None and DIGIT not in whole and whole not in groups and all(
            len(o) >= 2 for o in whole):
        groups.append(whole)
    if not groups:
        if whole is None:
            return None
        return (() if DIGIT in whole else (whole,)), digit or DIGIT in whole
    return tuple(groups), digit
