"""The payment provider interface, and the built-in test provider the demo uses.

A provider charges a card (or a provider-side payment method) for one payment of ours,
keyed by our payment id so a retried call never charges twice. The answer is one of three:
it succeeded, it failed (with a decline code the buyer can act on), or the bank wants the
buyer to authenticate (3-D Secure) at a URL first, after which ``retrieve`` tells the result.

The test provider is a stand-in payment service with its own durable ledger (an SQLite file
beside the app's data), so a crash of the app does not make it forget a charge — which is
what lets the crash test prove that no paid order is lost.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REQUIRES_ACTION = "requires_action"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    provider_ref: str
    decline_code: str | None = None
    action_url: str | None = None


class PaymentProvider(Protocol):
    name: str

    async def charge(self, payment_id: str, amount_minor: int, currency: str,
                     method: str, return_url: str) -> ChargeResult: ...

    async def retrieve(self, payment_id: str) -> ChargeResult | None: ...

    async def refund(self, payment_id: str) -> ChargeResult: ...


# Card numbers as buyers know them from Stripe's test mode.
SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
NEEDS_3DS = "4000002760003184"
TEST_CARDS = {
    SUCCEEDS: "succeeds",
    DECLINED: "declined (card_declined)",
    INSUFFICIENT_FUNDS: "declined (insufficient_funds)",
    NEEDS_3DS: "asks for 3-D Secure, then succeeds if approved",
}


def _digits(method: str) -> str:
    return "".join(ch for ch in method if ch.isdigit())


class TestProvider:
    """Deterministic by card number; remembers every charge in ``path``."""

    __test__ = False  # not a pytest class
    name = "test"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS charges (payment_id TEXT PRIMARY KEY, "
                         "amount INTEGER, currency TEXT, status TEXT, decline TEXT)")
        self._lock = threading.Lock()

    def _run(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    async def charge(self, payment_id: str, amount_minor: int, currency: str,
                     method: str, return_url: str) -> ChargeResult:
        known = await self.retrieve(payment_id)
        if known is not None:
            return known  # the same payment twice: the first answer, never a second charge
        card = _digits(method)
        status, decline = ChargeStatus.SUCCEEDED, None
        if card == DECLINED:
            status, decline = ChargeStatus.FAILED, "card_declined"
        elif card == INSUFFICIENT_FUNDS:
            status, decline = ChargeStatus.FAILED, "insufficient_funds"
        elif card == NEEDS_3DS:
            status = ChargeStatus.REQUIRES_ACTION
        elif len(card) < 12 or not _luhn(card):
            status, decline = ChargeStatus.FAILED, "invalid_number"
        await asyncio.to_thread(self._run, "INSERT OR IGNORE INTO charges VALUES (?,?,?,?,?)",
                                (payment_id, amount_minor, currency, str(status), decline))
        return self._result(payment_id, str(status), decline)

    def _result(self, payment_id: str, status: str, decline: str | None) -> ChargeResult:
        # The test bank's page sends the buyer on to their order when they have answered,
        # so ``return_url`` (which a real provider redirects to) is not needed here.
        url = f"/pay/3ds/{payment_id}" if status == "requires_action" else None
        return ChargeResult(ChargeStatus(status), f"test_{payment_id}", decline, url)

    async def authenticate(self, payment_id: str, approve: bool) -> ChargeResult:
        """The buyer's answer on the 3-D Secure page."""
        new = "succeeded" if approve else "failed"
        await asyncio.to_thread(
            self._run, "UPDATE charges SET status=?, decline=? WHERE payment_id=? "
            "AND status='requires_action'",
            (new, None if approve else "authentication_failed", payment_id))
        found = await self.retrieve(payment_id)
        if found is None:
            return ChargeResult(ChargeStatus.FAILED, "", "unknown_payment")
        return found

    async def retrieve(self, payment_id: str) -> ChargeResult | None:
        rows = await asyncio.to_thread(
            self._run, "SELECT status, decline FROM charges WHERE payment_id=?", (payment_id,))
        if not rows:
            return None
        status, decline = rows[0]
        return self._result(payment_id, str(status), decline if decline else None)  # type: ignore[arg-type]

    async def refund(self, payment_id: str) -> ChargeResult:
        await asyncio.to_thread(
            self._run, "UPDATE charges SET status='refunded' WHERE payment_id=? "
            "AND status='succeeded'", (payment_id,))
        found = await self.retrieve(payment_id)
        return found or ChargeResult(ChargeStatus.FAILED, "", "unknown_payment")

    def close(self) -> None:
        self._db.close()


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
