"""CSV import: all rows are validated first, then written in one savepoint — a file with
any problem imports nothing, and the answer lists every problem (line, column, reason)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.catalog.models import Product, Sku
from chuhai.catalog.schemas import ImportResult
from chuhai.catalog.service import build_product, flush_or_conflict, update_product
from chuhai.catalog.spreadsheet import ParsedProduct, decode, parse_catalog_csv, product_codes
from chuhai.core.actor import Actor, Perm
from chuhai.core.errors import FieldProblem, InvalidInput
from chuhai.core.workers import offload

WRITE_CHUNK = 200  # products per flush: about 20 ms of the event loop each


async def import_catalog(session: AsyncSession, actor: Actor, data: bytes, *,
                         dry_run: bool = False) -> ImportResult:
    actor.require(Perm.CATALOG_WRITE)
    org_id = actor.org()
    try:
        text = await offload(decode, data)
    except ValueError as exc:
        raise InvalidInput(str(exc), [FieldProblem("(file)", str(exc), line=1)],
                           code="import_invalid") from exc
    codes = await offload(product_codes, text)
    existing = {p.code: p for p in (await session.scalars(select(Product).where(
        Product.org_id == org_id, Product.code.in_(list(codes))))).all()} if codes else {}
    # Parsing and validating every row is the work that grows with the file: a worker's.
    parsed, problems = await offload(parse_catalog_csv, text, existing=set(existing))
    if not problems:
        problems = await _cross_checks(session, org_id, parsed)
    if problems:
        raise InvalidInput(f"the file has {len(problems)} problem(s); nothing was imported",
                           problems, code="import_invalid")

    nested = await session.begin_nested()
    updated = 0
    for item in parsed:
        if item.patch is not None:
            # Only the columns the file has change; SKUs and markets it names are updated and
            # the others kept (a spreadsheet of prices must not delete variants).
            await update_product(session, actor, existing[item.code].id, item.patch,
                                 merge=True)
            updated += 1
    # New products are plain objects until added: built in a worker, then written in
    # chunks, each flush a bounded stretch of the loop. Codes were checked for the whole
    # file above, and the savepoint keeps the import all or nothing.
    fresh = [item.product for item in parsed if item.patch is None and item.product]
    products = await offload(lambda: [build_product(org_id, p) for p in fresh])
    for start in range(0, len(products), WRITE_CHUNK):
        session.add_all(products[start:start + WRITE_CHUNK])
        await flush_or_conflict(session)
        await asyncio.sleep(0)  # let other requests and live rooms have the loop
    await flush_or_conflict(session)
    created = len(products)
    if dry_run:
        await nested.rollback()
    else:
        await nested.commit()
    return ImportResult(created=created, updated=updated, dry_run=dry_run,
                        product_codes=[p.code for p in parsed])


async def _cross_checks(session: AsyncSession, org_id: str,
                        parsed: list[ParsedProduct]) -> list[FieldProblem]:
    """SKU codes must be unique in the file and not belong to another product already."""
    problems: list[FieldProblem] = []
    owner: dict[str, str] = {}
    for item in parsed:
        # A product without SKU rows gets one SKU named like the product (see service).
        skus = (item.product or item.patch).skus if (item.product or item.patch) else None
        default = [item.code] if item.product is not None else []
        for code in [s.code for s in skus or []] or default:
            if code in owner and owner[code] != item.code:
                problems.append(FieldProblem("sku_code", f"{code!r} is used by product "
                                             f"{owner[code]!r} in this file", item.line))
            owner[code] = item.code
    rows = (await session.execute(
        select(Sku.code, Product.code).join(Product, Sku.product_id == Product.id)
        .where(Sku.org_id == org_id, Sku.code.in_(list(owner))))).all()
    lines = {p.code: p.line for p in parsed}
    for sku_code, product_code in rows:
        if owner[sku_code] != product_code:
            problems.append(FieldProblem(
                "sku_code", f"{sku_code!r} already belongs to product {product_code!r}",
                lines[owner[sku_code]]))
    return problems
