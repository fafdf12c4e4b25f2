"""Orders whose figures were worked out by hand, for the payment and refund tests.

The figures come from the rule each quote cites (the rule ids are in the comments), never
from the code under test. They depend on today's rules: like the flow test, they assume a
date after 2026-07-24 (the US Section 301 line) and 2026-07-01 (the EU flat duty).
"""

from __future__ import annotations

from pathlib import Path
from typing import Generic, TypeVar

import httpx
from sqlalchemy import select, update

from chuhai.checkout import service
from chuhai.checkout.models import Order, OrderEvent, Payment
from chuhai.checkout.payments import SUCCEEDS, ChargeResult, TestProvider
from chuhai.checkout.schemas import PayIn, TransitionIn
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.inventory import stock
from chuhai.inventory.ledger import Levels
from chuhai.inventory.models import Reservation
from tests.factories import (
    ADDRESSES,
    Buyer,
    Shop,
    buy_from_drop,
    charge_at_test_bank,
    idempotency_key,
    make_buyer,
    make_shop,
    start_drop,
)

# market: (drop price, figures of one unit as the buyer sees them, total in minor units)
WORKED: dict[str, tuple[str, dict[str, str], int]] = {
    # US-W lane 6.50. HTSUS 8518.30.20 is free of base duty; Chinese origin carries the
    # 12.5 % Section 301 duty on the FOB value: 12.5 % x 29.00 = 3.625 -> 3.63 (half up).
    # No federal VAT. 29.00 + 6.50 + 3.63 = 39.13.
    "US": ("29.00", {"currency": "USD", "subtotal": "29.00", "shipping": "6.50",
                     "duty": "3.63", "tax": "0.00", "fees": "0.00", "total": "39.13"}, 3913),
    # DE-1 lane 4.90. Without IOSS the EU's flat EUR 3 duty per low-value item applies
    # (from 2026-07-01); VAT 19 % on CIF + duty: 19 % x (29.00 + 4.90 + 3.00) = 7.011 -> 7.01.
    # 29.00 + 4.90 + 3.00 + 7.01 = 43.91.
    "DE": ("29.00", {"currency": "EUR", "subtotal": "29.00", "shipping": "4.90",
                     "duty": "3.00", "tax": "7.01", "fees": "0.00", "total": "43.91"}, 4391),
    # Shenzhen lane 600 yen. Personal-use valuation is 60 % of retail: 0.6 x 19,800 = 11,880,
    # + 600 shipping = 12,480 > the 10,000 relief. 8518.30 is duty free; consumption tax
    # 10 % x 12,480 = 1,248. 19,800 + 600 + 1,248 = 21,648 yen — no decimals at all.
    "JP": ("19800", {"currency": "JPY", "subtotal": "19800", "shipping": "600",
                     "duty": "0", "tax": "1248", "fees": "0", "total": "21648"}, 21648),
}

# No market chuhai has a profile for uses a three-decimal currency (rules/markets/*.toml has
# no KW, BH, OM or JO), so a Kuwaiti order is a real pending order rewritten as one would be
# stored: 9.750 KWD of goods, 1.250 shipping, 5 % GCC duty on CIF 11.000 = 0.550, no VAT in
# Kuwait: 11.550 KWD in all. Its last digit is 0, as Stripe requires of dinars.
KWD_TOTAL_MINOR = 11550


async def pending_order(client: httpx.AsyncClient, stores: Stores, settings: Settings,
                        market: str) -> tuple[Shop, Buyer, str]:
    """A seller, a buyer in ``market`` and their order of one unit awaiting payment, at the
    worked price."""
    price = WORKED[market][0]
    shop = await make_shop(stores, settings, client)
    buyer = await make_buyer(stores, settings, market)
    drop = await start_drop(client, shop, (market,), prices={market: price})
    order_id = await buy_from_drop(client, drop, buyer, ADDRESSES[market], pay=False)
    return shop, buyer, order_id


async def kuwaiti_order(client: httpx.AsyncClient, stores: Stores, settings: Settings
                        ) -> tuple[Shop, Buyer, str]:
    shop, buyer, order_id = await pending_order(client, stores, settings, "US")
    assert buyer.actor.region is not None
    async with stores.session(buyer.actor.region) as r:
        await r.execute(update(Order).where(Order.id == order_id).values(
            market="KW", currency="KWD", subtotal_minor=9750, shipping_minor=1250,
            duty_minor=550, tax_minor=0, fees_minor=0, total_minor=KWD_TOTAL_MINOR))
        await r.commit()
    return shop, buyer, order_id


TRACKING = "1Z999AA10123456784"  # what staff ship with unless a test says otherwise


class Bank:
    """The test provider, its ledger kept in ``data_dir``. Each payment test subclasses it to
    record, or to break, the calls it is about."""

    def __init__(self, data_dir: Path, name: str = "test") -> None:
        self.name = name
        self.data_dir = data_dir
        self._inner = TestProvider(data_dir / "testpay.db")

    async def charge(self, payment_id: str, amount_minor: int, currency: str, method: str,
                     return_url: str) -> ChargeResult:
        return await self._inner.charge(payment_id, amount_minor, currency, method,
                                        return_url)

    async def retrieve(self, payment_id: str) -> ChargeResult | None:
        return await self._inner.retrieve(payment_id)

    async def refund(self, payment_id: str) -> ChargeResult:
        return await self._inner.refund(payment_id)

    async def buyer_answers_3ds(self, payment_id: str, approve: bool) -> None:
        """The buyer answers on the bank's 3-D Secure page (our app hears nothing)."""
        await self._inner.authenticate(payment_id, approve)

    def ledger(self, payment_id: str) -> tuple[int, str, str] | None:
        """(amount, currency, status) of the charge as the bank's own file has it."""
        return charge_at_test_bank(self.data_dir, payment_id)

    def close(self) -> None:
        self._inner.close()


BankT = TypeVar("BankT", bound=Bank)


class Sale(Generic[BankT]):
    """A buyer's order (of one unit, from ``pending_order``), its seller and the bank."""

    def __init__(self, shop: Shop, buyer: Buyer, order_id: str, bank: BankT,
                 stores: Stores) -> None:
        self.shop, self.buyer, self.order_id, self.bank, self.stores = \
            shop, buyer, order_id, bank, stores

    @property
    def region(self) -> str:
        assert self.buyer.actor.region is not None
        return self.buyer.actor.region

    async def pay(self, key: str | None = None, card: str = SUCCEEDS,
                  bank: BankT | None = None) -> tuple[Order, Payment]:
        """The buyer pays (at ``bank`` when given, else the sale's own), with a new key
        unless told one."""
        return await service.pay(self.stores, bank or self.bank, self.buyer.actor,
                                 self.order_id,
                                 PayIn(card_number=card,
                                       idempotency_key=key or idempotency_key()))

    async def move(self, to: str, tracking: str | None = None, reason: str = "") -> Order:
        """Staff move the order; a shipment carries ``TRACKING`` unless told another."""
        if tracking is None and to == "shipped":
            tracking = TRACKING
        return await service.transition(
            self.stores, self.bank, self.shop.tenant.actor, self.order_id,
            TransitionIn(to=to, reason=reason, tracking=tracking))

    async def order(self) -> Order:
        async with self.stores.session(self.region) as r:
            found = await r.scalar(select(Order).where(Order.id == self.order_id))
        assert found is not None
        return found

    async def payments(self) -> list[Payment]:
        """The order's payments, oldest first."""
        async with self.stores.session(self.region) as r:
            return list((await r.scalars(select(Payment).where(
                Payment.order_id == self.order_id).order_by(Payment.created_at))).all())

    async def reservation(self) -> Reservation:
        order = await self.order()
        async with self.stores.session() as s:
            res = await s.scalar(select(Reservation).where(
                Reservation.id == order.reservation_id))
        assert res is not None
        return res

    async def history(self) -> list[tuple[str | None, str, str, str]]:
        """(from, to, actor id, actor kind) of every recorded move."""
        async with self.stores.session(self.region) as r:
            rows = (await r.scalars(select(OrderEvent).where(
                OrderEvent.order_id == self.order_id).order_by(OrderEvent.id))).all()
        return [(e.from_status, e.to_status, e.actor_id, e.actor_kind) for e in rows]

    async def levels(self) -> Levels:
        """Stock of the drop's SKU in the US-W warehouse."""
        async with self.stores.session() as s:
            return await stock.levels_of(s, self.shop.sku_id, self.shop.us_west)
