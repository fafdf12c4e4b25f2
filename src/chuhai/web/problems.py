"""RFC 9457 problem+json for every error, so clients branch on a stable ``code``."""

from __future__ import annotations

import logging
from typing import Any, NotRequired

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, with_config
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from chuhai.core.errors import DomainError
from chuhai.web import i18n, problem_text

log = logging.getLogger("chuhai.http")
MEDIA_TYPE = "application/problem+json"
_HTTP_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_input",
    429: "rate_limited",
}


@with_config(ConfigDict(extra="ignore"))  # exactly these keys (not Problem's "allow")
class FieldProblem(TypedDict):
    """One bad input field, or one cell of an imported file (``line``)."""

    field: str
    reason: str
    line: NotRequired[int]


@with_config(ConfigDict(extra="allow"))  # a problem may carry more, e.g. ``retry_after``
class Problem(TypedDict):
    """An error as every route answers it (RFC 9457 problem details, application/problem+json):
    branch on ``code``, show ``detail``. The shape ``problem()`` writes; for the OpenAPI
    document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    errors: NotRequired[list[FieldProblem]]


def problem(status: int, code: str, title: str, detail: str, instance: str,
            request: Request | None = None, **extra: Any) -> JSONResponse:
    """The answer; with ``request``, its ``detail`` in the buyer's language where there is a
    buyer text for ``code`` (web/problem_text.py), said in ``Content-Language``."""
    body: dict[str, Any] = {"type": f"/problems/{code}", "title": title, "status": status,
                            "detail": detail, "instance": instance, "code": code, **extra}
    language = i18n.from_request(request) if request is not None else "en"
    body = problem_text.localize(body, language)
    resp = JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)
    if body["detail"] != detail:
        resp.headers["Content-Language"] = language
    return resp


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def _client_gone(request: Request) -> JSONResponse:
    """A client that went away mid-body is the network, not a bug: one line, no traceback.
    The answer is never delivered; it only ends the request cleanly."""
    log.info("client disconnected mid-body on %s %s", request.method, request.url.path)
    return problem(400, "client_disconnected", "Client disconnected",
                   "the request body ended before it was complete", request.url.path)


def install(app: FastAPI) -> None:
    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _exc: ClientDisconnect) -> JSONResponse:
        return _client_gone(request)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        extra: dict[str, Any] = dict(exc.extra)
        if exc.problems:
            extra["errors"] = [p.as_dict() for p in exc.problems]
        if exc.status >= 500:
            log.error("domain error %s on %s: %s", exc.code, request.url.path, exc.message)
        resp = problem(exc.status, exc.code, exc.title, exc.message, request.url.path, request,
                       **extra)
        if "retry_after" in exc.extra:
            resp.headers["Retry-After"] = str(exc.extra["retry_after"])
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _loc(tuple(e.get("loc", ()))),
                   "reason": str(e.get("msg", "invalid")).removeprefix("Value error, ")}
                  for e in exc.errors()]
        return problem(422, "invalid_input", "Invalid input",
                       f"{len(errors)} field(s) are invalid", request.url.path, request,
                       errors=errors)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value validation let through (a backstop, logged).
        log.warning("database refused a value on %s: %s", request.url.path, exc.orig)
        return problem(422, "invalid_input", "Invalid input",
                       "a value could not be stored as given", request.url.path, request)

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> JSONResponse:
        # SQLite (the single-machine store) refuses a write that would have to wait on
        # another's in some cases (a read turned write after another committed): nothing
        # was written, and the same request a moment later goes through.
        if "database is locked" not in str(exc.orig):
            return await _unexpected(request, exc)
        log.warning("database busy on %s: %s", request.url.path, exc.orig)
        resp = problem(503, "busy", "Busy", "Busy for a moment: nothing was changed; try "
                       "again.", request.url.path, request)
        resp.headers["Retry-After"] = "1"
        return resp

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, ClientDisconnect):  # FastAPI's "error parsing the body"
            return _client_gone(request)
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return problem(exc.status_code, code, str(exc.detail), str(exc.detail),
                       request.url.path, request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem(500, "internal_error", "Internal error",
                       "Something went wrong on our side; it has been logged.",
                       request.url.path, request)
