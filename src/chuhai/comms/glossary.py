"""Glossary protection: brand and product names survive every translation provider.

A provider never sees a protected term. Before the call each term becomes a numbered
placeholder (``[[T0]]``); after the call the placeholders become the term again — the term
itself for a do-not-translate entry, the enforced translation for a term entry. A result
that lost or duplicated a placeholder is refused, so the chain falls back to the next
provider instead of showing a mangled brand name. Pure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_PLACEHOLDER = re.compile(r"\[\[\s*[Tt]\s*(\d+)\s*\]\]")


@dataclass(frozen=True)
class Term:
    """``target`` None: keep as is in every language (do-not-translate); otherwise the
    enforced translation into ``target_lang`` (a term entry applies to one language pair)."""

    source: str
    source_lang: str | None = None  # None: any source language
    target_lang: str | None = None
    target: str | None = None
    case_sensitive: bool = False


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...] = ()
    version: str = field(default="")

    @classmethod
    def of(cls, terms: Iterable[Term]) -> Glossary:
        ts = tuple(sorted(terms, key=lambda t: (-len(t.source), t.source)))
        digest = hashlib.sha256(
            "\x1e".join(f"{t.source}\x1f{t.source_lang}\x1f{t.target_lang}\x1f{t.target}"
                        f"\x1f{t.case_sensitive}" for t in ts).encode()).hexdigest()[:16]
        return cls(ts, digest)

    def applicable(self, source_lang: str, target_lang: str) -> list[Term]:
        """Longest terms first, so "Aurora Pro Max" wins over "Aurora"."""
        return [t for t in self.terms
                if t.source_lang in (None, source_lang)
                and (t.target is None or t.target_lang == target_lang)]


EMPTY = Glossary.of(())


class PlaceholderLost(ValueError):
    """A provider dropped or duplicated a protected term's placeholder."""


@dataclass(frozen=True)
class Protected:
    text: str
    slots: tuple[str, ...]  # what placeholder i becomes in the translation

    @property
    def any(self) -> bool:
        return bool(self.slots)


def _term_pattern(term: Term) -> re.Pattern[str]:
    body = re.escape(term.source)
    # Word edges only where the term starts/ends with a word character: "Aurora" must not
    # match inside "Auroras2", while CJK terms (no spaces) match anywhere.
    left = r"(?<!\w)" if term.source[:1].isascii() and term.source[:1].isalnum() else ""
    right = r"(?!\w)" if term.source[-1:].isascii() and term.source[-1:].isalnum() else ""
    return re.compile(left + body + right, 0 if term.case_sensitive else re.IGNORECASE)


def protect(text: str, glossary: Glossary, source_lang: str, target_lang: str) -> Protected:
    slots: list[str] = []
    out = text
    for term in glossary.applicable(source_lang, target_lang):
        pattern = _term_pattern(term)

        def swap(m: re.Match[str], term: Term = term) -> str:
            slots.append(term.target if term.target is not None else m.group(0))
            return f"[[T{len(slots) - 1}]]"

        out = pattern.sub(swap, out)
    return Protected(out, tuple(slots))


def restore(translated: str, protected: Protected) -> str:
    """Put each term back; refuse a translation that lost or repeated a placeholder."""
    if not protected.slots:
        return translated
    seen: list[int] = []

    def back(m: re.Match[str]) -> str:
        i = int(m.group(1))
        if i >= len(protected.slots):
            raise PlaceholderLost(f"unknown placeholder T{i}")
        seen.append(i)
        return protected.slots[i]

    out = _PLACEHOLDER.sub(back, translated)
    if sorted(seen) != list(range(len(protected.slots))):
        raise PlaceholderLost("a protected term was lost or repeated by the provider")
    return out
