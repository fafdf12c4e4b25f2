"""Language detection for short chat lines.

Chat lines are short ("XL?", "好看", "so cute 😍") and often mixed ("这个 jacket 有 XL 吗").
Script decides first, because it is certain and cheap: kana means Japanese even among kanji,
Hangul Korean, Thai script Thai, Arabic script Arabic, Tamil script Tamil, Han alone
Chinese — whenever that
script carries a fair share of the line's letters. Latin-script lines go to lingua (limited
to the languages we serve, which makes it both faster and more accurate) and, when lingua is
not confident, the author's own language (the page's) stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ja", re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")),  # hiragana, katakana
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")),
    ("ta", re.compile(r"[\u0b80-\u0bff]")),  # Tamil (SG, MY)
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
)
_HAN = _SCRIPTS[-1][1]
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ɏḀ-ỿ]+")
# Malay is left out on purpose: lingua then loses its confidence on most Indonesian lines,
# and the screener applies the Malay and Indonesian packs to either (engine.SIBLINGS).
LATIN_LANGS = ("en", "de", "fr", "es", "it", "pt", "id", "vi", "nl", "pl", "tl")
MIN_RELATIVE = 0.15  # lingua's "not sure" below this distance between first and second


@dataclass(frozen=True)
class Detection:
    lang: str
    confident: bool
    mixed: bool  # more than one script carried the line

    def as_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, "confident": self.confident, "mixed": self.mixed}


@lru_cache(maxsize=1)
def _lingua() -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, c.upper()) for c in LATIN_LANGS]
    return (LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
            .with_minimum_relative_distance(MIN_RELATIVE).build())


def detect(text: str, fallback: str = "en") -> Detection:
    latin_words = len(_LATIN_WORD.findall(text))
    counts = {lang: len(rx.findall(text)) for lang, rx in _SCRIPTS}
    if counts["ja"]:  # kana: Japanese, whatever kanji or Latin words come with it
        counts["ja"] += counts.pop("zh")
    scripts = {k: v for k, v in counts.items() if v}
    mixed = len(scripts) + (1 if latin_words else 0) > 1
    if scripts:
        lang, n = max(scripts.items(), key=lambda kv: kv[1])
        # CJK/Thai characters are about a word each for two or three characters; a line
        # is that language when its script is not swamped by Latin words.
        weight = n / 2 if lang in ("zh", "ja", "th", "ko") else n / 5
        if weight >= latin_words or latin_words <= 2:
            return Detection(lang, True, mixed)
    if latin_words == 0:
        return Detection(fallback, False, mixed)
    found = _lingua().detect_language_of(text)
    if found is None:
        return Detection(fallback, False, mixed)
    return Detection(found.iso_code_639_1.name.lower(), True, mixed)
