"""The console's shared edge: sign-in, sign-out, the console home, and the helpers every
package's pages use (``_render``, ``_form``, ``_to_login``, ``_csrf_ok``). Each package keeps
its own pages (catalog/pages.py, live/pages.py …)."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from chuhai.catalog.models import Listing, Product
from chuhai.core.actor import Perm
from chuhai.core.errors import DomainError
from chuhai.core.ratelimit import RateLimited
from chuhai.markets.profiles import default_profiles
from chuhai.web import i18n
from chuhai.web.deps import (
    SESSION_COOKIE,
    Caller,
    UoW,
    accounts,
    admit_sign_in,
    forget_cookie,
    optional_caller,
    set_cookie,
    signed_in,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.template_ngettext, newstyle=True)
templates.env.globals.update(country_name=i18n.country_name, num=i18n.num, when=i18n.when,
                             day=i18n.day, status_name=i18n.status_name,
                             percent=i18n.percent, duration=i18n.duration)


def _via(url: str, channel: str) -> str:
    """Our own link, marked with the surface the buyer's path begins on
    (analytics/attribution.py): the page it opens passes it on to the cart."""
    return f"{url}{'&' if '?' in url else '?'}via={channel}"


templates.env.filters["via"] = _via
FAVICON = Path(__file__).parent / "static" / "favicon.svg"
LOGIN_CSRF = "chuhai_login_csrf"
MAX_FORM_TEXT = 20_000


def _render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A page; in ``ctx["lang"]`` for buyer pages (``shop_base.html``), else English (the
    console's language this turn) — set on every render, so no page inherits another's."""
    ctx.setdefault("markets", sorted(default_profiles().values(), key=lambda m: m.code))
    lang = ctx.get("lang") if ctx.get("buyer_page") else "en"
    i18n.activate(str(lang or "en"), ctx.get("locale"))
    ctx.setdefault("dir", i18n.direction(str(lang or "en")))
    ctx.setdefault("js_messages", i18n.js_messages(i18n.current()))
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def remember_language(page: Response, request: Request, lang: str) -> None:
    """A language asked for with ``?lang=`` and spoken is remembered (a year): the next page
    speaks it too, without the query string."""
    if (i18n.asked_for(request) or "").split("-")[0].lower() == lang:
        set_cookie(page, request, i18n.COOKIE, lang, max_age=365 * 86400)


def _to_login(request: Request) -> RedirectResponse:
    nxt = quote(request.url.path)
    return RedirectResponse(f"/login?next={nxt}", status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v)[:MAX_FORM_TEXT] for k, v in form.items() if isinstance(v, str)}


def _csrf_ok(caller: Caller, form: dict[str, str]) -> bool:
    sent = form.get("csrf_token", "")
    return caller.csrf is not None and hmac.compare_digest(sent.encode(), caller.csrf.encode())


@router.get("/favicon.ico")
async def favicon() -> Response:
    # Browsers ask for /favicon.ico whatever the pages link; answer with the SVG icon.
    return FileResponse(FAVICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/")
async def root(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    return RedirectResponse("/console" if caller else "/login", status_code=303)


@router.get("/login")
async def login_page(request: Request, next: str = "/console") -> Response:
    token = secrets.token_urlsafe(24)
    resp = _render(request, "login.html", login_csrf=token, next=_safe_next(next))
    set_cookie(resp, request, LOGIN_CSRF, token, samesite="strict")
    return resp


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{-(-seconds // 60)} minutes"


def _safe_next(target: str) -> str:
    # Only local paths: an attacker's link must not bounce a fresh login to their site.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/console"
    return target[:300]


@router.post("/login")
async def login(request: Request, uow: UoW) -> Response:
    form = await _form(request)
    cookie = request.cookies.get(LOGIN_CSRF, "")
    nxt = _safe_next(form.get("next", "/console"))
    if not cookie or not hmac.compare_digest(cookie.encode(),
                                             form.get("login_csrf", "").encode()):
        return _render(request, "login.html", 403, error="Your form expired; try again.",
                       login_csrf=cookie, next=nxt)
    email = form.get("email", "")[:254]
    try:
        attempt = await admit_sign_in(request, email)
    except RateLimited as exc:
        wait = int(exc.extra["retry_after"])
        resp = _render(request, "login.html", 429, login_csrf=cookie, next=nxt, email=email,
                       error=f"Too many sign-in attempts. Try again in {_duration(wait)}.")
        resp.headers["Retry-After"] = str(wait)
        return resp
    try:
        actor = await accounts(request, uow).authenticate_staff(
            email, form.get("password", "")[:256])
    except DomainError:  # the attempt was counted when it was let through
        return _render(request, "login.html", 401, error="E-mail or password is wrong.",
                       login_csrf=cookie, next=nxt, email=email)
    settings = request.app.state.settings
    ttl = timedelta(hours=settings.session_ttl_hours)
    raw, _csrf = await accounts(request, uow).open_session(actor, ttl)
    resp = RedirectResponse(nxt, status_code=303)
    set_cookie(resp, request, SESSION_COOKIE, raw, max_age=int(ttl.total_seconds()))
    await signed_in(request, resp, attempt)
    forget_cookie(resp, request, LOGIN_CSRF, samesite="strict")
    return resp


@router.post("/logout")
async def logout(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    form = await _form(request)
    if caller and not _csrf_ok(caller, form):
        # Another site cannot sign a user out: without the session's token, nothing changes.
        return RedirectResponse("/console", status_code=303)
    if caller:
        await accounts(request, uow).close_session(request.cookies.get(SESSION_COOKIE, ""))
    resp = RedirectResponse("/login", status_code=303)
    forget_cookie(resp, request, SESSION_COOKIE)
    return resp


@router.get("/console")
async def console_home(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    actor = caller.actor
    profile = await accounts(request, uow).staff_profile(actor)
    stats: dict[str, Any] = {}
    if actor.can(Perm.CATALOG_READ) and actor.org_id:
        stats["products"] = await uow.global_.scalar(
            select(func.count()).select_from(Product).where(Product.org_id == actor.org_id))
        rows = await uow.global_.execute(
            select(Listing.market, func.count()).where(Listing.org_id == actor.org_id)
            .group_by(Listing.market).order_by(Listing.market))
        stats["listings"] = [(m, n) for m, n in rows.all()]
    return _render(request, "console_home.html", caller=caller, profile=profile, stats=stats)
