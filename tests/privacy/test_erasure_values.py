"""What an erased person's personal columns read afterwards.

The rule (privacy/erasure.py, "scrub" and "legal_hold"): the row stays, every personal
column is cleared — to NULL where the column allows it, else to a neutral marker,
``[erased]``, cut to the column's length where the column is shorter (a card's last four
digits hold ``[era``), since PostgreSQL refuses a value longer than its column.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import String, select

from chuhai.checkout.models import Order, Payment
from chuhai.core.config import Settings
from chuhai.core.db import GLOBAL, Stores
from chuhai.core.migrate import target_metadata
from chuhai.core.secrets_store import signing_key
from chuhai.privacy.erasure import ERASED, POLICIES, _cleared, _personal, erase_subject
from tests.factories import ADDRESSES, buy_from_drop, make_buyer, make_shop, start_drop


def _scrubbed_columns() -> list[tuple[Any, Any]]:
    return [(table, column) for kind in (GLOBAL, "regional")
            for table in target_metadata(kind).sorted_tables
            if POLICIES.get(table.name) in ("scrub", "legal_hold")
            for column in table.columns if _personal(column)]


def test_every_cleared_value_fits_its_column() -> None:
    columns = _scrubbed_columns()
    assert columns  # the walk found the personal columns of kept rows
    for table, column in columns:
        value = _cleared(table, column)
        length = getattr(column.type, "length", None)
        if isinstance(value, str) and length:
            assert len(value) <= length, f"{table.name}.{column.name}"


def test_a_short_text_column_holds_the_marker_cut_to_its_length() -> None:
    payments = Payment.__table__
    orders = Order.__table__
    assert isinstance(payments.c.card_last4.type, String)
    assert _cleared(payments, payments.c.card_last4) == ERASED[:4] == "[era"
    assert _cleared(orders, orders.c.ship_country) == "[e"
    assert _cleared(orders, orders.c.ship_name) == ERASED  # 120 long: the whole marker


async def test_an_erased_buyers_kept_order_and_payment_read_the_cut_marker(
        real: tuple[Stores, httpx.AsyncClient], settings: Settings) -> None:
    stores, app_client = real  # stores that commit, as erasure runs in production
    shop = await make_shop(stores, settings, app_client)
    drop = await start_drop(app_client, shop, ("DE",))
    buyer = await make_buyer(stores, settings, "DE")
    order_id = await buy_from_drop(app_client, drop, buyer, ADDRESSES["DE"])

    await erase_subject(stores, buyer.actor.subject_id, signing_key(settings))

    async with stores.session("eu") as r:
        order = await r.scalar(select(Order).where(Order.id == order_id))
        payment = await r.scalar(select(Payment).where(Payment.order_id == order_id))
    assert order is not None and payment is not None
    assert (order.ship_name, order.ship_street, order.ship_country) == (
        "[erased]", "[erased]", "[e")
    assert (payment.status, payment.card_last4) == ("succeeded", "[era")
    assert order.total_minor > 0  # kept for the accounts
