"""Eight weeks of simulated history for the demo seller: a running interest holdout and the
orders of its buyers, each attributed to a channel — so the console's channels chart and
the lift report have something to show on a fresh install.

Everything here is simulated and says so: the buyers are pseudonymous ids with no account
(``Demo buyer``), the orders carry ``demo-history`` keys, and the draw of each buyer's group
is the experiment's own (a hash of the id and its salt), exactly as for real buyers. The
simulation is seeded, so every install shows the same history. Exposed buyers convert more
often than held-out ones (30 % against 22 %), and only exposed buyers arrive through the
feed — the effect the holdout then measures.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from chuhai.analytics.experiments import HOLDOUT, group_of
from chuhai.analytics.models import EventHour, Experiment, ExperimentAssignment
from chuhai.catalog.models import Listing, Sku
from chuhai.checkout.models import Order, OrderEvent
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.ids import new_id
from chuhai.inventory.models import Reservation, Warehouse
from chuhai.markets.profiles import get_profile

EXPERIMENT_NAME = "Interest holdout: do the feed, videos and live add demand?"
BUYERS = 1000
SHARE_BP = 1000  # the default 10 %: about 100 held-out buyers to compare
WEEKS = 8
MARKETS = (("DE", 0.45, "DE-1"), ("US", 0.35, "US-W"), ("JP", 0.20, "SZ"))
SHIPPING = {"EUR": 490, "USD": 590, "JPY": 500}  # the demo warehouses' lanes
EXPOSED_MIX = (("feed", 28), ("video", 17), ("live", 15), ("search", 22), ("browse", 12),
               ("external", 3), ("direct", 3))
HOLDOUT_MIX = (("search", 45), ("browse", 30), ("video", 5), ("live", 5), ("external", 7),
               ("direct", 8))
CONVERSION = {"exposed": 0.30, "holdout": 0.22}


def _pick(rng: random.Random, mix: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in mix], weights=[w for _, w in mix])[0]


async def seed(stores: Stores, org_id: str, created_by: str = "system",
               progress: Callable[[str], None] = lambda _m: None) -> bool:
    """Once per org: the experiment, its buyers' assignments and their paid orders. The
    regional rows are written first and the experiment last, so a seed that failed midway
    runs again (a region that already has its demo rows is skipped)."""
    rng = random.Random(25)
    async with stores.session() as s:
        if await s.scalar(select(Experiment.id).where(Experiment.org_id == org_id,
                                                      Experiment.name == EXPERIMENT_NAME)):
            return False
        listings = (await s.execute(
            select(Listing.market, Listing.price_minor, Listing.currency, Listing.title,
                   Listing.product_id, Sku.id, Sku.code)
            .join(Sku, Sku.product_id == Listing.product_id)
            .where(Listing.org_id == org_id, Listing.visible.is_(True)))).all()
        houses = dict((await s.execute(select(Warehouse.code, Warehouse.id).where(
            Warehouse.org_id == org_id))).all())
        now = utcnow()
        started = now - timedelta(weeks=WEEKS)
    # the salt and the buyers' ids come from the seeded generator: every install draws the
    # same groups and shows the same history
    exp = Experiment(id=new_id("exp"), org_id=org_id, name=EXPERIMENT_NAME,
                     kind="interest", share_bp=SHARE_BP, salt=f"{rng.getrandbits(128):032x}",
                     status="running", started_at=started, created_by=created_by)
    offers: dict[str, list[Any]] = {}
    for row in listings:
        offers.setdefault(row[0], []).append(row)
    per_region: dict[str, tuple[list[Any], list[Any]]] = {}
    counts = {"orders": 0, "buyers": 0}
    for n in range(BUYERS):
        market, _, house = rng.choices(MARKETS, weights=[w for _, w, _ in MARKETS])[0]
        profile = get_profile(market)
        if profile is None or not offers.get(market) or house not in houses:
            continue
        region = profile.region_store
        buyer = f"cus_demo{rng.getrandbits(80):020x}"
        group = "holdout" if group_of(exp.salt, buyer, SHARE_BP) == HOLDOUT else "exposed"
        seen = started + timedelta(seconds=rng.uniform(0, (now - started).total_seconds()))
        rows, orders = per_region.setdefault(region, ([], []))
        rows.append(ExperimentAssignment(experiment_id=exp.id, subject_id=buyer, group=group,
                                         country=market, assigned_at=seen))
        counts["buyers"] += 1
        if rng.random() >= CONVERSION[group]:
            continue
        for _ in range(rng.choices((1, 2, 3), weights=(75, 20, 5))[0]):
            # within two weeks of their first visit (never in the future)
            at = seen + timedelta(seconds=rng.uniform(
                0, min(14 * 86400, (now - seen).total_seconds())))
            orders.append(_order(rng, n, buyer, region, org_id, market, houses[house],
                                 rng.choice(offers[market]), group, at, now))
            counts["orders"] += 1
    for region, (rows, orders) in per_region.items():
        async with stores.session(region) as r:
            if await r.scalar(select(Order.id).where(
                    Order.idempotency_key.like("demo-history-%")).limit(1)) is not None:
                continue  # written by a seed that stopped before its experiment
            r.add_all(rows)
            for order, events in orders:
                r.add(order)
                r.add_all(events)
            await r.commit()
    async with stores.session() as s:
        s.add_all(_upstream(rng, [o for _, orders in per_region.values() for o, _ in orders],
                            buyers_of={o.id: o.buyer_id for _, orders in per_region.values()
                                       for o, _ in orders}))
        s.add(exp)
        await s.commit()
    progress(f"analytics: {counts['orders']} simulated orders of {counts['buyers']} demo "
             f"buyers over {WEEKS} weeks, attributed by channel; a running interest holdout "
             f"of {SHARE_BP // 100} % ({exp.id}) with its lift report")
    return True


def _order(rng: random.Random, n: int, buyer: str, region: str, org_id: str, market: str,
           warehouse_id: str, offer: Any, group: str, at: datetime, now: datetime
           ) -> tuple[Order, list[OrderEvent]]:
    _, price, currency, title, product_id, sku_id, sku_code = offer
    qty = rng.choices((1, 2), weights=(85, 15))[0]
    shipping = SHIPPING.get(currency, 0)
    channel = _pick(rng, EXPOSED_MIX if group == "exposed" else HOLDOUT_MIX)
    touch: dict[str, Any] = {"channel": channel}
    if channel == "external":
        touch["utm"] = {"utm_source": rng.choice(("newsletter", "instagram", "partner-blog")),
                        "utm_medium": "referral"}
    points = None
    if rng.random() < 0.45:  # these buyers allowed analytics: their path is kept
        pool = EXPOSED_MIX if group == "exposed" else HOLDOUT_MIX
        earlier = [_pick(rng, pool) for _ in range(rng.choice((0, 1, 1, 2, 3)))]
        points = [{"channel": c, "kind": rng.choice(("click", "view")),
                   "at": (at - timedelta(hours=rng.uniform(1, 120))).isoformat()}
                  for c in earlier] + [{"channel": channel, "kind": "click",
                                        "at": at.isoformat()}]
    order_id = new_id("ord")
    delivered = at + timedelta(days=6)
    status = "delivered" if delivered < now else "paid"
    order = Order(
        id=order_id, region=region, org_id=org_id, buyer_id=buyer,
        reservation_id=new_id("res"), source="cart", room_id=None, market=market,
        currency=currency, status=status,
        items=[{"sku_id": sku_id, "sku_code": sku_code, "title": title, "quantity": qty,
                "unit_price_minor": price, "product_id": product_id}],
        subtotal_minor=price * qty, shipping_minor=shipping,
        total_minor=price * qty + shipping, duties_note="Demo history (simulated order)",
        warehouse_id=warehouse_id, delivery_min_days=2, delivery_max_days=8,
        ship_name=f"Demo buyer {n}", ship_street="—", ship_city="—", ship_postal_code="—",
        ship_country=market, idempotency_key=f"demo-history-{n}-{rng.getrandbits(32):08x}",
        channel=channel, touch=touch, touchpoints=points, created_at=at, updated_at=at)
    events = [OrderEvent(region=region, order_id=order_id, from_status=None,
                         to_status="pending_payment", actor_id=buyer, actor_kind="customer",
                         at=at),
              OrderEvent(region=region, order_id=order_id, from_status="pending_payment",
                         to_status="paid", actor_id=buyer, actor_kind="customer",
                         at=at + timedelta(minutes=3))]
    if status == "delivered":
        events.append(OrderEvent(region=region, order_id=order_id, from_status="paid",
                                 to_status="delivered", actor_id="system",
                                 actor_kind="system", at=delivered, reason="demo history"))
    return order, events


def _upstream(rng: random.Random, orders: list[Order], buyers_of: dict[str, str]
              ) -> list[Any]:
    """What came before the orders, for the funnel: anonymous hourly counts of impressions,
    views and clicks of each ordered product in its hour, and the holds (cart lines) —
    the one each order converted, and others left to lapse."""
    counts: dict[tuple[datetime, str, str, str], int] = {}
    holds: list[Any] = []
    for o in orders:
        hour = o.created_at.replace(minute=0, second=0, microsecond=0)
        item = o.items[0]
        for kind, low, high in (("feed.impression", 25, 70), ("product.view", 6, 16),
                                ("feed.click", 2, 6)):
            key = (hour, o.market, str(item["product_id"]), kind)
            counts[key] = counts.get(key, 0) + rng.randint(low, high)
        for lapsed in range(rng.choices((0, 1, 2), weights=(50, 35, 15))[0] + 1):
            holds.append(Reservation(
                id=new_id("res"), org_id=o.org_id, sku_id=item["sku_id"],
                warehouse_id=o.warehouse_id, market=o.market, buyer_id=buyers_of[o.id],
                buyer_region=o.region, quantity=int(item["quantity"]),
                price_minor=int(item["unit_price_minor"]), currency=o.currency,
                status="converted" if lapsed == 0 else "expired", source="cart",
                expires_at=o.created_at + timedelta(minutes=15),
                idempotency_key=f"demo-hold-{rng.getrandbits(48):012x}",
                order_id=o.id if lapsed == 0 else None,
                settled_at=o.created_at + timedelta(minutes=3 if lapsed == 0 else 15),
                created_at=o.created_at - timedelta(minutes=rng.uniform(1, 600))))
    return [EventHour(hour=h, market=m, item_id=i, type=t, count=n)
            for (h, m, i, t), n in counts.items()] + holds
