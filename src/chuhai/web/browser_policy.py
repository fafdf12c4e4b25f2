"""The browser policy: one Content-Security-Policy header on every response.

``content_security_policy()`` builds the header (pure: strings in, a string out) and
``BrowserPolicy`` adds it to every HTTP response that does not already carry one. Every
page follows it: no inline ``<script>``, no ``on…=`` handler attributes, no ``style="…"``
attributes or ``<style>`` blocks, no ``javascript:`` URLs — behaviour lives in
``static/js/*.js`` and looks in the ``static/*.css`` files. The directives, and why each is
there:

- ``default-src 'self'`` — anything not named below (fonts, manifests …) comes only from
  this site.
- ``script-src 'self'`` — only script files served by this site. No ``'unsafe-inline'``: an
  injected ``<script>`` or ``onerror=`` that slipped past escaping does not run, which is the
  point of the policy. No ``'unsafe-eval'`` either.
- ``style-src 'self'`` — only this site's stylesheets: no ``style`` attributes or blocks, so
  injected markup cannot restyle a page (fake buttons, hidden text). Scripts may still set
  ``element.style`` properties, which CSP allows.
- ``img-src 'self' data:`` — this site's images, and ``data:`` URLs (the Swagger UI
  stylesheet's icons).
- ``media-src 'self' blob:`` — video from this site (``/media/…``), and ``blob:`` for the
  MediaSource that hls.js feeds the ``<video>`` element.
- ``worker-src 'self' blob:`` — hls.js demuxes in a worker it starts from a ``blob:`` URL.
- ``connect-src 'self' ws://HOST wss://HOST`` — ``fetch`` and XHR to this site (the API,
  HLS playlists and segments) and the live-room WebSocket on the request's own host. CSP 3
  counts ``ws:``/``wss:`` on the same host as ``'self'``, older engines did not, so they are
  named; a ``Host`` header that is not a plain host name and port is left out rather than
  copied into the header.
- ``frame-ancestors 'none'`` — no site may frame a page (clickjacking). A parameter, so
  that pages meant to be embedded can name the origins allowed to frame them.
- ``base-uri 'self'`` — an injected ``<base>`` cannot re-point the page's relative URLs.
- ``form-action 'self'`` — forms submit only to this site (also stops an injected form
  from posting elsewhere).
- ``object-src 'none'`` — no plug-ins (``<object>``, ``<embed>``).

Pages that play video or show product images from elsewhere widen their own policy with
``apply()``: the viewer and replay pages name the origin of the room's playback or recording
URL (an HLS playlist may be on a media server or CDN, docs/deploy.md) in ``media-src`` and
``connect-src``, and the viewer adds ``https:`` to ``img-src`` (catalog images are any
``https://`` address). Nothing widens ``script-src``. To see violations: the browser's
console (each line names the "Content Security Policy directive" broken), or the e2e suite,
which fails any test during which a page reported one (tests/e2e/conftest.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "Content-Security-Policy"
_HEADER_KEY = HEADER.lower().encode()

# A host name or an IPv4/IPv6 literal, with an optional port: nothing that could end a
# directive (";", ",") or add a source (spaces) gets into the header.
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])"
                   r"(?::[0-9]{1,5})?$")
_KEYWORDS = frozenset({"'none'", "'self'"})


def safe_host(host: str | None) -> str | None:
    """``host`` (a ``Host`` header: name or address, optional port) if it is one, else None."""
    if host and _HOST.match(host):
        return host.lower()
    return None


def origin_of(url: str | None) -> str | None:
    """The origin (``https://media.example:8443``) of an absolute http(s) URL; None for a
    relative one (it is on this site, ``'self'``) or anything else."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = safe_host(parts.netloc.rpartition("@")[2])
    if parts.scheme not in ("http", "https") or host is None:
        return None
    return f"{parts.scheme}://{host}"


def _sources(values: Iterable[str], what: str) -> list[str]:
    out = []
    for value in values:
        if value in _KEYWORDS or value in ("https:", "data:", "blob:") or (
                origin_of(value) == value):
            out.append(value)
        else:
            raise ValueError(f"not a source for {what}: {value!r}")
    return out


def content_security_policy(host: str | None, *,
                            frame_ancestors: Sequence[str] = ("'none'",),
                            media: Sequence[str] = (), images: Sequence[str] = ()) -> str:
    """The header for a response to a request for ``host`` (its ``Host`` header).

    ``frame_ancestors``: who may frame the page (``'none'``, ``'self'`` or origins);
    ``media``: more origins for video and playlists (``media-src`` and ``connect-src``);
    ``images``: more ``img-src`` sources (origins, or ``https:``). A value that is not one of
    those raises ValueError: nothing from outside is copied into the header unchecked.
    """
    ancestors = [s for s in _sources(frame_ancestors, "frame-ancestors") if s != "'none'"]
    extra_media = [s for s in _sources(media, "media-src") if s not in _KEYWORDS]
    extra_images = [s for s in _sources(images, "img-src") if s not in _KEYWORDS]
    sockets = [f"ws://{h}", f"wss://{h}"] if (h := safe_host(host)) else []
    directives = [
        ("default-src", ["'self'"]),
        ("script-src", ["'self'"]),
        ("style-src", ["'self'"]),
        ("img-src", ["'self'", "data:", *extra_images]),
        ("media-src", ["'self'", "blob:", *extra_media]),
        ("worker-src", ["'self'", "blob:"]),
        ("connect-src", ["'self'", *sockets, *extra_media]),
        ("frame-ancestors", ancestors or ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", ["'self'"]),
        ("object-src", ["'none'"]),
    ]
    return "; ".join(f"{name} {' '.join(dict.fromkeys(values))}" for name, values in directives)


def apply(response: Response, request: Request, *, media: Iterable[str | None] = (),
          images: Sequence[str] = ()) -> Response:
    """Give one page a wider policy: ``media`` are URLs (playlists, recordings) whose
    origins it may load video from; ``images`` are more ``img-src`` sources. The middleware
    leaves a response that already has the header alone."""
    origins = [o for url in media if (o := origin_of(url)) is not None]
    response.headers[HEADER] = content_security_policy(
        request.headers.get("host"), media=origins, images=images)
    return response


class BrowserPolicy:
    """Adds the default policy to every HTTP response that does not carry one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == _HEADER_KEY for k, _ in headers):
                    headers.append((_HEADER_KEY,
                                    content_security_policy(host).encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_policy)
