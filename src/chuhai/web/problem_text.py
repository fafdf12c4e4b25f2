"""What an error says to a buyer, in their language.

A problem+json answer keeps its stable ``code`` (clients branch on it) and its English
``detail`` for API clients; when the request speaks another language (the remembered
``chuhai_lang`` choice, else ``Accept-Language``), the ``detail`` of the errors a buyer
meets — sold out, hold expired, bid too low, address invalid … — and the ``reason`` of
each bad address field come from the same gettext catalogs as the pages. A code without a
buyer text keeps its English detail: sellers' and operators' errors stay English this turn.
"""

from __future__ import annotations

from typing import Any

from chuhai.web import i18n
from chuhai.web.i18n import N_

# code → what a buyer reads. Placeholders are filled from the problem's own fields.
DETAILS: dict[str, str] = {
    "sold_out": N_("Sold out."),
    "out_of_stock": N_("Not enough in stock."),
    "insufficient_stock": N_("Not enough in stock."),
    "buyer_limit_reached": N_("You have reached the limit per buyer for this drop."),
    "drop_not_started": N_("This drop has not started yet."),
    "drop_ended": N_("This drop has ended."),
    "drop_already_ended": N_("This drop has ended."),
    "reservation_expired": N_("Your hold ran out; the item is back on sale."),
    "reservation_not_held": N_("This item is no longer held for you."),
    "reservation_not_found": N_("This hold was not found."),
    "bid_too_low": N_("Someone bid more; your bid is too low."),
    "bid_contention": N_("Many bids at once; try again."),
    "restricted_goods": N_("This product cannot be sent to your country."),
    "no_fulfilment_route": N_("This product cannot be delivered to your country."),
    "product_not_listed": N_("This product is not sold in your country."),
    "market_not_served": N_("This seller does not sell in your country."),
    "ship_to_outside_market": N_("The address is outside the country of this shop."),
    "invalid_address": N_("Please check the address."),
    "invalid_quantity": N_("That quantity is not possible."),
    "invalid_basket": N_("Your cart cannot be checked out as it is."),
    "invalid_input": N_("Some of what you entered is not valid."),
    "bad_credentials": N_("E-mail or password is wrong."),
    "unauthenticated": N_("Please sign in first."),
    "customer_required": N_("Please sign in as a buyer first."),
    "customers_only": N_("Please sign in as a buyer first."),
    "csrf_failed": N_("Your page expired; reload it and try again."),
    "rate_limited": N_("Too many attempts; wait a moment and try again."),
    "order_not_payable": N_("This order can no longer be paid."),
    "payment_params_changed": N_("The payment changed; start paying again."),
    "payment_in_progress": N_("Your payment is already being processed; wait for its answer."),
    "idempotency_key_reused": N_("This was already sent with other details; reload the page."),
    "shop_not_found": N_("This shop was not found."),
    "product_not_found": N_("This product was not found."),
    "sku_not_found": N_("This product was not found."),
    "order_not_found": N_("This order was not found."),
    "room_not_found": N_("This live room was not found."),
    "drop_not_found": N_("This drop was not found."),
    "not_found": N_("This page was not found."),
    "body_too_large": N_("What you sent is too large."),
    "payload_too_large": N_("What you sent is too large."),
    "internal_error": N_("Something went wrong on our side; it has been logged."),
    "busy": N_("Busy for a moment: nothing was changed; try again."),
}

# The reasons an address field can be refused for (checkout/addresses.py says them).
REASONS = frozenset({
    N_("is required in this country"), N_("is not valid in this country"),
    N_("is not used in this country"), N_("is not a country we know"),
    N_("is not a valid phone number here"),
})


def detail(code: str, english: str, language: str, params: dict[str, Any]) -> str:
    """The detail of a problem with ``code`` in ``language`` (English as given when the
    code has no buyer text, or the language is English or has no catalog)."""
    text = DETAILS.get(code)
    if text is None or language == "en":
        return english
    out = i18n.translations(language).gettext(text)
    try:
        return out % params if "%(" in out else out
    except (KeyError, ValueError, TypeError):
        return english


def localize(body: dict[str, Any], language: str) -> dict[str, Any]:
    """A problem body as its buyer reads it (a copy; ``code`` and fields unchanged)."""
    if language == "en":
        return body
    out = dict(body)
    out["detail"] = detail(str(body.get("code", "")), str(body.get("detail", "")), language,
                           body)
    if isinstance(body.get("errors"), list):
        t = i18n.translations(language)
        out["errors"] = [{**e, "reason": t.gettext(e["reason"])}
                         if isinstance(e, dict) and e.get("reason") in REASONS else e
                         for e in body["errors"]]
    return out
