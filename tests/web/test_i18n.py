"""The buyer's language (web/i18n.py): which one a page speaks, that its words come from
the catalogs, that every catalog shipped is complete and really translated, and that bad
input or a broken catalog falls back to English instead of failing.

The buyer pages: the live room's viewer and replay, the storefront, product, cart, checkout,
3-D Secure, order and privacy pages, their error pages and their scripts. The sellers' and
hosts' pages are English this turn; tests/web/test_console_strings.py keeps them marked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from chuhai.web import i18n
from tests.web.catalogs import extracted

SRC = Path(i18n.__file__).resolve().parent.parent
ROOT = SRC.parent.parent
BUYER_TEMPLATES = ["shop_base.html", "storefront.html", "shop_markets.html", "product.html",
                   "cart.html", "my_orders.html", "my_order.html", "shop_error.html",
                   "live_base.html", "viewer.html", "replay.html", "three_ds.html",
                   "privacy_settings.html", "videos.html", "feed.html", "_trust.html"]
BUYER_SCRIPTS = ["shop.js", "address-form.js", "i18n.js", "viewer.js", "selling.js",
                 "page-api.js", "replay.js", "live-client.js", "consent.js",
                 "consent-banner.js", "privacy-settings.js", "forms.js", "videos.js",
                 "guest-cart.js", "feed.js"]
SHIPPED = [lang for lang in i18n.LANGUAGES if lang != "en"]  # every market's language
# Words that are the same in a language and in English (not "translated by copying").
SAME_AS_ENGLISH = {
    "de": {"Name", "Status:", "LIVE", "%(field)s (optional)", "Chat", "Videos"},
    "fr": {"E-mail"}, "es": {"Total: %(total)s", "Chat", "Popular"},
    "it": {"E-mail", "Password", "Chat"},
    "nl": {"E-mail", "LIVE", "Status:", "Variant", "Chat"}, "pl": {"E-mail"},
    "pt": {"E-mail", "Item", "Total: %(total)s", "Popular"},
    "id": {"Status:", "Total: %(total)s"}, "ms": {"Status:", "Popular"},
}


def template_messages() -> set[str]:
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as f:
        return {str(m.id) for m in read_po(f) if m.id}


# --- choosing the language -------------------------------------------------------------

def test_a_language_asked_for_wins_then_the_remembered_one_then_the_buyers_setting():
    base = {"accept_language": "ja-JP", "market_languages": ["de"]}
    assert i18n.choose(asked="ar", cookie="ja", user="de", **base) == "ar"
    assert i18n.choose(asked=None, cookie="ja", user="de", **base) == "ja"
    assert i18n.choose(asked=None, cookie=None, user="de", **base) == "de"


def test_the_browsers_languages_are_matched_to_the_markets_first_then_the_projects():
    # A Swiss visitor preferring French, shopping the German market: German is the market's
    # language, French is the project's — the market's comes first.
    assert i18n.choose(asked=None, cookie=None, user=None, accept_language="fr-CH, de;q=0.8",
                       market_languages=["de"]) == "de"
    assert i18n.choose(asked=None, cookie=None, user=None, accept_language="fr-CH",
                       market_languages=["de"]) == "fr"
    assert i18n.choose(asked=None, cookie=None, user=None, accept_language=None,
                       market_languages=["ar", "en"]) == "ar"
    assert i18n.choose(asked=None, cookie=None, user=None, accept_language="",
                       market_languages=[]) == "en"


@pytest.mark.parametrize("header", [
    "x" * 10_000, "de-DE;q=abc", ";;;,,,", "zz-ZZ", "*", "de-DE;q=0", "1234-56",
    "qqqqqqqqq-" + "A" * 5000, "\u0000ja",
])
def test_odd_accept_language_headers_fall_back_without_failing(header):
    got = i18n.choose(asked=None, cookie=None, user=None, accept_language=header,
                      market_languages=["ja"])
    assert got == "ja"  # nothing usable in the header: the market's language


def test_an_unsupported_language_asked_for_is_ignored():
    assert i18n.choose(asked="xx", cookie="<script>", user="klingon",
                       accept_language=None, market_languages=["ja"]) == "ja"


def test_arabic_is_written_right_to_left():
    assert (i18n.direction("ar"), i18n.direction("de"), i18n.direction("ar-SA")) == (
        "rtl", "ltr", "rtl")


# --- the catalogs ----------------------------------------------------------------------

@pytest.mark.parametrize("lang", SHIPPED)
def test_every_shipped_catalog_translates_every_message_without_copying_english(lang):
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    got = {str(m.id): str(m.string) for m in catalog if m.id and "fuzzy" not in m.flags}
    missing = sorted(template_messages() - {k for k, v in got.items() if v})
    assert missing == [], f"{lang}: no translation for {missing}"
    copied = sorted(k for k, v in got.items()  # (a message of placeholders has no words)
                    if v == k and k not in SAME_AS_ENGLISH.get(lang, set())
                    and re.search(r"[A-Za-z]", re.sub(r"%\(\w+\)s", "", k)))
    assert copied == [], f"{lang}: English copied as the translation: {copied}"
    for msgid, text in got.items():  # the same placeholders, or the page would break
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(
            re.findall(r"%\(\w+\)s", text)), (lang, msgid, text)


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_catalog_says_how_far_it_was_reviewed(lang):
    head = (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").read_text("utf-8")[:400]
    assert re.search(r"^# Review state: (machine-drafted|reviewed by .+ on \d{4}-\d\d-\d\d)",
                     head, re.M), head


def test_the_catalog_template_holds_every_message_the_code_marks(tmp_path):
    fresh = extracted("babel.cfg", tmp_path)
    assert sorted(fresh - template_messages()) == [], "run `make catalogs`"


def test_a_missing_or_broken_catalog_speaks_english(tmp_path, monkeypatch):
    broken = tmp_path / "de" / "LC_MESSAGES"
    broken.mkdir(parents=True)
    (broken / "messages.po").write_bytes(b'msgid "Cart"\nmsgstr "Warenkorb\n\x00\xff')
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        i18n.activate("de")
        assert i18n.gettext("Cart") == "Cart"
        i18n.activate("ja")  # no file at all
        assert i18n.gettext("Your cart") == "Your cart"
    finally:
        i18n.translations.cache_clear()
        i18n.activate("en")


def test_messages_are_translated_and_filled_in():
    i18n.activate("de", "de_DE")
    try:
        assert i18n.gettext("Delivery to %(country)s", country=i18n.country_name("JP")) == \
            "Versand nach Japan"
        assert i18n.num(1234) == "1.234"
        assert i18n.status_name("paid") == "bezahlt"
    finally:
        i18n.activate("en")


# --- nothing left in English by accident ------------------------------------------------

def _extracted(config: str) -> set[str]:
    text = (ROOT / config).read_text("utf-8")
    return set(re.findall(r"^\[\w+: src/chuhai/web/(?:templates|static/js)/(\S+)\]", text, re.M))


def test_every_page_and_script_is_extracted_once_as_a_buyer_or_a_console_one():
    buyer, console = _extracted("babel.cfg"), _extracted("babel-console.cfg")
    assert buyer & console == set()
    listed = {p.name for pattern in buyer | console
              for p in (SRC / "web").glob(f"**/{pattern}")}
    shipped = {p.name for p in (SRC / "web" / "templates").glob("*.html")} | {
        p.name for p in (SRC / "web" / "static" / "js").glob("*.js")}
    assert sorted(shipped - listed) == [], "name it in babel.cfg or babel-console.cfg"
    buyer_files = {p.name for pattern in buyer for p in (SRC / "web").glob(f"**/{pattern}")}
    assert set(BUYER_TEMPLATES) | set(BUYER_SCRIPTS) <= buyer_files
    assert buyer_files - set(BUYER_TEMPLATES) - set(BUYER_SCRIPTS) == set(), \
        "a buyer page or script the word tests below do not read"


@pytest.mark.parametrize("name", BUYER_TEMPLATES)
def test_a_buyer_template_has_no_words_outside_the_catalogs(name):
    source = (SRC / "web" / "templates" / name).read_text("utf-8")
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"<script\b.*?</script>|<[^>]+>", " ", text, flags=re.S)
    words = [w for w in re.findall(r"[A-Za-z]{2,}", text.replace("&amp;", " "))
             if w != "chuhai"]  # the brand
    assert words == [], f"{name}: words not marked for translation: {words}"


# A string literal in a buyer script that reads like words (two words, or a capitalised
# one) must be the argument of _(…); these are not words a buyer reads.
NOT_WORDS = re.compile(r"^(?:[a-z-]+(?: [a-z-]+)*|[A-Z][A-Z_]+|[\w./:${}()\-]+)$")


@pytest.mark.parametrize("name", BUYER_SCRIPTS)
def test_a_buyer_script_shows_no_words_outside_the_catalogs(name):
    source = (SRC / "web" / "static" / "js" / name).read_text("utf-8")
    source = re.sub(r"^\s*//.*$", "", source, flags=re.M)
    bad = []
    for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', source):
        literal = m.group(1)
        before = source[max(0, m.start() - 2):m.start()]
        if before.endswith("_(") or not re.search(r"[A-Za-z]", literal):
            continue
        if re.search(r"[A-Z][a-z]+\s|\s[a-z]+\s|[A-Z][a-z]+$", literal) and \
                not NOT_WORDS.match(literal):
            bad.append(literal)
    assert bad == [], f"{name}: {bad}"
