"""``GET /api/search``: a market's listings (one shop's, with ``shop=``) for a buyer's query,
ranked, each saying what matched, with price and category facets and an opaque cursor.
Thin: parse, keep the index fresh, call the service, shape the answer in the buyer's
language and locale."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from chuhai.analytics import service as analytics
from chuhai.analytics.events import Event
from chuhai.core.errors import InvalidInput
from chuhai.core.money import Money
from chuhai.privacy.consent import gpc_signal
from chuhai.search import index, service
from chuhai.shop import catalog
from chuhai.web import i18n
from chuhai.web.deps import UoW, client_ip
from chuhai.web.deps import limit as rate_limit
from chuhai.web.people import identify

router = APIRouter(prefix="/api", tags=["search"])


class MatchOut(BaseModel):
    word: str  # the query's word, folded
    how: str  # exact | stem | compound | ngram | typo
    # what it matched as: the word, or the word a typo was corrected to
    as_: str = Field(alias="as")
    field: str  # title | description

    model_config = ConfigDict(populate_by_name=True)


class ResultOut(BaseModel):
    product_id: str
    listing_id: str
    shop: str
    title: str
    image: str
    language: str
    chapter: str
    price: str  # delivered, in the market's currency
    price_display: str
    url: str
    matched: list[MatchOut]


class PriceBandOut(BaseModel):
    min: str | None
    max: str | None
    count: int
    label: str


class CategoryOut(BaseModel):
    chapter: str
    name: str
    count: int


class FacetsOut(BaseModel):
    price: list[PriceBandOut]
    category: list[CategoryOut]


class SearchOut(BaseModel):
    query: str
    market: str
    currency: str
    total: int
    fallback: str | None
    corrections: dict[str, list[str]]
    results: list[ResultOut]
    facets: FacetsOut
    next_cursor: str | None


async def fresh_index(request: Request, uow: UoW) -> None:
    """Bring changed products into the index first (two indexed queries when none did)."""
    done = await index.refresh(uow.global_, request.app.state.settings.data_dir)
    if done.indexed or done.removed:
        await uow.global_.commit()
        service.forget_vocabulary()


async def note_search(request: Request, uow: UoW, market: str, q: str) -> None:
    """A search is an analytics event (what attribution credits to search): its text kept
    only in the person's own regional events and only with analytics consent; without it,
    an anonymous count for the day and market, with no text."""
    if not q.strip():
        return
    person = await identify(request, uow, market)
    await analytics.record(uow, [Event("search", None, None, query=q[:200])],
                           market=person.market, country=person.country,
                           subject_id=person.subject_id, region=person.region,
                           gpc=gpc_signal(request.headers))
    await uow.commit()


def filters(chapter: str | None, price_min: str | None, price_max: str | None
            ) -> service.Filters:
    """The facet filters of a search as the API and the storefront's links send them."""
    return service.Filters(chapter=chapter if chapter and chapter.isdigit() else None,
                           price_min=_amount(price_min, "price_min"),
                           price_max=_amount(price_max, "price_max"))


def _amount(raw: str | None, field: str) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(raw[:20].replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(f"{field} is not an amount", code="invalid_amount") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{field} is not an amount", code="invalid_amount")
    return value


@router.get("/search", response_model=SearchOut, response_model_by_alias=True, responses={
    404: {"description": "The shop named in `shop` does not exist (`shop_not_found`)"}})
async def search(request: Request, uow: UoW,
                 market: Annotated[str, Query(max_length=8)],
                 q: Annotated[str, Query(max_length=10_000)] = "",
                 shop: Annotated[str | None, Query(max_length=60)] = None,
                 chapter: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
                 price_min: Annotated[str | None, Query(max_length=20)] = None,
                 price_max: Annotated[str | None, Query(max_length=20)] = None,
                 cursor: Annotated[str | None, Query(max_length=400)] = None,
                 limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 20) -> SearchOut:
    """Ranked listings of the market for ``q`` (title, brand, description, SKU attributes
    in the market's languages; accents, width and case folded; stems; words inside
    compounds; Han/kana/Thai bigrams; typos corrected against the index's words). An empty
    or meaningless query, or one nothing matches, gives the popular listings
    (``fallback: "popular"``). Facets: delivered price bands and HS chapters, named in the
    buyer's language."""
    await rate_limit(request, f"search:{client_ip(request)}", 240, 60)
    org_id = (await catalog.shop_by_slug(uow.global_, shop)).org_id if shop else None
    await fresh_index(request, uow)
    page = await service.search(
        uow.global_, q=q, market=market, org_id=org_id,
        filters=filters(chapter, price_min, price_max), cursor=cursor,
        limit=limit, secret=request.app.state.settings.secret_key or "",
        dialect=uow.global_.get_bind().dialect.name)
    await note_search(request, uow, page.market, q)
    lang = i18n.from_request(request, market_languages=service.languages_of(page.market))
    return SearchOut.model_validate(await shaped(uow, page, lang))  # by alias: "as"


async def shaped(uow: UoW, page: service.Page, lang: str) -> dict[str, Any]:
    """The page as the buyer reads it: prices in their locale, band and category names in
    their language."""
    locale = i18n.locale_for(page.market, lang)
    slugs = await service.shop_slugs(uow.global_, {h.doc.org_id for h in page.hits})
    t = i18n.translations(lang)

    def money(amount: str | None) -> str:
        return Money(Decimal(amount or 0), page.currency).format(locale)

    bands = []
    for b in page.facets["price"]:
        if b["min"] is None:
            label = t.gettext("under %(high)s") % {"high": money(b["max"])}
        elif b["max"] is None:
            label = t.gettext("%(low)s and more") % {"low": money(b["min"])}
        else:
            label = t.gettext("%(low)s – %(high)s") % {"low": money(b["min"]),
                                                      "high": money(b["max"])}
        bands.append({**b, "label": label})
    return {
        "query": page.query, "market": page.market, "currency": page.currency,
        "total": page.total, "fallback": page.fallback, "corrections": page.corrections,
        "next_cursor": page.next_cursor,
        "facets": {"price": bands, "category": [
            {**c, "name": service.chapter_name(c["chapter"], lang)}
            for c in page.facets["category"]]},
        "results": [{
            "product_id": h.doc.product_id, "listing_id": h.doc.listing_id,
            "shop": slugs.get(h.doc.org_id, ""), "title": h.doc.title, "image": h.doc.image,
            "language": h.doc.language, "chapter": h.doc.hs_chapter,
            "price": str(Money.from_minor(h.doc.landed_minor, h.doc.currency).amount),
            "price_display": Money.from_minor(h.doc.landed_minor, h.doc.currency).format(
                locale),
            "url": f"/shop/{slugs.get(h.doc.org_id, '')}/products/{h.doc.product_id}"
                   f"?market={page.market}",
            "matched": h.matched} for h in page.hits],
    }
