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
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from chuhai.markets.profiles import get_profile

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
    # a payment's (the test bank's page)
    "succeeded": N_("approved"), "failed": N_("declined"),
    "requires_action": N_("waiting for your confirmation"),
    # a privacy request's (the privacy settings page)
    "open": N_("being handled"), "awaiting_verification": N_("waiting for you to confirm"),
    "completed": N_("completed"), "rejected": N_("declined"),
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


def percent(share: float) -> str:
    """A share (0.955) as the page's locale writes a percentage ("96 %", "96%", "٪96")."""
    return format_percent(share, locale=_locale.get())


def duration(seconds: int) -> str:
    """A length of time in words, in the page's language ("2 minutes", "2 Minuten")."""
    return format_timedelta(timedelta(seconds=seconds), threshold=1.5, locale=_locale.get())


def when(at: datetime) -> str:
    """A moment in the page's locale (UTC: the buyer's own time zone is not known here)."""
    return f"{format_datetime(at, 'medium', tzinfo=UTC, locale=_locale.get())} UTC"


def day(at: datetime | date | str) -> str:
    """A calendar day in the page's locale (an ISO string as JSON views carry it, too)."""
    return format_date(date.fromisoformat(at) if isinstance(at, str) else at, "medium",
                       locale=_locale.get())


def status_name(status: str) -> str:
    return gettext(STATUSES.get(status, status))


def current() -> str:
    return _current.get()


def gettext(message: str, **params: Any) -> str:
    text = translations(_current.get()).gettext(message)
    return text % params if params else text


def template_ngettext(singular: str, plural: str, n: int) -> str:
    """For Jinja's newstyle ngettext, which fills in ``num`` and the other placeholders."""
    return translations(_current.get()).ngettext(singular, plural, n)


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


class _Request(Protocol):
    @property
    def query_params(self) -> Mapping[str, str]: ...
    @property
    def cookies(self) -> Mapping[str, str]: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


def asked_for(request: _Request) -> str | None:
    """The language the address asks for (``?lang=``), bounded; unchecked."""
    return request.query_params.get("lang", "")[:16] or None


def from_request(request: _Request, *, user: str | None = None,
                 market_languages: Sequence[str] = ()) -> str:
    """The language of a page or answer to ``request`` (see ``choose``)."""
    return choose(asked=asked_for(request), cookie=request.cookies.get(COOKIE, "")[:16] or None,
                  user=user, accept_language=request.headers.get("accept-language"),
                  market_languages=market_languages)


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


def language_name(code: str) -> str:
    """A language's name in itself ("Deutsch", "日本語", "العربية"): what a switcher shows."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:]


def alternatives(current: str, market_languages: Sequence[str]) -> list[tuple[str, str]]:
    """The other languages a page offers: the market's, then English; each with its name."""
    codes: list[str] = []
    for tag in [*market_languages, "en"]:
        code = tag.split("-")[0].lower()
        if code in LANGUAGES and code != current and code not in codes:
            codes.append(code)
    return [(c, language_name(c)) for c in codes]


def locale_for(market: str, language: str | None = None) -> str:
    """The buyer's locale for numbers and money: their language in the market's country
    (de_AT), else the market's own locale, else en_US."""
    profile = get_profile(market)
    tags = [f"{language.replace('-', '_')}_{market}"] if language else []
    tags += [profile.default_locale] if profile else []
    for tag in tags:
        try:
            return str(Locale.parse(tag))
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return "en_US"
