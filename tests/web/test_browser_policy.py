"""The browser policy (web/browser_policy.py): the Content-Security-Policy header's
directives, that nothing from the request can widen it, that every response carries it,
that only the viewer and replay pages widen it (for their video and images), and that no
template or script of ours needs what it forbids. Chromium's view of it is in
tests/e2e/test_browser_policy.py."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

import chuhai
from chuhai.web.browser_policy import (
    content_security_policy,
    origin_of,
    safe_host,
)
from tests.factories import make_tenant

SRC = Path(chuhai.__file__).parent
STATIC_JS = SRC / "web" / "static" / "js"
DIRECTIVES = ["default-src", "script-src", "style-src", "img-src", "media-src", "worker-src",
              "connect-src", "frame-ancestors", "base-uri", "form-action", "object-src"]


def parse(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in out, f"{name} twice"
        out[name] = sources
    return out


def test_the_policy_names_each_directive_with_its_sources():
    policy = parse(content_security_policy("shop.example.com"))
    assert list(policy) == DIRECTIVES
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'", "ws://shop.example.com", "wss://shop.example.com"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    }


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "[::1]:8000",
                                  "Shop.Example.com:443"])
def test_the_socket_sources_are_the_requests_own_host(host):
    sources = parse(content_security_policy(host))["connect-src"]
    assert sources == ["'self'", f"ws://{host.lower()}", f"wss://{host.lower()}"]


@pytest.mark.parametrize("host", [
    None, "", "evil.example; script-src *", "a b", "a,b", "shop.example/path",
    "shop.example:80:80", "-x.example", "user@shop.example", "shop.example\r\nX-A: 1",
    "'unsafe-inline'", "ｓｈｏｐ.example"])
def test_a_forged_host_adds_nothing_to_the_header(host):
    header = content_security_policy(host)
    assert safe_host(host) is None
    assert list(parse(header)) == DIRECTIVES
    assert parse(header)["connect-src"] == ["'self'"]
    assert parse(header)["script-src"] == ["'self'"]


def test_frame_ancestors_is_a_parameter_that_takes_only_sources():
    assert parse(content_security_policy("h", frame_ancestors=["'self'"]))[
        "frame-ancestors"] == ["'self'"]
    embed = parse(content_security_policy(
        "h", frame_ancestors=["https://blog.example", "'none'"]))
    assert embed["frame-ancestors"] == ["https://blog.example"]  # 'none' alone or not at all
    assert parse(content_security_policy("h", frame_ancestors=[]))["frame-ancestors"] == [
        "'none'"]
    for bad in ["*", "https://a.example; script-src *", "'unsafe-inline'", "javascript:",
                "https://a.example/path", "a.example"]:
        with pytest.raises(ValueError):
            content_security_policy("h", frame_ancestors=[bad])
        with pytest.raises(ValueError):
            content_security_policy("h", media=[bad])


def test_media_and_images_widen_only_their_own_directives():
    wide = parse(content_security_policy("h", media=["https://live.example.com"],
                                         images=["https:"]))
    assert wide["media-src"] == ["'self'", "blob:", "https://live.example.com"]
    assert wide["connect-src"] == ["'self'", "ws://h", "wss://h", "https://live.example.com"]
    assert wide["img-src"] == ["'self'", "data:", "https:"]
    assert wide["script-src"] == ["'self'"] and wide["worker-src"] == ["'self'", "blob:"]


@pytest.mark.parametrize(("url", "origin"), [
    ("https://live.example.com/hls/r/index.m3u8", "https://live.example.com"),
    ("http://Live.Example.com:8080/x", "http://live.example.com:8080"),
    ("https://user:pw@cdn.example/x", "https://cdn.example"),
    ("/media/live/r/index.m3u8", None),
    ("//cdn.example/x.m3u8", None),
    ("javascript:alert(1)", None),
    ("data:text/html,x", None),
    ("https://cdn.example;script-src*/x", None),
    ("https://[::1", None),
    ("", None),
    (None, None),
])
def test_origin_of(url, origin):
    assert origin_of(url) == origin


@pytest.mark.parametrize("path", [
    "/login", "/healthz", "/docs", "/openapi.json", "/static/app.css",
    "/static/js/forms.js", "/api/markets", "/no-such-page", "/console", "/live/room_nope",
    "/privacy?market=DE&lang=de"])
async def test_every_response_carries_the_policy(app_client: httpx.AsyncClient, path):
    resp = await app_client.get(path, headers={"host": "shop.example.com"})
    assert parse(resp.headers["content-security-policy"]) == parse(
        content_security_policy("shop.example.com")), path
    assert resp.headers["x-frame-options"] == "DENY"


async def test_refusals_before_the_app_carry_the_policy_too(app_client: httpx.AsyncClient,
                                                           settings):
    too_big = await app_client.post("/api/products",
                                    content=b"x" * (settings.max_body_bytes + 1),
                                    headers={"content-type": "application/json"})
    assert too_big.status_code == 413
    nul = await app_client.get("/api/markets%00")
    assert nul.status_code == 400
    for resp in (too_big, nul):
        assert "script-src 'self'" in resp.headers["content-security-policy"]


async def test_the_viewer_and_replay_pages_add_their_videos_origin_and_nothing_else(
        app_client: httpx.AsyncClient, stores, settings):
    tenant = await make_tenant(stores, settings)
    created = await app_client.post("/api/rooms", headers=tenant.headers, json={
        "titles": {"en": "Night market"}, "markets": ["US"],
        "scheduled_at": "2030-01-01T12:00:00Z",
        "playback_url": "https://live.example.com/hls/r/index.m3u8"})
    assert created.status_code == 201, created.text
    room = created.json()["id"]
    assert (await app_client.post(f"/api/rooms/{room}/open",
                                  headers=tenant.headers)).status_code == 200
    viewer = await app_client.get(f"/live/{room}")
    assert viewer.status_code == 200
    policy = parse(viewer.headers["content-security-policy"])
    assert policy == parse(content_security_policy(
        "testserver", media=["https://live.example.com"], images=["https:"]))
    assert (await app_client.post(f"/api/rooms/{room}/end",
                                  headers=tenant.headers)).status_code == 200
    replay = await app_client.get(f"/replay/{room}")
    assert replay.status_code == 200
    assert parse(replay.headers["content-security-policy"]) == parse(
        content_security_policy("testserver", media=["https://live.example.com"]))


# What the policy forbids, as it appears in a template: a <script> with a body (or without
# src), <style>, style="…", an on…= handler attribute, a javascript: URL.
# A JSON data block (``type="application/ld+json"``, ``application/json``: the page's
# script messages) is never executed, so the policy does not govern it (Chromium reports no
# violation: tests/e2e check every page).
_DATA = r"(?![^>]*\btype=\"application/(?:ld\+)?json\")"
INLINE = {
    "inline script": re.compile(rf"<script\b{_DATA}(?![^>]*\bsrc=)[^>]*>"
                                rf"|<script\b{_DATA}[^>]*>\s*[^<\s]", re.I),
    "style block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _templates() -> list[Path]:
    return sorted(SRC.rglob("templates/*.html"))


def test_templates_are_found():
    names = {p.name for p in _templates()}
    assert {"base.html", "host.html", "orders.html", "privacy_settings.html",
            "product_form.html", "viewer.html", "api_docs.html"} <= names


@pytest.mark.parametrize("template", _templates(), ids=lambda p: p.name)
def test_no_template_needs_what_the_policy_forbids(template: Path):
    source = template.read_text("utf-8")
    found = [f"{what}: {m.group(0)!r}" for what, rx in INLINE.items()
             for m in rx.finditer(source)]
    assert found == [], f"{template.name}: {found}"


@pytest.mark.parametrize("script", sorted(STATIC_JS.glob("*.js")), ids=lambda p: p.name)
def test_our_scripts_add_no_inline_handler_style_or_eval(script: Path):
    source = script.read_text("utf-8")
    for rx in (r"setAttribute\(\s*[\"'](?:style|on[a-z]+)[\"']", r"\.(?:inner|outer)HTML\b",
               r"insertAdjacentHTML", r"document\.write", r"javascript:", r"\beval\(",
               r"new Function\b", r"setTimeout\(\s*[\"'`]", r"setInterval\(\s*[\"'`]"):
        assert not re.search(rx, source), f"{script.name}: {rx}"


def test_the_console_templates_load_the_form_helpers():
    base = (SRC / "web" / "templates" / "base.html").read_text("utf-8")
    assert '<script type="module" src="/static/js/forms.js"></script>' in base
    for name, text in (("host.html", "End the stream? It becomes a replay."),
                       ("product_form.html", "Delete this product and its listings?")):
        source = (SRC / "web" / "templates" / name).read_text("utf-8")
        assert f"data-confirm=\"{{{{ _('{text}') }}}}\"" in source, name  # (marked)
    assert "data-autosubmit" in (SRC / "web" / "templates" / "orders.html").read_text("utf-8")
