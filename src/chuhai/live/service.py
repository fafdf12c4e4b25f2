"""Room use cases: create and run rooms, and persist what happens in them.

Non-personal events go to the global ``room_events``; chat lines and questions go to the
author's regional store. Writes happen after the bus assigned a sequence number, so the
stored seq equals the one viewers saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from chuhai.accounts.models import Org, Subject
from chuhai.catalog.models import Product
from chuhai.core.actor import Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import Conflict, InvalidInput, NotFound
from chuhai.core.ids import new_id
from chuhai.core.money import Money
from chuhai.crossborder.loader import rulebook
from chuhai.inventory import stock
from chuhai.live.models import Follow, Room, RoomEvent, RoomMessage, RoomSanction, RoomSlot
from chuhai.live.schemas import RoomIn, RoomOut, RoomPatch, SlotOut
from chuhai.live.state import RoomState
from chuhai.markets.profiles import get_profile
from chuhai.shop import catalog as shop_catalog
from chuhai.shop import pricing

PERSONAL_EVENTS = frozenset({"chat", "question"})


async def _room_for(uow: UnitOfWork, actor: Actor, room_id: str, perm: Perm) -> Room:
    actor.require(perm)
    room = await uow.global_.scalar(select(Room).where(Room.id == room_id,
                                                       Room.org_id == actor.org()))
    if room is None:
        raise NotFound("room", room_id, code="room_not_found")
    return room


async def create_room(uow: UnitOfWork, actor: Actor, data: RoomIn) -> Room:
    actor.require(Perm.LIVE_HOST)
    org_id = actor.org()
    await _check_hosts(uow, org_id, data.host_ids)
    products = await _check_products(uow, org_id, [s.product_id for s in data.run_of_show])
    room = Room(id=new_id("room"), org_id=org_id, titles=dict(data.titles),
                host_ids=list(dict.fromkeys(data.host_ids)) or [actor.subject_id],
                markets=data.markets,
                scheduled_at=data.scheduled_at, playback_url=data.playback_url,
                disclosure=data.disclosure,
                planned_minutes=data.planned_minutes or sum(
                    s.planned_minutes for s in data.run_of_show) or None)
    uow.global_.add(room)
    await uow.global_.flush()
    for i, slot in enumerate(data.run_of_show):
        uow.global_.add(RoomSlot(id=new_id("slot"), room_id=room.id, position=i,
                                 product_id=products[slot.product_id].id,
                                 planned_minutes=slot.planned_minutes))
    await uow.global_.flush()
    return room


async def _check_hosts(uow: UnitOfWork, org_id: str, host_ids: Sequence[str]) -> None:
    if not host_ids:
        return
    found = set((await uow.global_.scalars(select(Subject.id).where(
        Subject.id.in_(host_ids), Subject.org_id == org_id, Subject.kind == "staff"))).all())
    missing = [h for h in host_ids if h not in found]
    if missing:
        raise InvalidInput(f"not staff of this org: {', '.join(missing)}", code="unknown_host")


async def _check_products(uow: UnitOfWork, org_id: str, ids: Sequence[str]
                          ) -> dict[str, Product]:
    if not ids:
        return {}
    rows = (await uow.global_.scalars(select(Product).where(
        Product.id.in_(ids), Product.org_id == org_id))).all()
    found = {p.id: p for p in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(f"unknown product(s): {', '.join(missing)}", code="unknown_product")
    return found


async def list_rooms(uow: UnitOfWork, actor: Actor) -> Sequence[Room]:
    actor.require(Perm.CATALOG_READ)
    return (await uow.global_.scalars(select(Room).where(Room.org_id == actor.org())
                                      .order_by(Room.scheduled_at.desc()))).all()


async def get_room(uow: UnitOfWork, actor: Actor, room_id: str) -> Room:
    return await _room_for(uow, actor, room_id, Perm.CATALOG_READ)


async def public_room(uow: UnitOfWork, room_id: str) -> Room:
    room = await uow.global_.get(Room, room_id[:40])
    if room is None:
        raise NotFound("room", room_id[:40], code="room_not_found")
    return room


async def update_room(uow: UnitOfWork, actor: Actor, room_id: str, patch: RoomPatch) -> Room:
    room = await _room_for(uow, actor, room_id, Perm.LIVE_HOST)
    for key, value in patch.model_dump(exclude_unset=True).items():
        if value is None and key not in ("playback_url", "recording_url", "disclosure",
                                         "planned_minutes"):
            raise InvalidInput(f"{key} cannot be null")
        setattr(room, key, value)
    await uow.global_.flush()
    return room


async def set_status(uow: UnitOfWork, actor: Actor, room_id: str, status: str) -> Room:
    room = await _room_for(uow, actor, room_id, Perm.LIVE_HOST)
    allowed = {"live": {"scheduled"}, "ended": {"live", "scheduled"}}
    if room.status not in allowed.get(status, set()):
        raise Conflict(f"a {room.status} room cannot become {status}",
                       code="invalid_transition")
    room.status = status
    if status == "live":
        room.started_at = utcnow()
    else:
        room.ended_at = utcnow()
        if room.playback_url and room.playback_url.endswith(".m3u8"):
            room.recording_url = room.recording_url or room.playback_url
    await uow.global_.flush()
    return room


async def slots(uow: UnitOfWork, room_id: str) -> list[RoomSlot]:
    return list((await uow.global_.scalars(select(RoomSlot).where(RoomSlot.room_id == room_id)
                                           .order_by(RoomSlot.position))).all())


async def room_out(uow: UnitOfWork, room: Room) -> RoomOut:
    return RoomOut(
        id=room.id, titles=room.titles, host_ids=room.host_ids, markets=room.markets,
        scheduled_at=room.scheduled_at, status=room.status, playback_url=room.playback_url,
        recording_url=room.recording_url, disclosure=room.disclosure,
        started_at=room.started_at, ended_at=room.ended_at,
        planned_minutes=room.planned_minutes,
        run_of_show=[SlotOut(product_id=s.product_id, planned_minutes=s.planned_minutes,
                             position=s.position) for s in await slots(uow, room.id)],
        viewer_url=f"/live/{room.id}", host_url=f"/console/rooms/{room.id}/host")


async def product_card(uow: UnitOfWork, room: Room, product_id: str) -> dict[str, Any]:
    """What a viewer's pinned card shows: per market, the title and the delivered price
    there (goods, delivery by the default lane, duty, taxes, fees — the same number the
    product page and the cart show), and the SKUs its Buy button can put in a cart."""
    s = uow.global_
    product = await s.scalar(select(Product).where(
        Product.id == product_id, Product.org_id == room.org_id))
    if product is None:
        raise NotFound("product", product_id, code="product_not_found")
    org = await s.scalar(select(Org).where(Org.id == room.org_id))
    registrations = frozenset((org.registrations if org else None) or ())
    houses = await shop_catalog.warehouses(s, room.org_id)
    sku_ids = [k.id for k in product.skus]
    avail = await stock.available_map(s, room.org_id, sku_ids)
    rules = rulebook(uow.stores.settings.data_dir)
    listings = {}
    for li in product.listings:
        if not li.visible:
            continue
        profile = get_profile(li.market)
        money = Money.from_minor(li.price_minor, li.currency)
        locale = profile.default_locale if profile else "en_US"
        delivery, wh_id = shop_catalog.default_delivery(li.market, sku_ids, houses, avail)
        shown = pricing.price(rules, li.market, utcnow().date(), [shop_catalog.goods_of(
            product, product.skus[0] if product.skus else None, li)], delivery, registrations)
        listings[li.market] = {
            "title": li.title, "lang": li.language, "currency": li.currency,
            "price": str(money.amount), "price_display": money.format(locale),
            "landed": str(Money.from_minor(shown.total_minor, li.currency).amount),
            "landed_display": shown.display(locale), "landed_label": shown.label(li.language),
            "restricted": shown.restricted, "deliverable": shown.deliverable,
            "skus": [{"id": k.id, "code": k.code, "attributes": dict(k.attributes or {}),
                      "in_stock": bool(wh_id) and avail.get((k.id, wh_id or ""), 0) > 0}
                     for k in product.skus]}
    return {"product_id": product.id, "code": product.code, "title": product.title,
            "shop": org.slug if org else "",
            "image": product.images[0] if product.images else None, "listings": listings}


# -- persistence of events -------------------------------------------------------------


async def record_event(uow: UnitOfWork, room_id: str, ev: dict[str, Any]) -> None:
    """Store a sequenced event: personal ones regionally, the rest globally."""
    at = datetime.fromtimestamp(ev["ts"], tz=utcnow().tzinfo)
    data = ev["data"]
    if ev["type"] in PERSONAL_EVENTS:
        region = data["region"]
        uow.region(region).add(RoomMessage(
            id=new_id("msg"), region=region, room_id=room_id, seq=ev["seq"], kind=ev["type"],
            author_id=data["author_id"], author_name=data["author"], text=data["text"],
            lang=data.get("lang"), created_at=at))
        return
    if ev["type"] == "chat.translation":
        return  # joins its line through record_translations (live/translation_log.py)
    uow.global_.add(RoomEvent(room_id=room_id, seq=ev["seq"], type=ev["type"], at=at,
                              data=data))
    if ev["type"] == "chat.deleted" and data.get("region"):
        await uow.region(data["region"]).execute(
            update(RoomMessage).where(RoomMessage.room_id == room_id,
                                      RoomMessage.seq == data["seq"]).values(deleted=True))
    if ev["type"] in ("question.answered", "answer") and data.get("region"):
        await uow.region(data["region"]).execute(
            update(RoomMessage).where(RoomMessage.room_id == room_id,
                                      RoomMessage.seq == data["question"]).values(answered=True))


async def last_seq(uow: UnitOfWork, room_id: str) -> int:
    """The highest sequence number stored for a room, in the global events and in every
    region's chat lines: a bus that forgot the room (a restart without Redis, a Redis that
    lost its data) must continue from here, or new events collide with stored ones."""
    top = await uow.global_.scalar(
        select(func.max(RoomEvent.seq)).where(RoomEvent.room_id == room_id)) or 0
    for region in uow.stores.regions:
        top = max(top, await uow.region(region).scalar(
            select(func.max(RoomMessage.seq)).where(RoomMessage.room_id == room_id)) or 0)
    return int(top)


async def record_translations(uow: UnitOfWork, region: str,
                              lines: dict[tuple[str, int], dict[str, str]]) -> None:
    """Add translations to their lines, in the author's region (a translation is the
    author's words too): one select for every line of a room, then one flush."""
    session = uow.region(region)
    by_room: dict[str, dict[int, dict[str, str]]] = {}
    for (room_id, seq), texts in lines.items():
        by_room.setdefault(room_id, {})[seq] = texts
    for room_id, seqs in by_room.items():
        for msg in (await session.scalars(select(RoomMessage).where(
                RoomMessage.room_id == room_id, RoomMessage.seq.in_(list(seqs))))).all():
            msg.translations = {**(msg.translations or {}), **seqs[msg.seq]}


async def save_state(uow: UnitOfWork, room_id: str, state: RoomState) -> None:
    await uow.global_.execute(update(Room).where(Room.id == room_id).values(
        pinned=state.pinned, poll=state.poll, answer=state.answer,
        slow_mode_s=state.slow_mode_s, followers_only=state.followers_only))


async def add_sanction(uow: UnitOfWork, room_id: str, subject_id: str, kind: str,
                       minutes: int | None, by: str) -> datetime | None:
    until = utcnow() + timedelta(minutes=minutes) if minutes else None
    uow.global_.add(RoomSanction(id=new_id("snc"), room_id=room_id, subject_id=subject_id,
                                 kind=kind, until=until, by_subject=by))
    await uow.global_.flush()
    return until


async def load_state(uow: UnitOfWork, room: Room) -> RoomState:
    state = RoomState(room.id, status=room.status, pinned=list(room.pinned or []),
                      poll=room.poll, answer=room.answer, slow_mode_s=room.slow_mode_s,
                      followers_only=room.followers_only)
    now = utcnow()
    for s in (await uow.global_.scalars(select(RoomSanction).where(
            RoomSanction.room_id == room.id))).all():
        if s.kind == "ban":
            state.banned.add(s.subject_id)
        elif s.until and s.until > now:
            state.muted[s.subject_id] = s.until.timestamp()
    return state


async def follows(uow: UnitOfWork, customer_id: str, region: str, org_id: str) -> bool:
    return bool(await uow.region(region).scalar(select(Follow.id).where(
        Follow.customer_id == customer_id, Follow.org_id == org_id)))


async def follow(uow: UnitOfWork, actor: Actor, org_id: str, on: bool) -> bool:
    if actor.region is None or actor.kind.value != "customer":
        raise InvalidInput("only signed-in customers follow sellers", code="customers_only")
    session = uow.region(actor.region)
    existing = await session.scalar(select(Follow).where(
        Follow.customer_id == actor.subject_id, Follow.org_id == org_id))
    if on and existing is None:
        session.add(Follow(id=new_id("fol"), region=actor.region,
                           customer_id=actor.subject_id, org_id=org_id))
    elif not on and existing is not None:
        await session.delete(existing)
    await session.flush()
    return on


async def replay(uow: UnitOfWork, room: Room, regions: Sequence[str]) -> tuple[
        list[dict[str, Any]], list[dict[str, Any]]]:
    """Chapters from the pin timeline and the chat, merged across regional stores."""
    start = room.started_at or room.scheduled_at
    events = (await uow.global_.scalars(select(RoomEvent).where(
        RoomEvent.room_id == room.id, RoomEvent.type == "pin").order_by(RoomEvent.seq))).all()
    chapters = [{"t": max(0.0, (e.at - start).total_seconds()), "seq": e.seq,
                 "product_id": e.data.get("product_id"), "title": e.data.get("title"),
                 "listings": e.data.get("listings", {})} for e in events]
    chat: list[dict[str, Any]] = []
    for region in regions:
        rows = (await uow.region(region).scalars(select(RoomMessage).where(
            RoomMessage.room_id == room.id, RoomMessage.deleted.is_(False)))).all()
        chat += [{"t": max(0.0, (m.created_at - start).total_seconds()), "seq": m.seq,
                  "kind": m.kind, "author": m.author_name, "text": m.text, "lang": m.lang}
                 for m in rows]
    chat.sort(key=lambda m: m["seq"])
    return chapters, chat
