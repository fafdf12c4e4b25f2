"""``/docs``: Swagger UI served from the package (static/vendor/swagger-ui), not a CDN.

FastAPI's own page loads Swagger UI from jsDelivr and starts it with an inline script: blank
without internet and incompatible with ``script-src 'self'``. This page references only
local files; the UI is started by ``static/js/swagger-init.js``. No OAuth2 redirect page is
needed: the API authenticates with bearer tokens, it declares no OAuth2 flow. The page runs
under the site's one policy (``web/browser_policy.py``) with nothing widened: Swagger UI sets
styles only through the DOM (allowed), its icons are ``data:`` images, and "Try it out"
calls this site (tests/e2e/test_api_docs.py checks it in Chromium).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chuhai.web.pages import templates

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def api_docs(request: Request) -> Response:
    root = request.scope.get("root_path", "").rstrip("/")
    resp = templates.TemplateResponse(request, "api_docs.html", {
        "title": request.app.title, "root": root,
        "openapi_url": root + (request.app.openapi_url or "/openapi.json")})
    resp.headers["Cache-Control"] = "no-cache"
    return resp
