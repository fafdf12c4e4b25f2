"""/docs works without internet and under a strict CSP: Swagger UI comes from the package,
it is started by a script file, and every file the page names is served."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

VENDOR = Path(__file__).resolve().parents[2] / "src" / "chuhai" / "web" / "static" / "vendor"


async def test_docs_page_names_no_outside_address_and_runs_no_inline_script(
        app_client: httpx.AsyncClient) -> None:
    resp = await app_client.get("/docs")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    html = resp.text
    assert re.findall(r"""(?:https?:)?//[^\s"'<>]+""", html) == []
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts, "no script tags"
    for attrs, body in scripts:
        assert 'src="' in attrs and body.strip() == "", f"inline script: {body[:80]!r}"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "/static/js/swagger-init.js" in html
    assert 'data-openapi-url="/openapi.json"' in html
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


async def test_every_file_the_docs_page_names_is_served(app_client: httpx.AsyncClient) -> None:
    html = (await app_client.get("/docs")).text
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {"/static/vendor/swagger-ui/swagger-ui-bundle.js",
            "/static/vendor/swagger-ui/swagger-ui.css", "/static/js/swagger-init.js",
            "/openapi.json"} <= set(refs)
    for ref in refs:
        got = await app_client.get(ref)
        assert got.status_code == 200, ref
        assert got.content, ref


async def test_no_default_fastapi_docs_pages(app_client: httpx.AsyncClient) -> None:
    # No OAuth2 flow is declared (API tokens are bearer tokens), so no redirect page is
    # needed; FastAPI's CDN-backed ReDoc page is gone too.
    spec = (await app_client.get("/openapi.json")).json()
    schemes = spec.get("components", {}).get("securitySchemes", {})
    assert all(s.get("type") != "oauth2" for s in schemes.values())
    assert (await app_client.get("/docs/oauth2-redirect")).status_code == 404
    assert (await app_client.get("/redoc")).status_code == 404


def test_every_vendored_package_has_its_licence_and_version_listed() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    folders = sorted(p for p in VENDOR.iterdir() if p.is_dir())
    assert {p.name for p in folders} >= {"hls.js", "swagger-ui"}
    for folder in folders:
        assert (folder / "LICENSE").is_file(), folder.name
        version = (folder / "VERSION").read_text(encoding="utf-8")
        number = re.search(r"\d+\.\d+\.\d+", version)
        assert number, folder.name
        assert f"`{folder.name}/`" in readme and number.group(0) in readme, folder.name
