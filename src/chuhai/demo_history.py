"""Eight weeks of simulated history for the demo seller: a running interest holdout and the
orders of its buyers, each attributed to a channel — so the console's channels chart and
the lift report have something to show on a fresh install.

Everything here is simulated and says so: the buyers are pseudonymous ids with no account
(``Demo buyer``), the orders carry ``demo-history`` keys, and the draw of each buyer's group
is the experiment's own (a hash of the id and its salt), exactly as for real buyers. The
simulation is seeded, so every install shows the same history. Exposed buyers convert more
often than held-out ones (30 % against 22 %), and only exposed buyers arrive through the
feed — the effect the holdout then measures.

Beside it, what the trust figures and a finished stream's report read: parcels arrive in 3
to 10 days against a promise of 8 (a few late), a few are returned and refunded, carriers'
duty invoices are recorded for half of the EU and Japanese orders (a few charged more than
quoted), and a 90-minute launch stream ten days ago, hosted by the demo host, has its
viewers, questions and answers, clicks, drop holds and orders. This part draws from a
generator of its own, so the holdout's history stays what it was.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from chuhai.analytics.experiments import HOLDOUT, group_of
from chuhai.analytics.models import DutyInvoice, EventHour, Experiment, ExperimentAssignment
from chuhai.catalog.models import Listing, Sku
from chuhai.checkout.models import Order, OrderEvent
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.ids import new_id
from chuhai.inventory.models import Drop, Reservation, Warehouse
from chuhai.live.models import Room, RoomEvent, RoomMessage
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
VAT = {"DE": 0.19, "JP": 0.10}  # the import VAT/consumption tax inside the simulated totals
STREAM_TITLES = {"en": "Launch week live: SonicWave ANC1 and Buds 2",
                 "de": "Launch-Woche live: SonicWave ANC1 und Buds 2",
                 "ja": "発売週ライブ:SonicWave ANC1 と Buds 2"}
STREAM_QUESTIONS = (("en", "Does the ANC1 fold flat for travel?"),
                    ("de", "Wie lange hält der Akku mit ANC?"),
                    ("ja", "日本の電源アダプターは付属しますか?"),
                    ("en", "Is the Buds 2 case wireless-charging?"),
                    ("de", "Gibt es die Buds 2 auch in Weiß?"),
                    ("ja", "通話の音質はどうですか?"))


def _pick(rng: random.Random, mix: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in mix], weights=[w for _, w in mix])[0]


async def seed(stores: Stores, org_id: str, created_by: str = "system",
               progress: Callable[[str], None] = lambda _m: None,
               host_id: str | None = None) -> bool:
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
    after = random.Random(26)  # what follows draws from its own generator
    for _, orders in per_region.values():
        for order, events in orders:
            events[:] = _fulfil(after, order, events, now)
    stream = _stream(after, org_id, host_id, now, offers, houses)
    for region, (orders, questions) in stream.regional.items():
        per_region.setdefault(region, ([], []))[1].extend(orders)
        per_region[region][0].extend(questions)
    for region, (rows, orders) in per_region.items():
        async with stores.session(region) as r:
            if await r.scalar(select(Order.id).where(
                    Order.idempotency_key.like("demo-history-%")).limit(1)) is not None:
                continue  # written by a seed that stopped before its experiment
            r.add_all(rows)
            for order, events in orders:
                r.add(order)
                r.add_all(events)
            await r.flush()
            for order, events in orders:  # carriers' invoices, a few days after delivery
                arrived = next((e.at for e in events if e.to_status == "delivered"), None)
                if arrived is not None and arrived + timedelta(days=3) < now:
                    invoice = duty_invoice(after, order, arrived + timedelta(days=3))
                    if invoice is not None:
                        r.add(invoice)
            await r.commit()
    stream_ids = {o.id for orders, _ in stream.regional.values() for o, _ in orders}
    async with stores.session() as s:
        s.add(stream.room)
        await s.flush()  # no relationship orders these inserts: the room first, then its drop
        s.add(stream.drop)
        await s.flush()
        s.add_all(stream.global_rows)
        s.add_all(_upstream(rng, [o for _, orders in per_region.values() for o, _ in orders
                                  if o.id not in stream_ids],
                            buyers_of={o.id: o.buyer_id for _, orders in per_region.values()
                                       for o, _ in orders}))
        s.add(exp)
        await s.commit()
    progress(f"analytics: {counts['orders']} simulated orders of {counts['buyers']} demo "
             f"buyers over {WEEKS} weeks, attributed by channel; a running interest holdout "
             f"of {SHARE_BP // 100} % ({exp.id}) with its lift report")
    progress(f"analytics: a finished 90-minute launch stream ({stream.room.id}) with "
             f"{len(stream_ids)} orders, {stream.questions} questions, peak "
             f"{stream.room.peak_viewers} viewers; deliveries, returns and carriers' duty "
             "invoices for the trust figures")
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
    vat = VAT.get(market, 0.0)
    order = Order(
        id=order_id, region=region, org_id=org_id, buyer_id=buyer,
        reservation_id=new_id("res"), source="cart", room_id=None, market=market,
        currency=currency, status=status,
        items=[{"sku_id": sku_id, "sku_code": sku_code, "title": title, "quantity": qty,
                "unit_price_minor": price, "product_id": product_id}],
        subtotal_minor=price * qty, shipping_minor=shipping,
        total_minor=price * qty + shipping, duties_note="Demo history (simulated order)",
        # the import VAT the delivered price holds (what the buyer was quoted for it)
        tax_minor=round((price * qty + shipping) * vat / (1 + vat)),
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


def _fulfil(rng: random.Random, order: Order, events: list[OrderEvent], now: datetime
            ) -> list[OrderEvent]:
    """Redo a paid order's journey: delivered 3 to 10 days after payment (the promise is
    8), about one in twenty-five returned and refunded. Nothing happens after ``now``."""
    paid_at = events[1].at
    base = [e for e in events if e.to_status in ("pending_payment", "paid")]
    delivered = paid_at + timedelta(days=rng.choices((3, 4, 5, 6, 7, 8, 9, 10),
                                                     weights=(8, 18, 24, 20, 12, 8, 6, 4))[0],
                                    hours=rng.uniform(8, 18))
    if delivered >= now:
        order.status = "paid"
        return base
    region, oid = order.region, order.id
    out = [*base, OrderEvent(region=region, order_id=oid, from_status="paid",
                             to_status="delivered", actor_id="system", actor_kind="system",
                             at=delivered, reason="demo history")]
    order.status = "delivered"
    if rng.random() < 0.04:
        back = delivered + timedelta(days=rng.uniform(4, 12))
        refunded = back + timedelta(hours=rng.choice((5, 20, 30, 50, 70, 110)))
        if refunded < now:
            out += [OrderEvent(region=region, order_id=oid, from_status="delivered",
                               to_status="returned", actor_id="system", actor_kind="system",
                               at=back, reason="demo history"),
                    OrderEvent(region=region, order_id=oid, from_status="returned",
                               to_status="refunded", actor_id="system", actor_kind="system",
                               at=refunded, reason="demo history")]
            order.status = "refunded"
    return out


def duty_invoice(rng: random.Random, order: Order, at: datetime) -> DutyInvoice | None:
    """Half of the delivered orders with import tax get the carrier's invoice recorded a
    few days after delivery; about one in twenty-five was charged more than quoted."""
    if not order.tax_minor or rng.random() >= 0.5:
        return None
    quoted = int(order.duty_minor or 0) + int(order.tax_minor)
    charged = quoted if rng.random() >= 0.04 else round(quoted * 1.12)
    return DutyInvoice(order_id=order.id, region=order.region, org_id=order.org_id,
                       currency=order.currency, duty_minor=0, tax_minor=charged,
                       quoted_minor=quoted, reference=f"DEMO-{rng.getrandbits(24):06x}",
                       source="csv", recorded_by="system", recorded_at=at)


class Stream:
    """A finished live stream: the room, its drop, what is global (answers, hourly counts,
    holds) and, per region, its orders and the questions asked."""

    def __init__(self, room: Room, drop: Drop) -> None:
        self.room, self.drop = room, drop
        self.global_rows: list[Any] = []
        self.regional: dict[str, tuple[list[tuple[Order, list[OrderEvent]]], list[Any]]] = {}
        self.questions = 0


def _stream(rng: random.Random, org_id: str, host_id: str | None, now: datetime,
            offers: dict[str, list[Any]], houses: dict[str, str]) -> Stream:
    start = (now - timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)
    end = start + timedelta(minutes=90)
    room = Room(id=new_id("room"), org_id=org_id, titles=STREAM_TITLES,
                host_ids=[host_id] if host_id else [], markets=["US", "DE", "JP"],
                scheduled_at=start, status="ended", started_at=start, ended_at=end,
                peak_viewers=1240 + rng.randint(0, 120),
                watch_seconds=3100 * rng.randint(480, 620))
    drop = Drop(id=new_id("drop"), org_id=org_id, room_id=room.id, title="Launch drop",
                status="ended", starts_at=start + timedelta(minutes=20),
                ends_at=start + timedelta(minutes=80), settled=True)
    out = Stream(room, drop)
    seq = 0
    for i in range(60):  # questions, about nine in ten answered within minutes
        lang, text = STREAM_QUESTIONS[i % len(STREAM_QUESTIONS)]
        market = {"en": "US", "de": "DE", "ja": "JP"}[lang]
        profile = get_profile(market)
        if profile is None:
            continue
        seq += 2
        asked = start + timedelta(seconds=rng.uniform(60, 85 * 60))
        answered = rng.random() < 0.9
        out.regional.setdefault(profile.region_store, ([], []))[1].append(RoomMessage(
            id=new_id("msg"), region=profile.region_store, room_id=room.id, seq=seq,
            kind="question", author_id=f"cus_demo{rng.getrandbits(80):020x}",
            author_name="Demo buyer", text=text, lang=lang, created_at=asked,
            answered=answered))
        if answered:
            out.global_rows.append(RoomEvent(
                room_id=room.id, seq=seq + 1, type="answer",
                at=asked + timedelta(seconds=rng.choice((12, 25, 40, 55, 80, 110, 170, 290))),
                data={"question": seq, "text": "(answered on stream)"}))
        out.questions += 1
    counts: dict[tuple[datetime, str, str], int] = {}
    for n in range(48):  # orders from the drop, in the stream's markets
        market, _, house = rng.choices(MARKETS, weights=[w for _, w, _ in MARKETS])[0]
        profile = get_profile(market)
        if profile is None or not offers.get(market) or house not in houses:
            continue
        at = start + timedelta(seconds=rng.uniform(20 * 60, 80 * 60))
        buyer = f"cus_demo{rng.getrandbits(80):020x}"
        order, events = _order(rng, 10_000 + n, buyer, profile.region_store, org_id, market,
                               houses[house], rng.choice(offers[market]), "exposed", at, now)
        order.room_id, order.source, order.channel = room.id, "drop", "live"
        order.touch = {"channel": "live", "item_id": room.id}
        events[:] = _fulfil(rng, order, events, now)
        out.regional.setdefault(profile.region_store, ([], []))[0].append((order, events))
        item = order.items[0]
        for lapsed in range(rng.choices((0, 1, 2), weights=(40, 40, 20))[0] + 1):
            out.global_rows.append(Reservation(
                id=new_id("res"), org_id=org_id, drop_id=drop.id, sku_id=item["sku_id"],
                warehouse_id=order.warehouse_id, market=market, buyer_id=buyer,
                buyer_region=order.region, quantity=int(item["quantity"]),
                price_minor=int(item["unit_price_minor"]), currency=order.currency,
                status="converted" if lapsed == 0 else "expired", source="buy",
                expires_at=at + timedelta(minutes=10),
                idempotency_key=f"demo-hold-{rng.getrandbits(48):012x}",
                order_id=order.id if lapsed == 0 else None,
                settled_at=at + timedelta(minutes=2 if lapsed == 0 else 10),
                created_at=at - timedelta(minutes=rng.uniform(0.2, 1.5))))
        key = (at.replace(minute=0, second=0, microsecond=0), market, "product.click")
        counts[key] = counts.get(key, 0) + rng.randint(3, 8)
    for hour in (start, start + timedelta(hours=1)):
        for market, share, _ in MARKETS:
            counts[(hour, market, "room.view")] = int(2600 * share) + rng.randint(0, 90)
    out.global_rows += [EventHour(hour=h, market=m, item_id=room.id, type=t, count=c)
                        for (h, m, t), c in counts.items()]
    return out
