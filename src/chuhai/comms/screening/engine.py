"""The screening engine: a line, its language, a market and a side in; a verdict out.

For each (market, language) every literal and word pattern of the market's pack and of the
language packs (the line's language and English, which hosts and viewers mix into every
language) is compiled into one Aho–Corasick automaton (pyahocorasick), so a line is scanned
once whatever the number of patterns; the few regex rules run after it. Word patterns are
checked for word edges after the scan, which keeps "ass" out of "class" while literal
patterns match inside unspaced Chinese, Japanese and Thai. Pure: no I/O; the caller passes
the price history a reduction claim is checked against.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import ahocorasick

from chuhai.comms.screening import pii
from chuhai.comms.screening.anchors import anchor_groups
from chuhai.comms.screening.findings import Finding
from chuhai.comms.screening.jurisdictions import jurisdiction
from chuhai.comms.screening.packs import RANK, SPECIFICITY, Pack, Rule, norm
from chuhai.comms.screening.prices import PriceHistory, check_reduction
from chuhai.comms.screening.semantic import SemanticLayer

PII_SOURCE = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"  # GDPR art. 5(1)(c), 32
PII_SUGGESTIONS = {
    "email": "Please don't post e-mail addresses in public chat; send them in a private "
             "message to the shop.",
    "phone": "Please don't post phone numbers in public chat.",
    "card": "Never post card numbers anywhere; pay only at checkout.",
    "address": "Please don't post your address in public chat; enter it at checkout.",
    "id": "Never post identity numbers in public chat; the shop asks for them privately "
          "when customs needs them.",
}


@dataclass(slots=True)
class Verdict:
    action: str  # block | require_disclosure | warn | allow
    findings: tuple[Finding, ...]
    redacted: str
    market: str
    lang: str
    side: str

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "findings": [f.as_dict() for f in self.findings],
                "redacted": self.redacted, "market": self.market, "lang": self.lang,
                "side": self.side}

    @property
    def categories(self) -> set[str]:
        return {f.category for f in self.findings if f.action != "allow"}


log = logging.getLogger("chuhai.screening")
_BY_RANK = {r: a for a, r in RANK.items()}
# Languages close enough that one's packs serve the other: a Malay line is often detected
# as Indonesian (and the reverse), and Filipino is written as Tagalog ("fil" in locales).
SIBLINGS: dict[str, tuple[str, ...]] = {"id": ("ms",), "ms": ("id",), "fil": ("tl",),
                                        "tl": ("fil",)}


def strongest(actions: Iterable[str]) -> str:
    """The strongest of several verdicts' actions (one line screened for many markets)."""
    return max(actions, key=RANK.__getitem__, default="allow")


def overall(findings: Iterable[Finding]) -> str:
    best = 0
    for f in findings:
        r = RANK[f.action]
        if r > best:
            best = r
    return "allow" if best <= RANK["suggest"] else _BY_RANK[best]


@dataclass
class _Scope:
    automaton: Any
    regexes: list[tuple[Rule, re.Pattern[str]]]
    always: tuple[int, ...]      # regexes without anchors: run on every line
    on_digit: tuple[int, ...]    # regexes whose only certainty is a digit
    need: tuple[int, ...]        # per regex: how many anchor groups must be seen
    needs_digit: tuple[bool, ...]
    empty: bool
    ids: tuple[str, ...] = ()    # the scope's rules (the semantic layer's choice)


_ADDRESS_GATE = -1  # automaton gate value: a street word was seen (run the address check)
_day: tuple[float, dt.date] = (0.0, dt.date.min)


def _today() -> dt.date:
    """Today, looked up at most once a minute (rules take effect by the day)."""
    global _day
    now = time.monotonic()
    if now - _day[0] > 60:
        _day = (now, dt.date.today())
    return _day[1]


_DIGIT = re.compile(r"\d")


def _normalized(text: str) -> tuple[str, list[int] | None]:
    """The line as patterns see it, and (only when lengths differ) a map from each
    normalized character back to its index in the original."""
    if text.isascii():
        return text.lower(), None
    out = norm(text)
    if len(out) == len(text):
        return out, None
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        n = unicodedata.normalize("NFKC", ch).casefold()
        chars.append(n)
        index += [i] * len(n)
    index.append(len(text))
    return "".join(chars), index


def _one_per_overlap(found: Iterable[Finding]) -> list[Finding]:
    """Of overlapping hits of the same rule ("国内最低价" and "最低价") keep the longest."""
    kept: list[Finding] = []
    last_end: dict[str, int] = {}
    for f in sorted(found, key=lambda f: (f.start, f.start - f.end, f.rule)):
        if f.start < last_end.get(f.rule, -1):
            continue
        kept.append(f)
        last_end[f.rule] = f.end
    return kept


# Classes that name one claim from different laws' angles: "this cream cures acne" is a
# health claim to one pack and a cosmetic claim to another — one finding, the strongest.
FAMILY = {"health_claim": "efficacy", "device_claim": "efficacy",
          "cosmetic_claim": "efficacy", "profanity": "abuse", "insult": "abuse"}


def one_per_law(found: Sequence[Finding], kinds: dict[str, str],
                places: tuple[str, ...] = ()) -> list[Finding]:
    """One finding where packs overlap: a market's own rule, a layer's and a language's
    advertising rule often catch the same words of the same claim ("heilt Krebs" is
    ``DE.health…`` and ``ads.de.health…``). Of findings of one category whose spans
    overlap, the strongest action stays, and of equals the most specific pack's (the
    market's, which names its national law); the others are dropped, so a host reads one
    warning per claim, not one per pack (``FAMILY``: classes that are one claim seen by
    different laws). ``kinds`` maps a rule id to its pack's kind.

    Where a language pack's stricter rule stays over the market's own, it cites the
    market's law first: the action is the platform's, the law is the one where the line
    is read (a serum that "cures eczema" in Singapore is blocked by the common rule and
    cited to Singapore's Health Products Act, not to the EU's food labelling rules)."""
    def specific(f: Finding) -> int:
        return SPECIFICITY.get(kinds.get(f.rule, "market"), 0)

    def weight(f: Finding) -> tuple[int, int]:
        return RANK[f.action], -specific(f)

    kept: list[Finding] = []
    borrowed: set[int] = set()  # findings already citing a more specific pack's law
    for f in sorted(found, key=weight, reverse=True):
        family = FAMILY.get(f.category, f.category)
        over = next((i for i, k in enumerate(kept)
                     if FAMILY.get(k.category, k.category) == family and k.start < f.end
                     and f.start < k.end), None)
        if over is None:
            kept.append(f)
            continue
        k = kept[over]
        # borrow only an address of the law where the line is read (not a law firm's note)
        if specific(f) < specific(k) and over not in borrowed and \
                jurisdiction(f.source) in places:
            borrowed.add(over)
            kept[over] = replace(k, source=f.source, sources=tuple(dict.fromkeys(
                (*(f.sources or (f.source,)), *(k.sources or (k.source,))))))
    return sorted(kept, key=lambda f: (f.start, f.end, f.rule))


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    """Compiled once per process: ``re``'s own cache holds 512 and the packs have more."""
    return re.compile(pattern, re.IGNORECASE)


@dataclass
class Screener:
    packs: Sequence[Pack]
    _scopes: dict[tuple[str, str, str], _Scope] = field(default_factory=dict)
    _by_rules: dict[tuple[str, ...], _Scope] = field(default_factory=dict)
    # Rooms warm scopes in worker threads while lines may ask for one: one compile at a
    # time, and whoever waited finds the other's result instead of compiling it again.
    _compile_lock: threading.Lock = field(default_factory=threading.Lock)
    semantic: SemanticLayer | None = None  # screening by meaning, when a caller asks

    def __post_init__(self) -> None:
        self.markets = {p.id: p for p in self.packs if p.kind == "market"}
        self.layers: dict[str, list[Pack]] = {}
        for p in self.packs:
            for m in p.markets if p.kind == "layer" else ():
                self.layers.setdefault(m, []).append(p)
        self.languages: dict[str, list[Pack]] = {}
        for p in self.packs:
            if p.kind == "language":
                for code in p.languages or (p.id.rsplit(".", 1)[-1],):
                    self.languages.setdefault(code, []).append(p)
        self.rules = {r.id: r for p in self.packs for r in p.rules}
        self.kinds = {r.id: r.kind for r in self.rules.values()}
        self._citations: dict[tuple[str, str], tuple[tuple[str, ...], dt.date]] = {}

    def rules_for(self, market: str, lang: str) -> list[Rule]:
        rules = list(self.markets[market].rules) if market in self.markets else []
        for layer in self.layers.get(market, ()):
            rules += layer.rules
        for code in dict.fromkeys((lang, *SIBLINGS.get(lang, ()), "en")):
            for pack in self.languages.get(code, ()):
                rules += pack.rules
        return rules

    def scope(self, market: str, lang: str, side: str = "host") -> _Scope:
        """One automaton per (market, language, side): a viewer line never even meets the
        advertising rules, so its automaton is smaller and its scan cheaper.

        Scopes with the same rules share one automaton: a line in a language without a
        pack of its own ("nl") meets the market's rules and English, exactly as an English
        line does, and compiling it again would cost 30-60 ms and megabytes for nothing.
        """
        key = self._key(market, lang, side)
        found = self._scopes.get(key)
        if found is not None:
            return found
        with self._compile_lock:
            found = self._scopes.get(key)
            if found is None:
                rules = [r for r in self.rules_for(market, lang) if r.applies_to(side)]
                ids = tuple(r.id for r in rules)
                found = self._by_rules.get(ids)
                if found is None:
                    found = self._by_rules[ids] = self._compile(rules)
                    found.ids = ids
                self._scopes[key] = found
        return found

    def has_scope(self, market: str, lang: str, side: str = "host") -> bool:
        """Whether ``scope`` would answer at once (nothing to compile)."""
        return self._key(market, lang, side) in self._scopes

    def _key(self, market: str, lang: str, side: str) -> tuple[str, str, str]:
        # A language without a pack of its own has English's rules (see rules_for).
        own = lang in self.languages or any(s in self.languages for s in SIBLINGS.get(lang, ()))
        return market, lang if own else "en", side

    @staticmethod
    def _compile(rules: list[Rule]) -> _Scope:
        """One automaton holds the literal and word patterns and, as gates, the anchors of
        the regex rules and of the address detector (see anchors.py)."""
        auto = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        table: dict[str, list[tuple[Rule, bool]]] = {}
        gates: dict[str, set[tuple[int, int]]] = {}
        regexes: list[tuple[Rule, re.Pattern[str]]] = []
        always: list[int] = []
        on_digit: list[int] = []
        need: list[int] = []
        needs_digit: list[bool] = []
        for rule in rules:
            if rule.match == "regex":
                for p in rule.patterns:
                    i = len(regexes)
                    regexes.append((rule, _regex(p)))
                    found = anchor_groups(p)
                    need.append(len(found[0]) if found else 0)
                    needs_digit.append(bool(found and found[1]))
                    if found is None:
                        always.append(i)
                    elif not found[0]:
                        on_digit.append(i)
                    for j, group in enumerate(found[0] if found else ()):
                        for a in group:
                            gates.setdefault(norm(a), set()).add((i, j))
                continue
            for p in rule.patterns:
                table.setdefault(p, []).append((rule, rule.match == "words"))
        for a in pii.ADDRESS_ANCHORS or ():
            gates.setdefault(norm(a), set()).add((_ADDRESS_GATE, 0))
        for key in set(table) | set(gates):
            auto.add_word(key, (key, tuple(table.get(key, ())),
                                tuple(sorted(gates.get(key, ())))))
        auto.make_automaton()
        return _Scope(auto, regexes, tuple(always), tuple(on_digit), tuple(need),
                      tuple(needs_digit), not table and not gates)

    def places(self, market: str) -> tuple[str, ...]:
        """Whose law binds a line read in ``market``: its own, then its layers'."""
        return (market, *(p.id for p in self.layers.get(market, ())))

    def citation(self, rule: Rule, market: str) -> tuple[tuple[str, ...], dt.date]:
        """``rule.citation`` for a market, remembered: a hit costs a dict lookup."""
        key = (rule.id, market)
        found = self._citations.get(key)
        if found is None:
            found = self._citations[key] = rule.citation(self.places(market))
        return found

    def _by_meaning(self, text: str, low: str, ids: tuple[str, ...],
                    found: list[Finding], on: dt.date, market: str) -> list[Finding]:
        """Findings of rules the line means but whose patterns it escaped: one per
        category, spanning the whole line, naming the nearest example. At most a
        warning: a similarity is evidence for a person to weigh, not proof — a line is
        blocked by a rule's words, never by its meaning alone."""
        assert self.semantic is not None
        seen = {FAMILY.get(f.category, f.category) for f in found}
        out: list[Finding] = []
        try:
            meant = self.semantic.match(text, ids)
        except Exception:
            log.exception("screening by meaning failed; the patterns' verdict stands")
            return out
        for m in meant:
            r = m.rule
            family = FAMILY.get(r.category, r.category)
            sources, since = self.citation(r, market)
            if family in seen or since > on or (
                    r.unless and any(u in low for u in r.unless)):
                continue
            seen.add(family)
            action = r.action if RANK[r.action] <= RANK["warn"] else "warn"
            out.append(Finding(r.id, r.category, action, 0, len(text), text, sources[0],
                               r.suggestion, r.rationale, sources, by="meaning",
                               example=m.example, similarity=round(m.score, 3)))
        return out

    def screen(self, text: str, lang: str, market: str, side: str = "viewer", *,
               regions: Iterable[str] | None = None, on: dt.date | None = None,
               prices: PriceHistory | None = None, meaning: bool = False) -> Verdict:
        """The line's verdict for one market. ``meaning``: also compare it with the
        rules' example sentences (about 8 ms of model time for a line not seen before —
        the caller decides when that is worth it, and never calls it on the event loop)."""
        on = on or _today()
        scope = self.scope(market, lang, side)
        low, index = _normalized(text)
        hits: dict[tuple[str, int], Finding] = {}

        def add(rule: Rule, s: int, e: int) -> None:
            sources, since = self.citation(rule, market)
            if since > on:
                return
            if rule.unless and any(u in low for u in rule.unless):
                return
            if index is not None:
                s, e = index[s], index[e]
            if (rule.id, s) not in hits:
                hits[(rule.id, s)] = Finding(
                    rule.id, rule.category, rule.action, s, e, text[s:e], sources[0],
                    rule.suggestion, rule.rationale, sources)

        gated: set[tuple[int, int]] = set()
        if not scope.empty:
            n = len(low)
            for end, (pattern, users, gates) in scope.automaton.iter(low):
                if gates:
                    gated.update(gates)
                if not users:
                    continue
                start = end - len(pattern) + 1
                stop = end + 1
                # word edges: no letter or digit just outside a pattern that starts/ends
                # with one (checked once per match, not per rule)
                edges = not ((pattern[0].isalnum() and start > 0 and low[start - 1].isalnum())
                             or (pattern[-1].isalnum() and stop < n and low[stop].isalnum()))
                for rule, words in users:
                    if edges or not words:
                        add(rule, start, stop)
        has_digit = _DIGIT.search(text) is not None
        run = list(scope.always)
        if has_digit:
            run += scope.on_digit
        if gated:
            seen: dict[int, int] = {}
            for i, _group in gated:
                seen[i] = seen.get(i, 0) + 1
            run += [i for i, n in seen.items() if i >= 0 and n == scope.need[i]
                    and (has_digit or not scope.needs_digit[i])]
        for i in run:
            rule, rx = scope.regexes[i]
            m = rx.search(low)
            if m:
                add(rule, m.start(), m.end())
        findings = list(hits.values())
        if len(findings) > 1:
            findings = one_per_law(_one_per_overlap(findings), self.kinds,
                                   self.places(market))
        # By meaning only where the words found nothing: on lines the patterns already
        # flag, the nearest example is mostly another class of the same claim (the
        # calibration set's cross-validation: 15 of 395 risky lines given a wrong class).
        if meaning and self.semantic is not None and overall(findings) == "allow":
            findings += self._by_meaning(text, low, scope.ids, findings, on, market)
        if prices is not None and any(f.category == "price_claim" for f in findings):
            findings += check_reduction(text, market, prices, on)
        redacted = text
        pii_hits = pii.find(text, regions or (market,), has_digit=has_digit,
                            address=pii.ADDRESS_ANCHORS is None
                            or (_ADDRESS_GATE, 0) in gated)
        if pii_hits:
            redacted = pii.apply(text, pii_hits)
            findings += [Finding(f"PII.{h.kind}", "pii", "warn", h.start, h.end,
                                 text[h.start:h.end], PII_SOURCE, PII_SUGGESTIONS[h.kind],
                                 "Personal data in a public room is exposed to every "
                                 "viewer; it is masked before broadcast and storage.")
                         for h in pii_hits]
        return Verdict(overall(findings), tuple(findings), redacted, market, lang, side)
