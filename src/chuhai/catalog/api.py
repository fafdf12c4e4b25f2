"""Catalog REST routes: parse, call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, UploadFile

from chuhai.accounts.service import org_registrations
from chuhai.catalog import service
from chuhai.catalog.importer import import_catalog
from chuhai.catalog.models import Product
from chuhai.catalog.schemas import ImportResult, ProductIn, ProductOut, ProductPage, ProductPatch
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import InvalidInput
from chuhai.web.deps import CurrentActor, UoW

router = APIRouter(prefix="/api/products", tags=["catalog"])
ProductId = Annotated[str, Query(max_length=40)]
MAX_IMPORT_BYTES = 5 * 1024 * 1024


async def _out(uow: UnitOfWork, product: Product) -> ProductOut:
    regs = await org_registrations(uow.global_, product.org_id)
    return service.to_out(product, regs, uow.stores.settings.data_dir)


@router.get("", response_model=ProductPage)
async def list_products(
    uow: UoW, actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=100)] = None,
    market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)] = 20,
) -> ProductPage:
    items, total = await service.list_products(uow.global_, actor, q=q, page=page,
                                               per_page=per_page, market=market)
    regs = await org_registrations(uow.global_, actor.org_id or "")
    data_dir = uow.stores.settings.data_dir
    return ProductPage(items=[service.to_out(p, regs, data_dir) for p in items], total=total,
                       page=page,
                       per_page=per_page, pages=(total + per_page - 1) // per_page)


@router.post("", response_model=ProductOut, status_code=201)
async def create_product(body: ProductIn, uow: UoW, actor: CurrentActor,
                         response: Response) -> ProductOut:
    product = await service.create_product(uow.global_, actor, body)
    response.headers["Location"] = f"/api/products/{product.id}"
    return await _out(uow, product)


@router.post("/import", response_model=ImportResult)
async def import_products(
    request: Request, uow: UoW, actor: CurrentActor, file: UploadFile,
    dry_run: Annotated[bool, Query()] = False,
) -> ImportResult:
    """Import a CSV (one row per SKU; see docs/catalog-import.md). All or nothing."""
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput("the file is larger than 5 MiB", code="import_too_large")
    return await import_catalog(uow.global_, actor, data, dry_run=dry_run)


@router.get("/{product_id}", response_model=ProductOut)
async def get_product(product_id: str, uow: UoW, actor: CurrentActor) -> ProductOut:
    return await _out(uow, await service.get_product(uow.global_, actor, product_id[:40]))


@router.patch("/{product_id}", response_model=ProductOut)
async def update_product(product_id: str, body: ProductPatch, uow: UoW,
                         actor: CurrentActor) -> ProductOut:
    product = await service.update_product(uow.global_, actor, product_id[:40], body)
    return await _out(uow, product)


@router.delete("/{product_id}", status_code=204)
async def delete_product(product_id: str, uow: UoW, actor: CurrentActor) -> Response:
    await service.delete_product(uow.global_, actor, product_id[:40])
    return Response(status_code=204)
