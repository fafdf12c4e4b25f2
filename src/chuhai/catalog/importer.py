"""CSV import: all rows are validated first, then written in one savepoint — a file with
any problem imports nothing, and the answer lists every problem (line, column, reason)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.catalog.models import Product, Sku
from chuhai.catalog.schemas import ImportResult, ProductPatch
from chuhai.catalog.service import build_product, flush_or_conflict, update_product
from chuhai.catalog.spreadsheet import ParsedProduct, decode, parse_catalog_csv
from chuhai.core.actor import Actor, Perm
from chuhai.core.errors import FieldProblem, InvalidInput


async def import_catalog(session: AsyncSession, actor: Actor, data: bytes, *,
                         dry_run: bool = False) -> ImportResult:
    actor.require(Perm.CATALOG_WRITE)
    org_id = actor.org()
    try:
        text = decode(data)
    except ValueError as exc:
        raise InvalidInput(str(exc), [FieldProblem("(file)", str(exc), line=1)],
                           code="import_invalid") from exc
    parsed, problems = parse_catalog_csv(text)
    if not problems:
        problems = await _cross_checks(session, org_id, parsed)
    if problems:
        raise InvalidInput(f"the file has {len(problems)} problem(s); nothing was imported",
                           problems, code="import_invalid")

    existing = {p.code: p for p in (await session.scalars(select(Product).where(
        Product.org_id == org_id, Product.code.in_([p.product.code for p in parsed])))).all()}
    created = updated = 0
    nested = await session.begin_nested()
    for item in parsed:
        data_in = item.product
        if data_in.code in existing:
            patch = ProductPatch.model_validate(data_in.model_dump(exclude={"code"}))
            await update_product(session, actor, existing[data_in.code].id, patch)
            updated += 1
        else:
            # Codes were checked for the whole file above; one flush writes every new row.
            session.add(build_product(org_id, data_in))
            created += 1
    await flush_or_conflict(session)
    if dry_run:
        await nested.rollback()
    else:
        await nested.commit()
    return ImportResult(created=created, updated=updated, dry_run=dry_run,
                        product_codes=[p.product.code for p in parsed])


async def _cross_checks(session: AsyncSession, org_id: str,
                        parsed: list[ParsedProduct]) -> list[FieldProblem]:
    """SKU codes must be unique in the file and not belong to another product already."""
    problems: list[FieldProblem] = []
    owner: dict[str, str] = {}
    for item in parsed:
        # A product without SKU rows gets one SKU named like the product (see service).
        for code in [s.code for s in item.product.skus] or [item.product.code]:
            if code in owner and owner[code] != item.product.code:
                problems.append(FieldProblem("sku_code", f"{code!r} is used by product "
                                             f"{owner[code]!r} in this file", item.line))
            owner[code] = item.product.code
    rows = (await session.execute(
        select(Sku.code, Product.code).join(Product, Sku.product_id == Product.id)
        .where(Sku.org_id == org_id, Sku.code.in_(list(owner))))).all()
    lines = {p.product.code: p.line for p in parsed}
    for sku_code, product_code in rows:
        if owner[sku_code] != product_code:
            problems.append(FieldProblem(
                "sku_code", f"{sku_code!r} already belongs to product {product_code!r}",
                lines[owner[sku_code]]))
    return problems
