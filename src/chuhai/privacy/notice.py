"""The consent banner's and privacy settings' words, in the viewer's language
(rules/privacy/notice_text.toml). A language without its own text falls back to its base
language, then to English, key by key, so a missing line never shows a raw key."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    text = (resources.files("chuhai") / "rules" / "privacy" / "notice_text.toml").read_text(
        "utf-8")
    data = tomllib.loads(text)
    return {lang: {k: str(v) for k, v in table.items()} for lang, table in data.items()}


def texts(lang: str | None) -> tuple[str, dict[str, str]]:
    """The language used and its texts (with English behind every missing key)."""
    cat = catalog()
    base = (lang or "en").lower().replace("_", "-")
    chosen = base if base in cat else base.split("-")[0]
    if chosen not in cat:
        chosen = "en"
    return chosen, {**cat["en"], **cat[chosen]}


def languages() -> list[str]:
    return sorted(catalog())
