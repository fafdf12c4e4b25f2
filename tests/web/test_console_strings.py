"""The sellers' and hosts' pages (the console) and their scripts: every English word they
show is marked for translation (`_()`/`ngettext()` in the templates, `_()` from i18n.js in
the scripts), so that a later change only adds catalogs (locale/console.pot, babel-console.cfg).
They still speak English; tests elsewhere check what they say.

The buyer pages have the same checks in test_i18n.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chuhai.web import i18n

SRC = Path(i18n.__file__).resolve().parent.parent
TEMPLATES = SRC / "web" / "templates"
SCRIPTS = SRC / "web" / "static" / "js"
CONSOLE_TEMPLATES = [
    "base.html", "console_home.html", "products_list.html", "product_form.html", "rooms.html",
    "host.html", "import.html", "orders.html", "order.html", "tokens.html", "webhooks.html",
    "privacy_office.html", "privacy_forward.html", "glossary.html", "login.html",
    "script_check.html", "api_docs.html", "error.html", "console_videos.html",
    "console_analytics.html",
]
CONSOLE_SCRIPTS = ["host.js", "advice.js", "selling-host.js", "console-videos.js",
                   "console-analytics.js"]

# Left as they are, everything else is marked:
#  - "chuhai": the brand, in every language;
#  - a <pre> block: program text to copy as it is (tokens.html's curl call);
#  - "Hofstede" (a Jinja literal): the name of the data set the culture scores come from,
#    shown when the data names none.
NOT_WORDS = {"chuhai"}
NOT_WORDS_IN_EXPRESSIONS = {"Hofstede"}
# Attributes that a person reads (or hears from a screen reader).
READ_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt", "data-label", "data-confirm")
# A literal that reads like words: a capitalised word alone ("Pin", "E-mail") or followed
# by a space or a colon ("Do: …"), a label ("moderation: …"), or a word after a space
# ("Ban … from this room?", " (closed)", "… point(s)").
WORDY = re.compile(r"^[A-Z][a-z-]*[a-z]$|[A-Z][a-z]+[\s:]|[A-Za-z]{2,}:\s|\s[(“\"«]?[A-Za-z]{2,}")


def without_jinja(source: str) -> str:
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)


def words_outside_the_markers(source: str) -> list[str]:
    """The words left in a template's text and read attributes once the Jinja tags, the
    scripts, the <pre> blocks, the tags and the character references are taken out."""
    text = without_jinja(source)
    read = "|".join(READ_ATTRIBUTES)
    attrs = " ".join(m.group(2) for m in re.finditer(rf'\b({read})="([^"]*)"', text))
    text = re.sub(r"<script\b.*?</script>|<pre\b.*?</pre>|<[^>]+>", " ", text, flags=re.S)
    text = re.sub(r"&#?\w+;", " ", f"{text} {attrs}")
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in NOT_WORDS]


def unmarked_literals_in_expressions(source: str) -> list[str]:
    """String literals inside {{ }} and {% %} that read like words and are neither the
    message of _()/gettext()/ngettext() nor a value filled into one (`name="…"`)."""
    bad = []
    for tag in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", source, flags=re.S):
        code = tag.group(0)
        for m in re.finditer(r"""(["'])((?:(?!\1)[^\\]|\\.)*)\1""", code):
            literal, before = m.group(2), code[:m.start()].rstrip()
            if re.search(r"\b(?:_|gettext|ngettext)\($", before) or \
                    re.search(r"""\bngettext\(\s*(["']).*?\1\s*,$""", before, flags=re.S):
                continue  # the message (or ngettext's plural)
            if re.search(r"\w=$", before):
                continue  # a placeholder's value: data in a marked message
            if WORDY.search(literal) and literal not in NOT_WORDS_IN_EXPRESSIONS:
                bad.append(literal)
    return bad


@pytest.mark.parametrize("name", CONSOLE_TEMPLATES)
def test_a_console_template_has_no_words_outside_the_markers(name):
    source = (TEMPLATES / name).read_text("utf-8")
    words = words_outside_the_markers(source)
    assert words == [], f"{name}: words not marked for translation: {words}"
    literals = unmarked_literals_in_expressions(source)
    assert literals == [], f"{name}: literals not marked for translation: {literals}"


def test_the_template_check_finds_an_unmarked_word():
    assert words_outside_the_markers('<h1>{{ _("Orders") }}</h1><p>Nothing yet</p>') == [
        "Nothing", "yet"]
    assert words_outside_the_markers('<input placeholder="Search">') == ["Search"]
    assert words_outside_the_markers('<a title="{{ _(\'Open\') }}">{{ x }}</a>') == []
    assert unmarked_literals_in_expressions(
        "{{ 'Save changes' if p else _('Create product') }}") == ["Save changes"]
    assert unmarked_literals_in_expressions(
        "{{ {'chat': 'Live chat', 'other': _('Other')}[c] }}") == ["Live chat"]
    assert unmarked_literals_in_expressions(
        "{{ _('Title (%(language)s)', language='English') }}") == []


# --- the scripts -------------------------------------------------------------------------

def js_literals(source: str) -> list[tuple[str, int]]:
    """Every string literal of a script ("…", '…' and `…`, with each ${…} of a template
    literal read as "…" and its own literals listed too) with its offset; comments
    skipped. Enough of JavaScript for these modules (they use no regular-expression
    literals)."""
    found: list[tuple[str, int]] = []

    def code(i: int, inside: bool) -> int:
        depth = 0
        while i < len(source):
            c = source[i]
            if source.startswith("//", i):
                i = source.find("\n", i) if "\n" in source[i:] else len(source)
            elif source.startswith("/*", i):
                i = source.index("*/", i) + 2
            elif c in "\"'":
                j = i + 1
                while source[j] != c:
                    j += 2 if source[j] == "\\" else 1
                found.append((source[i + 1:j], i))
                i = j + 1
            elif c == "`":
                i = template(i)
            else:
                if c == "{":
                    depth += 1
                elif c == "}":
                    if depth == 0 and inside:
                        return i + 1
                    depth -= 1
                i += 1
        return i

    def template(start: int) -> int:
        i, text = start + 1, []
        while source[i] != "`":
            if source[i] == "\\":
                text.append(source[i:i + 2])
                i += 2
            elif source.startswith("${", i):
                text.append("…")
                i = code(i + 2, inside=True)
            else:
                text.append(source[i])
                i += 1
        found.append(("".join(text), start))
        return i + 1

    code(0, inside=False)
    return found


def css_classes() -> set[str]:
    css = "".join(p.read_text("utf-8") for p in (SRC / "web" / "static").glob("*.css"))
    return set(re.findall(r"\.([a-z][\w-]*)", css))


def unmarked_script_strings(source: str, classes: set[str]) -> list[str]:
    bad = []
    for literal, at in js_literals(source):
        if re.search(r"\b_\(\s*$", source[:at]):
            continue  # the message of _()
        if all(w in classes for w in literal.split()):
            continue  # a class list ("finding blocked", "tr muted")
        if WORDY.search(literal):
            bad.append(literal)
    return bad


@pytest.mark.parametrize("name", CONSOLE_SCRIPTS)
def test_a_console_script_shows_no_words_outside_the_markers(name):
    source = (SCRIPTS / name).read_text("utf-8")
    assert 'import { _ } from "./i18n.js";' in source
    bad = unmarked_script_strings(source, css_classes())
    assert bad == [], f"{name}: strings not marked for translation: {bad}"


def test_the_script_check_finds_an_unmarked_string():
    classes = {"badge", "muted"}
    source = """// A comment's "Words here" are not shown.
      el("b", { class: "badge muted", title: "screening flagged" }, _("Pin"), "Unpin");
      confirm(`Ban ${d.author} from ${`room ${n}`}?`); log(_("room is %(s)s", { s }));
      const u = `/api/x?seller=${encodeURIComponent(x)}&market=${m}`; say('Sign in');
    """
    assert unmarked_script_strings(source, classes) == [
        "screening flagged", "Unpin", "Ban … from …?", "Sign in"]


def test_the_console_template_holds_every_message_the_console_marks(tmp_path):
    from babel.messages.pofile import read_po

    from tests.web.catalogs import extracted

    fresh = extracted("babel-console.cfg", tmp_path)
    with (i18n.LOCALE_DIR / "console.pot").open("rb") as f:
        shipped = {str(m.id) for m in read_po(f) if m.id}
    assert sorted(fresh ^ shipped) == [], "run `make catalogs`"
