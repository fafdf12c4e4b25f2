"""Quotes for the edges (API, CLI, checkout, product cards): rules loaded once, errors mapped.

The engine raises ``QuoteError`` (pure); here it becomes a ``DomainError`` with the same stable
code, so the API answers problem+json and the CLI prints one clear line.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chuhai.core.errors import DomainError, FieldProblem, InvalidInput
from chuhai.crossborder.basket import Basket, Item, Quote, QuoteError
from chuhai.crossborder.landed_cost import landed_cost
from chuhai.crossborder.loader import rulebook
from chuhai.crossborder.restricted import Restriction, flags
from chuhai.crossborder.schemas import QuoteIn


class Unquotable(DomainError):
    """A valid basket the rules cannot answer (unknown rate, restricted goods …)."""

    status = 422
    title = "Cannot quote"


def _domain(exc: QuoteError) -> DomainError:
    problems = [FieldProblem(exc.field, str(exc))] if exc.field else []
    return Unquotable(message=str(exc), code=exc.code, problems=problems, extra=exc.extra)


def validation_problems(exc: ValidationError) -> list[FieldProblem]:
    return [FieldProblem(".".join(str(p) for p in e["loc"]) or "body", e["msg"])
            for e in exc.errors(include_url=False)]


def parse(data: Any) -> Basket:
    """JSON (already decoded) → Basket, or ``InvalidInput`` listing every bad field."""
    try:
        return QuoteIn.model_validate(data).basket()
    except ValidationError as exc:
        raise InvalidInput("the basket is not valid", validation_problems(exc),
                           code="invalid_basket") from None
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid_basket") from None


def quote(basket: Basket, data_dir: Path | None = None) -> Quote:
    try:
        return landed_cost(rulebook(data_dir), basket)
    except QuoteError as exc:
        raise _domain(exc) from None


def quote_json(data: Any, data_dir: Path | None = None) -> dict[str, Any]:
    return quote(parse(data), data_dir).as_dict()


def listing_quote(destination: str, day: date, hs_code: str, origin: str, price: Decimal,
                  currency: str, *, weight_g: int | None = None,
                  registrations: frozenset[str] = frozenset(),
                  shipping: Decimal = Decimal(0), quantity: int = 1,
                  data_dir: Path | None = None) -> Quote:
    """A one-line DDP quote for a listing (product card, checkout), in the listing currency.

    Raises ``QuoteError`` (pure) so callers choose: a product card shows the plain price, a
    checkout refuses restricted goods and labels an unquotable market.
    """
    weight_kg = None if weight_g is None else Decimal(weight_g) / 1000  # catalog keeps grams
    basket = Basket(destination, day, (Item(hs_code, origin, price, currency, quantity,
                                            weight_kg),),
                    shipping=shipping, shipping_currency=currency, currency=currency,
                    registrations=registrations, ambiguous_hs="highest")
    return landed_cost(rulebook(data_dir), basket)


def charges_summary(q: Quote) -> dict[str, Any]:
    """What an order keeps of its quote: the charges, the rule ids and the rules version."""
    d = q.as_dict()
    return {k: d[k] for k in ("incoterm", "collection", "duty_total", "tax_total",
                              "fees_total", "landed_total", "charges", "rules",
                              "rules_version", "warnings", "restrictions", "date",
                              "rate_date", "approximate")}


def restrictions_for(destination: str, day: date, hs_code: str, tags: tuple[str, ...] = (),
                     data_dir: Path | None = None) -> list[Restriction]:
    return flags(rulebook(data_dir).restrictions, destination, day, hs_code, tags)
