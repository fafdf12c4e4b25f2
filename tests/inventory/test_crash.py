"""Crash: ``kill -9`` the server in the middle of a buying burst, restart it, and nothing is
lost or doubled.

A real ``chuhai serve`` process sells a live drop to a hundred signed-in buyers over HTTP
(reserve → checkout → pay, each with its own idempotency key). Once some orders are paid the
process gets SIGKILL, with requests of every step in flight. After a restart, payment
reconciliation and one sweeper pass, the stores must hold:

* for every drop line: allocated = remaining + held + sold + released, and the stock ledger
  agrees (``stock.check``, the warehouse's allocated and reserved buckets);
* no order without its reservation, no reservation sold without its paid order;
* every charge the payment provider made belongs to a paid order, no paid order lacks one;
* at most one reservation, order and payment per idempotency key.

Then every request is sent again with the same key: those answered before the crash answer
the same; those whose answer the crash swallowed get a definite answer, never a 500, and
never a second reservation; and no charged order is left stuck in ``pending_payment``.

Up to ``CONCURRENCY`` (40) buyers go at once, each with their three requests in turn, so
up to 40 requests are in flight — more than the global store's connection pool holds
(5 + 10 overflow). The kill comes once ``KILL_AFTER_PAID``
orders are paid or after ``KILL_DEADLINE_S``, whichever is first, and the test fails if
nothing was in flight when it landed. Nothing here is an expected failure: the two bugs
this test once pinned as xfail — a charged order stuck when the crash fell between marking
its payment succeeded and marking it paid, and sixteen or more purchase requests at once
deadlocking the pool — are fixed, and the tests assert the fixed behaviour.

Two more tests: fifty buyers reserving at the same moment against a real node all get
201 within the client's 5 s timeout (the pool deadlock's own check); and the payment is
stopped at each point between its commits (after the charge, after converting the
reservation, after marking the payment succeeded — as a kill there would), after which
reconciliation and a retry with the same key complete the order, charged exactly once.

SQLite always, PostgreSQL when ``CHUHAI_TEST_PG_URL`` is set (via ``migrated_settings``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from chuhai.accounts.service import Accounts
from chuhai.checkout import service as checkout
from chuhai.checkout.models import Order, Payment
from chuhai.checkout.payments import SUCCEEDS, TestProvider
from chuhai.checkout.schemas import CheckoutIn, PayIn
from chuhai.core.actor import Actor, ActorKind
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork
from chuhai.core.secrets_store import signing_key
from chuhai.inventory import drops, stock, sweeper
from chuhai.inventory.models import DropBuyer, DropLine, Reservation, StockLevel
from chuhai.inventory.schemas import DropIn, ReserveIn
from tests.factories import Shop, buyer, committed_shop
from tests.live.harness import free_port

UNITS, LIMIT, BUYERS = 60, 2, 100
# Requests in flight at once: more than the global store's pool (5 + 10 overflow), which
# once deadlocked when the caller look-up kept its connection (see the fifty-buyer test).
CONCURRENCY = 40
KILL_AFTER_PAID = 12     # SIGKILL once this many orders are paid (or after KILL_DEADLINE_S)
KILL_DEADLINE_S = 8.0
ADDRESS = {"name": "Ann Buyer", "street": "1 Main St", "city": "Portland",
           "postal_code": "97201", "region": "OR",
           "country": "US"}


# -- fixtures and helpers ---------------------------------------------------------------------


@dataclass
class Install:
    settings: Settings
    stores: Stores
    shop: Shop

    @property
    def testpay(self) -> Path:
        return self.settings.data_dir / "testpay.db"


@pytest.fixture
async def install(migrated_settings: Settings, tmp_path: Path) -> AsyncIterator[Install]:
    """Fresh stores of the backend under test (own data dir, own schemas) that really
    commit, so a separate server process sees what the test seeds, and a seller."""
    async with committed_shop(migrated_settings, tmp_path / "var", UNITS + 40) as (
            settings, stores, shop):
        yield Install(settings, stores, shop)


async def open_drop(inst: Install, units: int) -> tuple[str, str]:
    uow = UnitOfWork(inst.stores)
    actor = inst.shop.tenant.actor
    drop = await drops.create_drop(uow, actor, DropIn.model_validate({
        "title": "Crash burst", "per_buyer_limit": LIMIT,
        "lines": [{"sku_id": inst.shop.sku_id, "market": "US",
                   "warehouse_id": inst.shop.us_west, "quantity": units,
                   "price": "19.00"}]}))
    await drops.start_drop(uow, actor, drop.id, 0, now=utcnow() - timedelta(seconds=1))
    await uow.commit()
    line = (await drops.lines_of(uow.global_, drop.id))[0]
    await uow.close()
    return drop.id, line.id


async def signed_in_buyers(inst: Install, n: int) -> list[dict[str, str]]:
    """``n`` US customers with a cookie session each (rows in the stores, so the server
    process accepts them). No password: hashing a hundred would only cost time."""
    uow = UnitOfWork(inst.stores)
    acc = Accounts(uow, signing_key(inst.settings))
    tag = uuid.uuid4().hex[:8]
    headers = []
    for i in range(n):
        c = await acc.create_customer(f"crash{i}.{tag}@buyers.example", f"Buyer {i}", "US")
        raw, csrf = await acc.open_session(Actor(ActorKind.CUSTOMER, c.id, region=c.region),
                                           timedelta(hours=1))
        headers.append({"Cookie": f"chuhai_session={raw}", "x-csrf-token": csrf})
    await uow.commit()
    await uow.close()
    return headers


class Node:
    """``chuhai serve`` as its own process (the uvicorn server runs in that very process,
    so SIGKILL to its pid is a real crash: no shutdown hook, no rollback, no flush)."""

    def __init__(self, settings: Settings, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHUHAI_")}
        env.update({"CHUHAI_DATA_DIR": str(settings.data_dir),
                    "CHUHAI_SECRET_KEY": settings.secret_key,
                    "CHUHAI_SCHEMA_PREFIX": settings.schema_prefix,
                    "CHUHAI_BACKGROUND": "true"})
        if settings.database_url:
            env["CHUHAI_DATABASE_URL"] = settings.database_url
        self.env = env
        self.log = log
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Node:
        self.port = free_port()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "chuhai.cli", "serve", "--port", str(self.port)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.tail()}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


@dataclass
class Sent:
    """One request of the burst and what became of it."""

    step: str                  # reserve | checkout | pay
    buyer: int
    url: str
    body: dict[str, Any]
    status: int | None = None  # None: no answer
    answer: dict[str, Any] = field(default_factory=dict)
    delivered: bool = True     # False: the connection was refused, the server never saw it

    @property
    def lost(self) -> bool:
        """Sent, but the crash swallowed the answer: it may or may not have happened."""
        return self.delivered and self.status is None

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)

    @property
    def key(self) -> str:
        return str(self.body["idempotency_key"])


async def post(client: httpx.AsyncClient, headers: dict[str, str], sent: Sent) -> Sent:
    try:
        resp = await client.post(sent.url, json=sent.body, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout):
        sent.delivered = False
        return sent
    except httpx.TransportError:
        return sent  # reset, closed mid-answer: lost
    sent.status = resp.status_code
    try:
        sent.answer = dict(resp.json())
    except ValueError:
        sent.answer = {"raw": resp.text[:500]}
    return sent


def charges(path: Path) -> dict[str, str]:
    """What the payment provider itself remembers: payment id → charge status."""
    if not path.exists():
        return {}
    db = sqlite3.connect(path)
    try:
        return {str(pid): str(st) for pid, st in
                db.execute("SELECT payment_id, status FROM charges").fetchall()}
    finally:
        db.close()


# A crash after ``apply_result`` marked the payment succeeded and before it moved the order
# to paid once left the order stuck in pending_payment for good (reconcile skipped it, a
# retry answered the pending order, a new key cancelled it without a refund). Reconcile and
# a same-key retry now finish the move; the tests below assert nothing stays stuck.
STUCK_AFTER_PAYMENT = "a charged order left in pending_payment"


@dataclass
class State:
    reservations: dict[str, Reservation]
    orders: dict[str, Order]
    payments: dict[str, Payment]
    charges: dict[str, str]
    stuck: set[str]  # orders in exactly the STUCK_AFTER_PAYMENT state


async def check_invariants(inst: Install, drop_id: str) -> State:
    """Every invariant of the issue, read straight from the stores and the provider."""
    stores = inst.stores
    async with stores.session() as s:
        lines = await drops.lines_of(s, drop_id)
        reservations = list((await s.scalars(select(Reservation).where(
            Reservation.drop_id == drop_id))).all())
        counted = {b: q for b, q in (await s.execute(select(
            DropBuyer.buyer_id, DropBuyer.quantity).where(DropBuyer.drop_id == drop_id))).all()}
        _, mismatches = await stock.check(s)
        level = await s.scalar(select(StockLevel).where(
            StockLevel.sku_id == inst.shop.sku_id,
            StockLevel.warehouse_id == inst.shop.us_west))
    orders: dict[str, Order] = {}
    payments: dict[str, Payment] = {}
    for region in stores.regions:
        async with stores.session(region) as r:
            orders |= {o.id: o for o in (await r.scalars(select(Order))).all()}
            payments |= {p.id: p for p in (await r.scalars(select(Payment))).all()}
    made = charges(inst.testpay)
    by_id = {r.id: r for r in reservations}
    paid_for = defaultdict(list)  # order id → its succeeded payments
    for p in payments.values():
        if p.status == "succeeded":
            paid_for[p.order_id].append(p)
    stuck = {o.id for o in orders.values() if o.status == "pending_payment"
             and by_id[o.reservation_id].status == "converted"
             and by_id[o.reservation_id].order_id == o.id
             and [made.get(p.id) for p in paid_for[o.id]] == ["succeeded"]}
    state = State(by_id, orders, payments, made, stuck)

    # Allocated = available + reserved (held) + sold (+ released after the drop) per line.
    assert mismatches == [], f"stock levels disagree with the ledger: {mismatches}"
    assert level is not None
    for line in lines:
        mine = [r for r in reservations if r.line_id == line.id]
        held = sum(r.quantity for r in mine if r.status == "held")
        sold = sum(r.quantity for r in mine if r.status == "converted")
        assert line.remaining >= 0
        assert line.quantity == line.remaining + held + line.sold + line.released, (
            line.quantity, line.remaining, held, line.sold, line.released)
        assert line.sold == sold, "the line's sold count equals its converted reservations"
    assert level.allocated == sum(ln.quantity - ln.sold - ln.released for ln in lines), \
        "the warehouse's allocated bucket is what the drop still holds (remaining + held)"
    assert level.reserved == sum(ln.sold for ln in lines), "sold units are reserved for orders"

    # One reservation per buyer and key (each buyer used one reserve key), limit counters.
    per_key = Counter((r.buyer_id, r.idempotency_key) for r in reservations)
    assert max(per_key.values(), default=0) <= 1, "a key made two reservations"
    assert max(Counter(r.buyer_id for r in reservations).values(), default=0) <= 1
    holding: dict[str, int] = defaultdict(int)
    for r in reservations:
        if r.status in ("held", "converted"):
            holding[r.buyer_id] += r.quantity
    assert {b: q for b, q in counted.items() if q} == dict(holding), "limit counters drifted"

    # No order without its reservation; no sold reservation without its paid order.
    assert len({o.reservation_id for o in orders.values()}) == len(orders)
    assert max(Counter(o.buyer_id for o in orders.values()).values(), default=0) <= 1
    for o in orders.values():
        res = by_id.get(o.reservation_id)
        assert res is not None, f"order {o.id} ({o.status}) has no reservation"
        assert res.buyer_id == o.buyer_id
        assert sum(i["quantity"] for i in o.items) == res.quantity
        if o.id in stuck:
            continue
        if o.status == "paid":
            assert (res.status, res.order_id) == ("converted", o.id), (o.id, res.status)
        else:
            assert o.status == "pending_payment", (o.id, o.status)  # nothing expired
            assert res.status == "held", (
                f"order {o.id} is pending_payment but its reservation is {res.status}")
    for r in reservations:
        if r.status == "converted" and r.order_id not in stuck:
            o = orders.get(r.order_id or "")
            assert o is not None and o.status == "paid", (
                f"reservation {r.id} was sold to order {r.order_id} which is "
                f"{o.status if o else 'missing'}")

    # Money: every charge is a paid order, every paid order exactly one charge; nothing is
    # left half-way once reconciled.
    for pid, status in made.items():
        p = payments.get(pid)
        assert p is not None, f"charge {pid} has no payment record"
        o = orders[p.order_id]
        if status == "succeeded":
            assert p.status == "succeeded", (pid, p.status)
            assert o.status == "paid" or o.id in stuck, (
                f"charge {pid} succeeded but order {o.id} is {o.status}: a paid order lost")
        else:
            assert status == "failed" and p.status == "failed", (pid, status, p.status)
    for p in payments.values():
        assert p.status in ("succeeded", "failed"), (
            f"payment {p.id} left {p.status} after reconciliation")
        if p.status == "succeeded":
            assert made.get(p.id) == "succeeded", f"payment {p.id} succeeded without a charge"
        else:
            assert made.get(p.id) in (None, "failed"), (p.id, made.get(p.id))
    for o in orders.values():
        assert len(paid_for[o.id]) == (1 if o.status == "paid" or o.id in stuck else 0), \
            (o.id, o.status, len(paid_for[o.id]))
        keys = [p.idempotency_key for p in payments.values() if p.order_id == o.id]
        assert len(set(keys)) == len(keys) <= 1, "one pay key per order: one payment"
    return state


async def settle(inst: Install) -> None:
    """What the restarted node's loops would do, now: reconcile every open payment (the
    server only touches those 30 s old) and sweep once (nothing has expired yet)."""
    provider = TestProvider(inst.testpay)
    try:
        await checkout.reconcile(inst.stores, provider, older_than=timedelta(0))
    finally:
        provider.close()
    await sweeper.sweep(inst.stores)


# -- the crash --------------------------------------------------------------------------------


async def burst(node: Node, buyers: list[dict[str, str]], drop_id: str, line_id: str
                ) -> list[Sent]:
    """Every buyer reserves, checks out and pays; SIGKILL lands mid-way."""
    log: list[Sent] = []
    paid = 0
    enough = asyncio.Event()
    killed = asyncio.Event()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(client: httpx.AsyncClient, i: int) -> None:
        nonlocal paid
        async with gate:
            if killed.is_set():
                return
            h, k = buyers[i], f"crash-{i:03d}"
            step = Sent("reserve", i, f"/api/drops/{drop_id}/reserve", {
                "line_id": line_id, "quantity": 1 + (i % 3 == 0), "idempotency_key": f"{k}-r"})
            log.append(step)
            if not (await post(client, h, step)).ok:
                return
            step = Sent("checkout", i, "/api/checkout", {
                "reservation_id": step.answer["id"], "ship_to": ADDRESS,
                "idempotency_key": f"{k}-c"})
            log.append(step)
            if not (await post(client, h, step)).ok:
                return
            step = Sent("pay", i, f"/api/orders/{step.answer['id']}/pay", {
                "card_number": SUCCEEDS, "idempotency_key": f"{k}-p"})
            log.append(step)
            if (await post(client, h, step)).ok:
                paid += 1
                if paid >= KILL_AFTER_PAID:
                    enough.set()

    async def killer() -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(enough.wait(), KILL_DEADLINE_S)
        killed.set()
        node.kill9()

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=node.base, timeout=20, limits=limits) as client:
        await asyncio.wait_for(asyncio.gather(killer(), *(one(client, i)
                                                          for i in range(len(buyers)))), 60)
    return log


async def resend(base: str, buyers: list[dict[str, str]], log: list[Sent]) -> list[Sent]:
    """Every request that reached the first server, again, with the same key."""
    again = [Sent(s.step, s.buyer, s.url, s.body) for s in log if s.delivered]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(client: httpx.AsyncClient, s: Sent) -> None:
        async with gate:
            await post(client, buyers[s.buyer], s)

    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        await asyncio.wait_for(asyncio.gather(*(one(client, s) for s in again)), 60)
    return again


async def test_kill_9_mid_burst_then_restart_loses_and_doubles_nothing(
        install: Install, tmp_path: Path) -> None:
    inst = install
    drop_id, line_id = await open_drop(inst, UNITS)
    buyers = await signed_in_buyers(inst, BUYERS)
    node = Node(inst.settings, tmp_path / "server.log")
    try:
        node.start()
        log = await burst(node, buyers, drop_id, line_id)
        first_log = node.tail()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{node.base}/healthz", timeout=1)

        answered = [s for s in log if s.status is not None]
        assert not [s for s in answered if s.status >= 500], (
            [(s.step, s.status, s.answer) for s in answered if s.status >= 500], first_log)
        assert {s.answer.get("code") for s in answered if not s.ok} <= {"sold_out"}, (
            Counter((s.step, s.status, s.answer.get("code")) for s in answered if not s.ok))
        paid_before = [s for s in log if s.step == "pay" and s.ok]
        lost = [s for s in log if s.lost]
        assert len(paid_before) >= KILL_AFTER_PAID or lost, "the burst finished before the kill"
        assert lost, "the kill landed between requests: nothing was in flight"
        print(f"\nbefore the kill: {Counter((s.step, s.status) for s in log)}; "
              f"lost in flight: {Counter(s.step for s in lost)}")

        node.start()  # the same install, a new process
        await settle(inst)
        before = await check_invariants(inst, drop_id)
        for s in paid_before:  # what a buyer was told is paid stayed paid
            assert before.orders[s.answer["id"]].status == "paid"

        again = await resend(node.base, buyers, log)
        for old, new in zip([s for s in log if s.delivered], again, strict=True):
            where = (old.step, old.buyer, old.status, old.answer, new.status, new.answer)
            assert new.status is not None and new.status < 500, where
            if old.ok:  # answered before the crash: the same answer now
                assert new.status == old.status, where
                assert new.answer["id"] == old.answer["id"], where
                if old.step == "reserve":
                    assert new.answer["quantity"] == old.answer["quantity"], where
                elif old.step == "checkout":
                    assert new.answer["reservation_id"] == old.answer["reservation_id"]
                    assert new.answer["total"] == old.answer["total"], where
                else:
                    assert new.answer["status"] == old.answer["status"] == "paid", where
                    assert [p["id"] for p in new.answer["payments"]] == \
                        [p["id"] for p in old.answer["payments"]], where
            elif old.status is not None:  # refused before the crash: refused the same way
                assert (new.status, new.answer.get("code")) == \
                    (old.status, old.answer.get("code")), where
            elif old.step == "reserve":  # lost: what happened, or it happens now
                assert new.status in (201, 409), where
                if new.status == 201:
                    had = next((r for r in before.reservations.values()
                                if r.idempotency_key == old.key), None)
                    assert had is None or had.id == new.answer["id"], (
                        "the retry made a second reservation", where)
                else:
                    assert new.answer["code"] == "sold_out", where
            elif old.step == "checkout":
                assert new.status == 201, where
                assert new.answer["reservation_id"] == old.body["reservation_id"], where
                had = next((o for o in before.orders.values()
                            if o.reservation_id == old.body["reservation_id"]), None)
                assert had is None or had.id == new.answer["id"], "a second order"
            else:  # a lost payment: settled by reconciliation, or paid now
                assert new.status == 200, where
                order_id = old.url.split("/")[3]
                had = next((p for p in before.payments.values()
                            if p.order_id == order_id and p.idempotency_key == old.key), None)
                mine = list(new.answer["payments"])
                if order_id in before.stuck:  # charged but not yet paid: the retry finishes it
                    assert had is not None and [p["id"] for p in mine] == [had.id], where
                    assert new.answer["status"] == "paid", where
                elif had is not None:  # the crash came after the payment was recorded
                    assert [p["id"] for p in mine] == [had.id], where
                    assert mine[0]["status"] == had.status, where
                    if had.status == "failed":  # never reached the provider
                        assert had.decline_code == "not_submitted"
                        assert new.answer["status"] == "pending_payment", where
                    else:
                        assert new.answer["status"] == "paid", where
                else:
                    assert new.answer["status"] == "paid", where
                    assert len(mine) == 1 and mine[0]["status"] == "succeeded", where

        await settle(inst)
        after = await check_invariants(inst, drop_id)
        # Retried lost reservations may have taken units only if none was made before.
        new_res = set(after.reservations) - set(before.reservations)
        lost_keys = {s.key for s in lost if s.step == "reserve"}
        assert {after.reservations[r].idempotency_key for r in new_res} <= lost_keys
        assert set(before.reservations) <= set(after.reservations)
        for oid, o in before.orders.items():
            if o.status == "paid":
                assert after.orders[oid].status == "paid"
        assert after.stuck == before.stuck
        print(f"after the restart: {len(after.orders)} orders, "
              f"{Counter(o.status for o in after.orders.values())}, "
              f"charges {Counter(after.charges.values())}, stuck {sorted(after.stuck)}")
    finally:
        node.stop()
    assert not after.stuck, f"charged orders stuck in pending_payment: {sorted(after.stuck)}"


async def test_a_burst_of_fifty_buyers_over_http_is_answered_at_once(
        install: Install, tmp_path: Path) -> None:
    """The burst the crash test would like to run: fifty buyers reserving at the same
    moment against a real node each get 201 or 409 within seconds."""
    inst = install
    drop_id, line_id = await open_drop(inst, UNITS)
    buyers = await signed_in_buyers(inst, 50)
    node = Node(inst.settings, tmp_path / "server.log")
    try:
        node.start()
        async with httpx.AsyncClient(base_url=node.base, timeout=5,
                                     limits=httpx.Limits(max_connections=50)) as client:
            sent = [Sent("reserve", i, f"/api/drops/{drop_id}/reserve", {
                "line_id": line_id, "quantity": 1, "idempotency_key": f"fifty-{i:03d}"})
                for i in range(50)]
            await asyncio.gather(*(post(client, buyers[s.buyer], s) for s in sent))
        assert Counter(s.status for s in sent) == {201: 50}, (
            Counter(s.status for s in sent), node.tail(1500))
    finally:
        if node.proc is not None and node.proc.poll() is None:
            node.kill9()  # a deadlocked node would take its time to shut down


# -- a crash at each point between the payment's commits ---------------------------------------


class Crash(BaseException):
    """The process dies here: nothing after this point runs, no handler sees it."""


def _crash_once(target: Any, name: str) -> Any:
    real = getattr(target, name)
    fired = False

    async def dying(*args: Any, **kwargs: Any) -> Any:
        nonlocal fired
        if not fired:
            fired = True
            if name == "charge":  # the provider charged the card; the answer never came back
                await real(*args, **kwargs)
            raise Crash(name)
        return await real(*args, **kwargs)

    return dying


CRASH_POINTS = [
    # the card was charged, nothing of ours was updated yet
    pytest.param("charge", id="after-the-charge"),
    # the reservation was converted (global store), the payment not yet marked
    pytest.param("_set_payment", id="after-converting-the-reservation"),
    # the payment is marked succeeded (regional store), the order not yet paid
    pytest.param("_move", id="after-marking-the-payment-succeeded"),
]


@pytest.mark.parametrize("point", CRASH_POINTS)
async def test_reconciliation_completes_a_payment_killed_between_its_commits(
        install: Install, monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    inst = install
    drop_id, line_id = await open_drop(inst, 5)
    who = buyer(f"crash-{uuid.uuid4().hex[:6]}")
    res = await drops.reserve(inst.stores, who, drop_id, ReserveIn(
        line_id=line_id, quantity=2, idempotency_key="k-reserve"))
    order = await checkout.checkout(inst.stores, who, CheckoutIn.model_validate({
        "reservation_id": res.id, "ship_to": ADDRESS, "idempotency_key": "k-checkout"}))
    provider = TestProvider(inst.testpay)
    try:
        if point == "charge":
            monkeypatch.setattr(provider, "charge", _crash_once(provider, "charge"))
        else:
            monkeypatch.setattr(checkout, point, _crash_once(checkout, point))
        pay = PayIn(card_number=SUCCEEDS, idempotency_key="key-pay-0001")
        with pytest.raises(Crash):
            await checkout.pay(inst.stores, provider, who, order.id, pay)
        monkeypatch.undo()
        assert list(charges(inst.testpay).values()) == ["succeeded"], "the card was charged"

        # The node comes back: reconciliation, a sweep, and the buyer retries the same key.
        await settle(inst)
        again, payment = await checkout.pay(inst.stores, provider, who, order.id, pay)
        assert again.status == "paid" and payment.status == "succeeded"
        state = await check_invariants(inst, drop_id)
        assert state.orders[order.id].status == "paid"
        assert list(state.charges.values()) == ["succeeded"], "charged exactly once"
        async with inst.stores.session() as s:
            line = await s.scalar(select(DropLine).where(DropLine.id == line_id))
        assert line is not None and (line.sold, line.remaining) == (2, 3)
    finally:
        provider.close()
