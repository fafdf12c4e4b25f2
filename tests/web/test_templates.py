"""The shared templates: a page's title is plain text (the browser shows a <title> verbatim,
so markup placed there ends up in tabs, history and bookmarks), and both base templates,
the console's and the live pages', link the favicon."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, nodes

import chuhai.web

TEMPLATES = Path(chuhai.web.__file__).parent / "templates"
ENV = Environment(loader=FileSystemLoader(TEMPLATES))


def _title_block(name: str) -> nodes.Block | None:
    tree = ENV.parse(ENV.loader.get_source(ENV, name)[0])
    return next((b for b in tree.find_all(nodes.Block) if b.name == "title"), None)


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_page_titles_hold_no_markup(name):
    block = _title_block(name)
    if block is None:
        return
    literal = "".join(n.data for n in block.find_all(nodes.TemplateData))
    assert "<" not in literal and ">" not in literal, (
        f"{name}: the title block holds markup: {literal.strip()!r}")


@pytest.mark.parametrize("name", ["base.html", "live_base.html"])
def test_base_templates_link_the_favicon(name):
    source = (TEMPLATES / name).read_text("utf-8")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in source
