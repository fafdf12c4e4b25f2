"""Catalog console pages: the product list, the product form (create, edit, delete) and the
CSV import page. Thin: read the form, call the service, render."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from chuhai.accounts.service import org_registrations
from chuhai.catalog import service as catalog
from chuhai.catalog.forms import LISTING_ROWS, ProductForm, product_to_form, read_product_form
from chuhai.catalog.importer import import_catalog
from chuhai.catalog.schemas import ProductIn, ProductPatch
from chuhai.core.errors import DomainError
from chuhai.web.deps import UoW, optional_caller
from chuhai.web.pages import _csrf_ok, _form, _render, _to_login

router = APIRouter(include_in_schema=False)
EXPIRED = "Your form expired; reload and try again."


def _form_page(request: Request, status: int = 200, **ctx: Any) -> Response:
    return _render(request, "product_form.html", status, **ctx)


def _check(read: ProductForm) -> tuple[ProductIn | None, dict[str, str]]:
    """The form as a complete product, or the errors to show next to its fields."""
    try:
        body = ProductIn.model_validate(read.data)
    except ValidationError as exc:
        return None, read.with_errors(exc)
    errors = read.with_errors()
    return (None if errors else body), errors


@router.get("/console/products")
async def products_page(request: Request, uow: UoW, q: str = "", page: int = 1) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    q, page = q[:100], max(1, min(page, 100_000))
    items, total = await catalog.list_products(uow.global_, caller.actor, q=q or None,
                                               page=page, per_page=20)
    pages = max(1, (total + 19) // 20)
    regs = await org_registrations(uow.global_, caller.actor.org_id or "")
    data_dir = uow.stores.settings.data_dir
    return _render(request, "products_list.html", caller=caller, q=q, page=page, pages=pages,
                   total=total, items=[catalog.to_out(p, regs, data_dir) for p in items])


@router.get("/console/products/new")
async def new_product_page(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    # Listing rows start empty: the seller picks each market (none is assumed). A row the
    # seller fills in is visible unless they untick it.
    form = {"origin_country": "CN", "customs_currency": "USD",
            **{f"listing_{i}_visible": "on" for i in range(LISTING_ROWS)}}
    return _form_page(request, caller=caller, form=form, errors={}, rows=LISTING_ROWS,
                      product=None)


@router.post("/console/products/new")
async def create_product(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    form = await _form(request)
    ctx = {"caller": caller, "form": form, "rows": LISTING_ROWS, "product": None}
    if not _csrf_ok(caller, form):
        return _form_page(request, 403, errors={"form": EXPIRED}, **ctx)
    body, errors = _check(read_product_form(form))
    if body is None:
        return _form_page(request, 422, errors=errors, **ctx)
    try:
        product = await catalog.create_product(uow.global_, caller.actor, body)
    except DomainError as exc:
        return _form_page(request, exc.status, errors={"form": exc.message}, **ctx)
    return RedirectResponse(f"/console/products?q={quote(product.code)}", status_code=303)


@router.get("/console/products/import")
async def import_page(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    return _render(request, "import.html", caller=caller, result=None, problems=[])


@router.post("/console/products/import")
async def import_upload(request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    form = await request.form()
    token = str(form.get("csrf_token", ""))
    if caller.csrf is None or not hmac.compare_digest(token.encode(), caller.csrf.encode()):
        return _render(request, "import.html", 403, caller=caller, result=None,
                       problems=[], error=EXPIRED)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return _render(request, "import.html", 422, caller=caller, result=None, problems=[],
                       error="Choose a CSV file.")
    data = await upload.read(5 * 1024 * 1024 + 1)
    try:
        result = await import_catalog(uow.global_, caller.actor, data,
                                      dry_run=form.get("dry_run") == "on")
    except DomainError as exc:
        return _render(request, "import.html", exc.status, caller=caller, result=None,
                       problems=exc.problems, error=exc.message)
    return _render(request, "import.html", caller=caller, result=result, problems=[])


@router.get("/console/products/{product_id}")
async def edit_product_page(product_id: str, request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    try:
        product = await catalog.get_product(uow.global_, caller.actor, product_id[:40])
    except DomainError as exc:
        return _render(request, "error.html", exc.status, caller=caller, message=exc.message)
    return _form_page(request, caller=caller, form=product_to_form(product), errors={},
                      rows=max(LISTING_ROWS, len(product.listings) + 1), product=product)


@router.post("/console/products/{product_id}")
async def update_product(product_id: str, request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    form = await _form(request)
    rows = max(LISTING_ROWS, sum(1 for k in form if k.endswith("_market")))
    try:
        product = await catalog.get_product(uow.global_, caller.actor, product_id[:40])
    except DomainError as exc:
        return _render(request, "error.html", exc.status, caller=caller, message=exc.message)
    ctx = {"caller": caller, "form": form, "rows": rows, "product": product}
    if not _csrf_ok(caller, form):
        return _form_page(request, 403, errors={"form": EXPIRED}, **ctx)
    read = read_product_form(form)
    body, errors = _check(read)  # the edit form must hold a complete product
    if body is None:
        return _form_page(request, 422, errors=errors, **ctx)
    data = dict(read.data)
    data.pop("code")
    try:
        await catalog.update_product(uow.global_, caller.actor, product.id,
                                     ProductPatch.model_validate(data))
    except ValidationError as exc:
        return _form_page(request, 422, errors=read.with_errors(exc), **ctx)
    except DomainError as exc:
        return _form_page(request, exc.status, errors={"form": exc.message}, **ctx)
    return RedirectResponse("/console/products", status_code=303)


@router.post("/console/products/{product_id}/delete")
async def delete_product(product_id: str, request: Request, uow: UoW) -> Response:
    caller = await optional_caller(request, uow)
    if caller is None:
        return _to_login(request)
    form = await _form(request)
    if not _csrf_ok(caller, form):
        return _render(request, "error.html", 403, caller=caller, message=EXPIRED)
    try:
        await catalog.delete_product(uow.global_, caller.actor, product_id[:40])
    except DomainError as exc:
        return _render(request, "error.html", exc.status, caller=caller, message=exc.message)
    return RedirectResponse("/console/products", status_code=303)
