"""HS code validation. Pure: reads the chapter list shipped as rules data.

An HS code is 6 digits internationally (chapter, heading, subheading); markets extend it to
8–10 national digits. We accept 6–10 digits, ignore dots and spaces a spreadsheet adds, and
check the chapter exists in the HS edition we ship (77 is reserved; 98/99 are national use).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

_DIGITS = re.compile(r"^\d{6,10}$")


@dataclass(frozen=True)
class HsChapters:
    edition: str
    titles: dict[str, str]


@cache
def chapters() -> HsChapters:
    path = resources.files("chuhai") / "rules" / "hs" / "chapters.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return HsChapters(edition=str(data["edition"]), titles=dict(data["chapters"]))


class HsCodeError(ValueError):
    pass


def normalize_hs(code: str) -> str:
    """Digits only, or ``HsCodeError`` saying why not."""
    cleaned = re.sub(r"[\s.\-]", "", code or "")
    if not _DIGITS.match(cleaned):
        raise HsCodeError("HS code must be 6 to 10 digits (e.g. 8518.30 or 851830)")
    chapter = cleaned[:2]
    if chapter not in chapters().titles:
        raise HsCodeError(f"HS chapter {chapter} does not exist in {chapters().edition}")
    return cleaned


def chapter_title(code: str) -> str:
    return chapters().titles[code[:2]]
