"""What a listing's words and a buyer's query become for matching: one normalizer for both.

Folding (NFKC, case, accents of Latin/Greek/Cyrillic letters and Arabic short vowels) makes
``Geräuschunterdrückung`` = ``gerauschunterdruckung`` and half-width ``ｽﾋﾟｰｶｰ`` = ``スピーカー``
— without touching the marks that are letters elsewhere (Japanese dakuten, Thai vowels).
A document then yields *terms* of a few kinds:

- ``w`` a whole word (Latin, Arabic, Hangul … words; hyphenated names also joined:
  ``usb-c`` → ``usb``, ``c``, ``usbc``);
- ``s`` its stem in the listing's language (Snowball);
- ``g`` the character trigrams of title words of four letters or more, so that a word
  inside a compound matches (``verstarker`` in ``kopfhorerverstarker``);
- ``b``/``u`` overlapping bigrams and single characters of scripts written without spaces
  (Han, kana, Thai) and of Hangul words, so ``充電`` finds ``充電器``;
- ``m``/``o`` the market and the shop, so that one full-text match also filters.

Each term is stored as a short hash token (``t`` + 12 hex digits): plain ASCII that SQLite's
FTS5 and PostgreSQL's ``simple`` configuration split and compare the same way, and that no
query can turn into FTS syntax. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import snowballstemmer

MAX_QUERY = 200  # characters of a query read; the rest is ignored
MAX_UNITS = 8  # words of a query matched

# Snowball's algorithm for each language of the markets (Malay reads as Indonesian).
STEMMERS = {"en": "english", "de": "german", "fr": "french", "es": "spanish",
            "it": "italian", "nl": "dutch", "pl": "polish", "pt": "portuguese",
            "ar": "arabic", "id": "indonesian", "ms": "indonesian"}
_ARABIC_VOWELS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alif, tatweel


def _spaceless(ch: str) -> bool:
    """Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar: written without spaces."""
    o = ord(ch)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF
            or 0xF900 <= o <= 0xFAFF or 0x0E00 <= o <= 0x0EFF or 0x1000 <= o <= 0x109F
            or 0x1780 <= o <= 0x17FF or 0x20000 <= o <= 0x2FA1F)


def _hangul(ch: str) -> bool:
    return 0xAC00 <= ord(ch) <= 0xD7A3


def _latin_like(ch: str) -> bool:
    """Letters whose accents a buyer may leave out: Latin, Greek, Cyrillic."""
    return ord(ch) < 0x0530


def fold(text: str) -> str:
    """NFKC, case-folded, accents of Latin/Greek/Cyrillic letters and Arabic short vowels
    removed; other marks (dakuten, Thai vowels, Hangul) kept as they are."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch) == "Mn" and base and _latin_like(base):
            continue
        if unicodedata.category(ch) != "Mn":
            base = ch
        out.append(ch)
    return _ARABIC_VOWELS.sub("", unicodedata.normalize("NFC", "".join(out)))


@dataclass(frozen=True)
class Chunk:
    """A run of one kind: a spaced word (``word``), or a spaceless run (``run``)."""

    text: str
    spaceless: bool
    joined: str = ""  # a hyphenated name without its hyphens: usb-c → usbc


def _pieces(part: str) -> list[str]:
    """Runs of letters, digits and marks (a Thai vowel sign is part of its word)."""
    out: list[str] = []
    current: list[str] = []
    for ch in part:
        if unicodedata.category(ch)[0] in "LNM":
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def chunks(text: str) -> list[Chunk]:
    """Words and spaceless runs of folded ``text``, in order."""
    out: list[Chunk] = []
    for part in re.split(r"\s+", fold(text)):
        pieces = _pieces(part)
        joined = "".join(pieces) if len(pieces) > 1 else ""
        for piece in pieces:
            for run in _runs(piece):
                out.append(run)
        if joined and not any(_spaceless(c) for c in joined):
            out.append(Chunk(joined, False, joined))
    return out


def _runs(piece: str) -> Iterable[Chunk]:
    start = 0
    for i in range(1, len(piece) + 1):
        if i == len(piece) or _spaceless(piece[i]) != _spaceless(piece[start]):
            yield Chunk(piece[start:i], _spaceless(piece[start]))
            start = i


def token(kind: str, term: str) -> str:
    """The stored form of a term: ASCII, the same in every engine, never FTS syntax."""
    return "t" + hashlib.blake2b(f"{kind}:{term}".encode(), digest_size=6).hexdigest()


@cache
def _stemmer(language: str) -> snowballstemmer.Stemmer | None:
    name = STEMMERS.get(language.split("-")[0])
    return snowballstemmer.stemmer(name) if name else None


def stem(word: str, language: str) -> str:
    s = _stemmer(language)
    return str(s.stemWord(word)) if s is not None and word.isalpha() else word


def trigrams(word: str) -> list[str]:
    return [word[i:i + 3] for i in range(len(word) - 2)]


def _ngram_terms(run: str) -> list[tuple[str, str]]:
    terms = [("u", ch) for ch in run]
    terms += [("b", run[i:i + 2]) for i in range(len(run) - 1)]
    return terms


def terms(text: str, language: str, *, compounds: bool) -> list[tuple[str, str]]:
    """The (kind, term) pairs of ``text`` in ``language``; with ``compounds``, trigrams of
    its longer words too (titles and brands: where a compound names the product)."""
    out: list[tuple[str, str]] = []
    for c in chunks(text):
        if c.spaceless:
            out += _ngram_terms(c.text)
            continue
        out.append(("w", c.text))
        if any(_hangul(ch) for ch in c.text):
            out += _ngram_terms(c.text)
            continue
        st = stem(c.text, language)
        if st != c.text:
            out.append(("s", st))
        if compounds and len(c.text) >= 4 and not c.text.isdigit():
            out += [("g", t) for t in trigrams(c.text)]
    return out


@dataclass(frozen=True)
class Document:
    """What the index stores for one listing."""

    title_tokens: str  # title and brand
    body_tokens: str  # description and SKU attributes
    words: tuple[str, ...]  # whole Latin-script words: the vocabulary typos are corrected to


def document(*, title: str, brand: str, description: str, attributes: Sequence[str],
             language: str, market: str, org_id: str) -> Document:
    head = terms(f"{title} {brand}", language, compounds=True)
    body = terms(f"{description} {' '.join(attributes)}", language, compounds=False)
    head += [("m", market.upper()), ("o", org_id)]
    words = tuple(sorted({t for k, t in head + body if k == "w" and t.isalpha()
                          and t.isascii() and len(t) >= 3}))
    return Document(" ".join(dict.fromkeys(token(k, t) for k, t in head)),
                    " ".join(dict.fromkeys(token(k, t) for k, t in body)), words)


# --- the query ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Alternative:
    """One way a query word can match: its tokens all present (AND)."""

    how: str  # exact | stem | compound | typo | ngram
    tokens: tuple[str, ...]
    shown: str  # what the buyer is told matched ("keyboard" for a typo "keybord")


@dataclass(frozen=True)
class Unit:
    """One word of the query and its alternatives (any one matches)."""

    text: str
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class Query:
    units: tuple[Unit, ...]
    filters: tuple[str, ...] = field(default=())  # market and shop tokens (AND)

    @property
    def empty(self) -> bool:
        return not self.units


def typo_distance(word: str) -> int:
    """Edits allowed when correcting ``word``: none under 4 letters, 1 up to 7, else 2."""
    return 0 if len(word) < 4 else 1 if len(word) <= 7 else 2


def query(text: str, languages: Sequence[str], *, market: str, org_id: str | None,
          corrections: dict[str, list[str]] | None = None) -> Query:
    """The plan of a buyer's query: every word must match, each in one of its ways.
    ``corrections`` maps a word to vocabulary words within its typo distance (the caller
    looks them up; this stays pure)."""
    units: list[Unit] = []
    seen: set[str] = set()
    for c in chunks(text[:MAX_QUERY]):
        if c.text in seen or len(units) >= MAX_UNITS:
            continue
        seen.add(c.text)
        alts: list[Alternative] = []
        if c.spaceless or any(_hangul(ch) for ch in c.text):
            if not c.spaceless:
                alts.append(Alternative("exact", (token("w", c.text),), c.text))
            grams = [c.text] if len(c.text) == 1 else [
                c.text[i:i + 2] for i in range(len(c.text) - 1)]
            kind = "u" if len(c.text) == 1 else "b"
            alts.append(Alternative("ngram", tuple(token(kind, g) for g in grams), c.text))
        else:
            alts.append(Alternative("exact", (token("w", c.text),), c.text))
            for lang in dict.fromkeys(languages):
                st = stem(c.text, lang)
                if st != c.text:
                    alts.append(Alternative("stem", (token("s", st),), c.text))
            if len(c.text) >= 4 and not c.text.isdigit():
                alts.append(Alternative("compound", tuple(
                    token("g", t) for t in dict.fromkeys(trigrams(c.text))), c.text))
            for fix in (corrections or {}).get(c.text, []):
                alts.append(Alternative("typo", (token("w", fix),), fix))
                for lang in dict.fromkeys(languages):
                    alts.append(Alternative("typo", (token("s", stem(fix, lang)),), fix))
        units.append(Unit(c.text, tuple(dict.fromkeys(alts))))
    filters = [token("m", market.upper())] + ([token("o", org_id)] if org_id else [])
    return Query(tuple(units), tuple(filters))


def latin_words(text: str) -> list[str]:
    """The query's words that typos can be corrected in (Latin letters, 4 or more)."""
    return [c.text for c in chunks(text[:MAX_QUERY])
            if not c.spaceless and c.text.isascii() and c.text.isalpha() and len(c.text) >= 4]


def match_expression(q: Query, dialect: str) -> str:
    """The full-text expression: SQLite FTS5 (``sqlite``) or PostgreSQL ``to_tsquery``."""
    AND, OR = (" AND ", " OR ") if dialect == "sqlite" else (" & ", " | ")

    def group(tokens: Sequence[str]) -> str:
        return tokens[0] if len(tokens) == 1 else "(" + AND.join(tokens) + ")"

    parts = ["(" + OR.join(dict.fromkeys(group(a.tokens) for a in u.alternatives)) + ")"
             for u in q.units]
    return AND.join(parts + list(q.filters))
