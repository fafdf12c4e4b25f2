"""The buyer's language: which one a page speaks, and its words from gettext catalogs.

Catalogs are ``src/chuhai/locale/<lang>/LC_MESSAGES/messages.po`` (Babel extracts the
template, Python and JavaScript strings into ``messages.pot``; ``make catalogs`` updates
them). A catalog is read with Babel when first needed and kept; a language without one, or
whose file is missing or broken at run time, speaks English — never a 500.

Choice, first that applies: ``?lang=`` (when supported; remembered in a cookie), the cookie,
the signed-in buyer's setting, the visitor's ``Accept-Language`` negotiated against the
market's languages and then the project's, the market's first language, English.
"""

from __future__ import annotations

import gettext as gettext_module
import io
import logging
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

log = logging.getLogger("chuhai.i18n")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# Every language of the project's markets.
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "ja", "ko", "zh", "ar", "id",
             "ms", "th", "vi")
RTL = frozenset({"ar", "he", "fa", "ur"})
COOKIE = "chuhai_lang"
MAX_HEADER = 4096  # of Accept-Language read; the rest is ignored
MAX_TAGS = 20

_current: ContextVar[str] = ContextVar("chuhai_language", default="en")
_locale: ContextVar[str] = ContextVar("chuhai_locale", default="en_US")


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


# What an order's status says to its buyer.
STATUSES = {
    "pending_payment": N_("awaiting payment"), "paid": N_("paid"),
    "allocated": N_("being packed"), "shipped": N_("shipped"), "delivered": N_("delivered"),
    "cancelled": N_("cancelled"), "refunded": N_("refunded"), "returned": N_("returned"),
}


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The catalog of ``language``, or English (no translation) where there is none."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or language not in LANGUAGES or not path.is_file():
        return gettext_module.NullTranslations()
    try:
        with path.open("rb") as f:
            catalog = read_po(f, locale=language)
        buf = io.BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        buf.seek(0)
        return gettext_module.GNUTranslations(buf)
    except Exception:  # a broken catalog speaks English rather than failing the page
        log.exception("catalog %s could not be read; speaking English", path)
        return gettext_module.NullTranslations()


def activate(language: str, locale: str | None = None) -> None:
    """Make ``language`` the one this request's templates and messages speak, and
    ``locale`` (``de_DE``) the one its numbers, dates and country names follow."""
    lang = language if language in LANGUAGES else "en"
    _current.set(lang)
    _locale.set(_valid_locale(locale or lang))


@cache
def _valid_locale(tag: str) -> str:
    try:
        return str(Locale.parse(tag.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return "en_US"


def country_name(code: str | None) -> str:
    """The country's name in the page's language (``JP`` → "Japan", "日本", "اليابان")."""
    if not code:
        return ""
    return str(Locale.parse(_locale.get()).territories.get(code.upper(), code))


def num(n: int | float) -> str:
    return format_decimal(n, locale=_locale.get())


def when(at: datetime) -> str:
    """A moment in the page's locale (UTC: the buyer's own time zone is not known here)."""
    return f"{format_datetime(at, 'medium', tzinfo=UTC, locale=_locale.get())} UTC"


def day(at: datetime) -> str:
    return format_date(at, "medium", locale=_locale.get())


def status_name(status: str) -> str:
    return gettext(STATUSES.get(status, status))


def current() -> str:
    return _current.get()


def gettext(message: str, **params: Any) -> str:
    text = translations(_current.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


@cache
def _js_ids() -> tuple[str, ...]:
    """The messages the JavaScript modules use (their locations in ``messages.pot``)."""
    path = LOCALE_DIR / "messages.pot"
    if not path.is_file():
        return ()
    with path.open("rb") as f:
        catalog = read_po(f)
    return tuple(str(m.id) for m in catalog if m.id and isinstance(m.id, str)
                 and any(loc.endswith(".js") for loc, _ in m.locations))


def js_messages(language: str) -> dict[str, str]:
    """The page's JavaScript strings in ``language`` (served with each buyer page, read by
    ``static/js/i18n.js``); empty in English."""
    if language == "en":
        return {}
    t = translations(language)
    return {i: t.gettext(i) for i in _js_ids() if t.gettext(i) != i}


def direction(language: str) -> str:
    return "rtl" if language.split("-")[0] in RTL else "ltr"


def parse_accept_language(header: str | None) -> list[str]:
    """Primary language subtags in order of preference (q=0 dropped), bounded in size."""
    tags: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "")[:MAX_HEADER].split(",")[:MAX_TAGS]):
        tag, *params = part.strip().split(";")
        q = 1.0
        for p in params:
            name, _, value = p.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().replace("_", "-").split("-")[0].lower()
        if q > 0 and primary.isalpha() and 1 < len(primary) < 9:
            tags.append((-q, i, primary))
    return [t for _, _, t in sorted(tags)]


def choose(*, asked: str | None, cookie: str | None, user: str | None,
           accept_language: str | None, market_languages: Sequence[str]) -> str:
    """The page's language (see the module's docstring for the order)."""
    for candidate in (asked, cookie, user):
        if candidate and candidate.split("-")[0].lower() in LANGUAGES:
            return candidate.split("-")[0].lower()
    market = [m.split("-")[0].lower() for m in market_languages]
    wanted = parse_accept_language(accept_language)
    for pool in ([m for m in market if m in LANGUAGES], list(LANGUAGES)):
        for tag in wanted:
            if tag in pool:
                return tag
    for m in market:
        if m in LANGUAGES:
            return m
    return "en"
