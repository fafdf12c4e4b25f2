"""The OpenAPI document: FastAPI's, completed in one place.

- Every operation lists the problem+json answers it can give (RFC 9457, one ``Problem``
  schema), derived from what the route is — who it needs, its parameters and body, its
  method, the rate limits it applies — so a new route is documented without a line of its
  own. A status this cannot see (a GET that answers 409) is declared on the route with
  FastAPI's own ``responses={409: {"description": ...}}``; it answers the Problem too.
- Schemas a route declares by hand (``openapi_extra``, for a body it parses itself) bring
  their ``$defs`` into ``components/schemas``, so every ``$ref`` resolves.
"""

from __future__ import annotations

import dis
import inspect
from collections.abc import Callable, Iterable, Iterator
from http.client import responses as HTTP_PHRASES
from types import CodeType, ModuleType
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from starlette.routing import BaseRoute

from chuhai.web.deps import SAFE_METHODS, limit, optional_caller, require_actor
from chuhai.web.people import signed_in_customer
from chuhai.web.problems import MEDIA_TYPE, Problem

REF = "#/components/schemas/{model}"
CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
DESCRIPTIONS = {
    400: "Bad request: NUL characters in the address (`invalid_characters`), or the body "
         "ended before it was complete",
    401: "Not signed in, or the API token is malformed, unknown or revoked "
         "(`unauthenticated`, `bad_token`)",
    403: "Signed in without the permission this needs, or a cookie session without its "
         "CSRF token (`forbidden`, `csrf_failed`)",
    404: "Not found (also what another org's resources answer)",
    409: "Conflict: the resource's state does not allow this now",
    413: "The body is larger than the node accepts (`payload_too_large`)",
    422: "Invalid input; `errors` names each field and why",
    429: "Too many requests; retry after `retry_after` seconds (also the Retry-After header)",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer"}}}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and /openapi.json) answer the completed document."""
    generate = app.openapi
    completed: dict[str, Any] | None = None

    def openapi() -> dict[str, Any]:
        nonlocal completed
        doc = generate()  # FastAPI caches it, and builds it anew when routes change
        if doc is not completed:
            try:
                complete(doc, app.routes)
            except Exception:
                app.openapi_schema = None
                raise
            completed = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def complete(doc: dict[str, Any], routes: Iterable[BaseRoute]) -> None:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for path in doc.get("paths", {}).values():
        for op in path.values():
            for content in op.get("requestBody", {}).get("content", {}).values():
                _hoist(schemas, content.get("schema", {}))
    problem = TypeAdapter(Problem).json_schema(ref_template=REF)
    _hoist(schemas, problem)
    _add(schemas, "Problem", problem)
    calls: dict[Callable[..., Any], list[Callable[..., Any]]] = {}
    for route in _api_routes(routes):
        for method in route.methods:
            op = doc["paths"].get(route.path_format, {}).get(method.lower())
            if op is not None:
                _declare(op, statuses(route, method, op, calls))
    # FastAPI's own 422 body is gone (the app answers 422 as a Problem): so is its schema.
    for name in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{name}" not in _refs(doc):
            schemas.pop(name, None)


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    """The documented API routes, as FastAPI sees them (newer FastAPI keeps an included
    router as one entry of ``app.routes``: ``iter_route_contexts`` flattens it)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    found: Iterable[Any] = flatten(list(routes)) if flatten else routes
    for route in found:
        if (isinstance(getattr(route, "original_route", route), APIRoute)
                and route.include_in_schema):
            yield route


def statuses(route: APIRoute, method: str, op: dict[str, Any],
             calls: dict[Callable[..., Any], list[Callable[..., Any]]] | None = None
             ) -> set[int]:
    """The 4xx an operation can answer, from what the route is and what it calls: its
    dependencies (``CurrentActor``) and the functions its handler calls by name, directly
    or through helpers (``limit(...)``, ``identify(...)``)."""
    params = op.get("parameters", [])
    body = "requestBody" in op
    reached = _reached([route.endpoint, *_dependency_calls(route.dependant)],
                       {} if calls is None else calls)
    out: set[int] = set()
    if require_actor in reached:  # unauthenticated, or lacking a permission / CSRF token
        out |= {401, 403}
    if optional_caller in reached:  # a sent token must be valid even where none is needed
        out.add(401)
    if signed_in_customer in reached and method not in SAFE_METHODS:  # CSRF on writes
        out.add(403)
    if limit in reached:
        out.add(429)
    if any(p.get("in") == "path" for p in params):
        out.add(404)
    if method in CHANGING:
        out.add(409)
    if params or body:
        out |= {400, 422}
    if body:
        out.add(413)
    return out


def _declare(op: dict[str, Any], wanted: set[int]) -> None:
    """Every 4xx/5xx of the operation answers a Problem; a route's own words are kept."""
    responses: dict[str, Any] = op.setdefault("responses", {})
    declared = {int(s) for s in responses if s.isdigit() and 400 <= int(s) < 600}
    for status in wanted | declared:
        entry = responses.setdefault(str(status), {})
        stock = (None, "", HTTP_PHRASES.get(status), "Validation Error")  # FastAPI's words
        if entry.get("description") in stock:
            entry["description"] = DESCRIPTIONS.get(status) or HTTP_PHRASES.get(status, "Error")
        entry["content"] = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        if status == 429:
            entry["headers"] = RETRY_AFTER
    op["responses"] = dict(sorted(responses.items()))


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


def _reached(roots: Iterable[Callable[..., Any]],
             calls: dict[Callable[..., Any], list[Callable[..., Any]]]
             ) -> set[Callable[..., Any]]:
    """The package's functions the roots call, directly or through others, by name
    (``calls`` remembers each function's, for the next route)."""
    seen: set[Callable[..., Any]] = set()
    todo = list(roots)
    while todo:
        fn = inspect.unwrap(todo.pop())
        if fn not in seen:
            seen.add(fn)
            if fn not in calls:
                calls[fn] = list(_named(fn))
            todo.extend(calls[fn])
    return seen


def _named(fn: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """The chuhai functions ``fn``'s code names: a global (``limit(...)``) or an attribute
    of a global module (``deps.limit(...)``), in its body and in nested code (lambdas)."""
    code = getattr(fn, "__code__", None)
    names: dict[str, Any] = getattr(fn, "__globals__", {})
    codes: list[CodeType] = [code] if isinstance(code, CodeType) else []
    while codes:
        co = codes.pop()
        codes.extend(c for c in co.co_consts if isinstance(c, CodeType))
        module: ModuleType | None = None
        for ins in dis.get_instructions(co):
            found: Any = None
            if ins.opname == "LOAD_GLOBAL":
                found = names.get(ins.argval)
            elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and module is not None:
                found = getattr(module, ins.argval, None)
            module = found if isinstance(found, ModuleType) else None
            if inspect.isfunction(found) and found.__module__.startswith("chuhai."):
                yield found


def _hoist(schemas: dict[str, Any], schema: dict[str, Any]) -> None:
    """Move a pydantic schema's ``$defs`` (its refs already point at components)."""
    for name, sub in schema.pop("$defs", {}).items():
        _add(schemas, name, sub)


def _add(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if name in schemas and schemas[name] != schema:
        raise RuntimeError(f"two different schemas are named {name!r} in the OpenAPI document")
    schemas[name] = schema


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)
