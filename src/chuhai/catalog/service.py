"""Catalog use cases: every query is scoped to the actor's org before it is built, so a
row of another org is indistinguishable from a row that does not exist (404, not 403)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.catalog.holds import holders, in_use
from chuhai.catalog.hs import chapter_title
from chuhai.catalog.models import Listing, ListingPrice, Product, Sku
from chuhai.catalog.schemas import (
    ListingIn,
    ListingOut,
    ProductIn,
    ProductOut,
    ProductPatch,
    SkuIn,
    SkuOut,
    positive_amount,
)
from chuhai.core.actor import Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from chuhai.core.ids import new_id
from chuhai.core.money import Money, to_minor
from chuhai.crossborder import service as crossborder
from chuhai.crossborder.basket import QuoteError
from chuhai.markets.profiles import get_profile

MAX_PER_PAGE = 100


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_products(
    session: AsyncSession, actor: Actor, *, q: str | None = None, page: int = 1,
    per_page: int = 20, market: str | None = None,
) -> tuple[Sequence[Product], int]:
    actor.require(Perm.CATALOG_READ)
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
    where = [Product.org_id == actor.org()]
    if q:
        pattern = _like(q[:100])
        where.append(or_(
            Product.title.ilike(pattern, escape="\\"),
            Product.code.ilike(pattern, escape="\\"),
            Product.brand.ilike(pattern, escape="\\"),
            exists().where(Listing.product_id == Product.id,
                           Listing.title.ilike(pattern, escape="\\")),
            exists().where(Sku.product_id == Product.id, Sku.code.ilike(pattern, escape="\\")),
        ))
    if market:
        where.append(exists().where(Listing.product_id == Product.id,
                                    Listing.market == market.upper()))
    total = await session.scalar(select(func.count()).select_from(Product).where(*where)) or 0
    rows = await session.scalars(
        select(Product).where(*where).order_by(Product.created_at.desc(), Product.id)
        .limit(per_page).offset((page - 1) * per_page))
    return rows.all(), int(total)


async def get_product(session: AsyncSession, actor: Actor, product_id: str) -> Product:
    actor.require(Perm.CATALOG_READ)
    product = await session.scalar(select(Product).where(
        Product.id == product_id, Product.org_id == actor.org()))
    if product is None:
        raise NotFound("product", product_id, code="product_not_found")
    return product


async def _check_codes_free(session: AsyncSession, org_id: str, product_code: str,
                            sku_codes: list[str], product_id: str | None) -> None:
    clash = await session.scalar(select(Product.id).where(
        Product.org_id == org_id, Product.code == product_code,
        Product.id != (product_id or "")))
    if clash:
        raise Conflict(f"product code {product_code!r} is already used",
                       code="product_code_taken")
    if sku_codes:
        taken = (await session.scalars(select(Sku.code).where(
            Sku.org_id == org_id, Sku.code.in_(sku_codes),
            Sku.product_id != (product_id or "")))).all()
        if taken:
            raise Conflict(f"SKU code(s) already used: {', '.join(sorted(taken))}",
                           code="sku_code_taken")


def _skus(org_id: str, product_code: str, skus: list[SkuIn]) -> list[Sku]:
    # Stock is counted per SKU, so a product without variants still gets one SKU.
    items = skus or [SkuIn(code=product_code)]
    return [Sku(id=new_id("sku"), org_id=org_id, code=s.code, attributes=dict(s.attributes),
                weight_g=s.weight_g, barcode=s.barcode) for s in items]


def _listings(org_id: str, listings: list[ListingIn]) -> list[Listing]:
    out = []
    for li in listings:
        assert li.currency is not None and li.language is not None
        listing = Listing(
            id=new_id("lst"), org_id=org_id, market=li.market, language=li.language,
            title=li.title, description=li.description, visible=li.visible,
            price_minor=to_minor(Decimal(li.price), li.currency), currency=li.currency)
        _record_price(listing)
        out.append(listing)
    return out


def _record_price(listing: Listing) -> None:
    listing.prices.add(ListingPrice(id=new_id("lpr"), price_minor=listing.price_minor,
                                    currency=listing.currency, valid_from=utcnow()))


async def create_product(session: AsyncSession, actor: Actor, data: ProductIn) -> Product:
    actor.require(Perm.CATALOG_WRITE)
    product = build_product(actor.org(), data)
    await _check_codes_free(session, product.org_id, data.code,
                            [s.code for s in product.skus], None)
    session.add(product)
    await flush_or_conflict(session)
    return product


def build_product(org_id: str, data: ProductIn) -> Product:
    """A new product row with its SKUs and listings; the caller checks codes and adds it."""
    skus = _skus(org_id, data.code, data.skus)
    return Product(
        id=new_id("prd"), org_id=org_id, code=data.code, title=data.title,
        description=data.description, brand=data.brand, hs_code=data.hs_code,
        origin_country=data.origin_country, weight_g=data.weight_g, length_mm=data.length_mm,
        width_mm=data.width_mm, height_mm=data.height_mm,
        customs_value_minor=to_minor(Decimal(data.customs_value), data.customs_currency),
        customs_currency=data.customs_currency, certifications=list(data.certifications),
        images=[str(u) for u in data.images], status="active",
        skus=skus, listings=_listings(org_id, data.listings))


async def update_product(session: AsyncSession, actor: Actor, product_id: str,
                         patch: ProductPatch, *, merge: bool = False) -> Product:
    """Change the fields ``patch`` sends. SKUs and listings, when sent, replace the stored
    ones — or, with ``merge`` (spreadsheet imports), update those named and keep the rest."""
    actor.require(Perm.CATALOG_WRITE)
    product = await get_product(session, actor, product_id)
    fields = patch.model_dump(exclude_unset=True, exclude={"skus", "listings"})
    currency = fields.pop("customs_currency", None) or product.customs_currency
    if "customs_value" in fields or currency != product.customs_currency:
        value = fields.pop("customs_value", None)
        amount = (Money.from_minor(product.customs_value_minor, product.customs_currency).amount
                  if value is None else value)
        try:
            amount = positive_amount(amount, currency)
        except ValueError as exc:
            raise InvalidInput(str(exc), [FieldProblem("customs_value", str(exc))]) from exc
        product.customs_value_minor = to_minor(amount, currency)
        product.customs_currency = currency
    if "images" in fields:
        fields["images"] = [str(u) for u in fields["images"] or []]
    for key, value in fields.items():
        setattr(product, key, value)
    if patch.skus is not None:
        await _check_codes_free(session, product.org_id, product.code,
                                [s.code for s in patch.skus], product.id)
        if not merge:
            kept = {s.code for s in patch.skus} or {product.code}
            gone = [s for s in product.skus if s.code not in kept]
            held = await holders(session, [], [s.id for s in gone])
            if held:
                raise in_use("SKU " + ", ".join(sorted(s.code for s in gone)), held)
        _replace_skus(product, patch.skus, merge=merge)
    if patch.listings is not None:
        _replace_listings(product, patch.listings, merge=merge)
    product.updated_at = utcnow()  # also when only SKUs or listings changed: search follows
    await flush_or_conflict(session)
    return product


def _replace_skus(product: Product, skus: list[SkuIn], *, merge: bool = False) -> None:
    """Keep the ids of SKUs whose code survives (stock and orders point at them); fields a
    caller did not send keep their stored value. ``merge`` keeps SKUs not mentioned."""
    by_code = {s.code: s for s in product.skus}
    new = []
    for s in skus or ([] if merge else [SkuIn(code=product.code)]):
        sku = by_code.pop(s.code, None) or Sku(id=new_id("sku"), org_id=product.org_id,
                                               code=s.code, attributes={})
        sent = s.model_fields_set
        if "attributes" in sent or not sku.attributes:
            sku.attributes = dict(s.attributes)
        if "weight_g" in sent:
            sku.weight_g = s.weight_g
        if "barcode" in sent:
            sku.barcode = s.barcode
        new.append(sku)
    product.skus = new + (list(by_code.values()) if merge else [])


def _replace_listings(product: Product, listings: list[ListingIn], *,
                      merge: bool = False) -> None:
    """Update listings in place by market: (product, market) is unique, and a delete plus
    insert of the same market in one flush would trip that constraint. A language not sent
    keeps the stored one. ``merge`` keeps markets not mentioned."""
    by_market = {li.market: li for li in product.listings}
    new = []
    for sent, fresh in zip(listings, _listings(product.org_id, listings), strict=True):
        current = by_market.pop(fresh.market, None)
        if current is None:
            new.append(fresh)
            continue
        attrs = ["title", "price_minor", "currency", "visible"]
        attrs += [a for a in ("language", "description") if a in sent.model_fields_set]
        repriced = (current.price_minor, current.currency) != (fresh.price_minor,
                                                               fresh.currency)
        for attr in attrs:
            setattr(current, attr, getattr(fresh, attr))
        if repriced:
            _record_price(current)
        new.append(current)
    product.listings = new + (list(by_market.values()) if merge else [])


async def delete_product(session: AsyncSession, actor: Actor, product_id: str) -> None:
    actor.require(Perm.CATALOG_WRITE)
    product = await get_product(session, actor, product_id)
    held = await holders(session, [product.id], [s.id for s in product.skus])
    if held:
        raise in_use(f"product {product.code}", held)
    await session.delete(product)
    await session.flush()


async def flush_or_conflict(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent writer took a code between check and flush
        if "unique" not in str(exc.orig).lower():
            raise
        raise Conflict("a product or SKU code is already used", code="code_taken") from exc


def to_out(product: Product, registrations: frozenset[str] = frozenset(),
           data_dir: Path | None = None) -> ProductOut:
    return ProductOut(
        id=product.id, code=product.code, title=product.title,
        description=product.description, brand=product.brand, hs_code=product.hs_code,
        hs_chapter=chapter_title(product.hs_code), origin_country=product.origin_country,
        weight_g=product.weight_g, length_mm=product.length_mm, width_mm=product.width_mm,
        height_mm=product.height_mm,
        customs_value=str(Money.from_minor(product.customs_value_minor,
                                           product.customs_currency).amount),
        customs_currency=product.customs_currency, certifications=list(product.certifications),
        images=list(product.images), status=product.status, created_at=product.created_at,
        updated_at=product.updated_at,
        skus=[SkuOut(id=s.id, code=s.code, attributes=dict(s.attributes), weight_g=s.weight_g,
                     barcode=s.barcode) for s in product.skus],
        listings=[listing_out(li, product, registrations, data_dir)
                  for li in product.listings],
    )


def listing_out(li: Listing, product: Product, registrations: frozenset[str] = frozenset(),
                data_dir: Path | None = None) -> ListingOut:
    money = Money.from_minor(li.price_minor, li.currency)
    profile = get_profile(li.market)
    locale = profile.default_locale if profile else "en_US"
    today = utcnow().date()
    flags = [r.as_flag() for r in crossborder.restrictions_for(
        li.market, today, product.hs_code, data_dir=data_dir)]
    landed = landed_display = None
    try:
        q = crossborder.listing_quote(
            li.market, today, product.hs_code, product.origin_country, money.amount,
            li.currency, weight_g=product.weight_g,
            registrations=registrations, data_dir=data_dir)
        landed = str(q.landed_total)
        landed_display = Money(q.landed_total, li.currency).format(locale)
        note = "duties and taxes included"
    except QuoteError as exc:
        note = f"duties and taxes not computed ({exc.code})"
    return ListingOut(id=li.id, market=li.market, language=li.language, title=li.title,
                      description=li.description, price=str(money.amount),
                      currency=li.currency, price_display=money.format(locale),
                      visible=li.visible, landed=landed, landed_display=landed_display,
                      landed_note=note, restrictions=flags)
