"""StripeProvider against signed webhook fixtures and a local fake of Stripe's HTTP API.

The fixtures in ``fixtures/stripe`` are hand-written in the shape Stripe documents for events
(API version 2024-06-20). Signatures are computed here with Stripe's published scheme rather
than with the library's helper, so a library that verified differently would fail the tests.

The fake API is a stdlib HTTP server on a random loopback port. It keeps intents, charges
and refunds in memory, honours ``Idempotency-Key`` the way Stripe does (replay on the same
parameters, ``idempotency_error`` on different ones) and records every request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from chuhai.checkout import service
from chuhai.checkout.payments import ChargeResult, ChargeStatus, PaymentProvider
from chuhai.checkout.schemas import PayIn, TransitionIn
from chuhai.checkout.stripe_provider import StripeProvider, verify_webhook, webhook_outcome
from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.core.errors import Conflict, Forbidden, InvalidInput
from chuhai.core.ids import new_id
from tests.checkout.orders import KWD_TOTAL_MINOR, WORKED, kuwaiti_order, pending_order
from tests.factories import idempotency_key

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
SECRET = "whsec_test_7d1f0c3b5a9e4d2f8b6a1c0e3d5f7a9b"
API_KEY = "sk_test_fake_key_for_local_server"
RETURN_URL = "https://shop.example/checkout/return"
THREE_DS_URL = "https://hooks.stripe.com/3d_secure_2/hosted?payment_intent="

# stripe's httpx client passes the form body as ``data=``, which httpx has deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


# --- webhooks --------------------------------------------------------------------------


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def sign(payload: bytes, secret: str = SECRET, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


ALL_FIXTURES = ["payment_intent.succeeded", "payment_intent.payment_failed",
                "payment_intent.requires_action", "charge.refunded", "customer.created"]


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_verify_accepts_each_signed_fixture(name: str) -> None:
    payload = fixture_bytes(name)
    event = verify_webhook(payload, sign(payload), SECRET)
    assert event == json.loads(payload)
    assert event["type"] == name
    assert event["object"] == "event"


def test_verify_is_also_reachable_on_the_provider() -> None:
    payload = fixture_bytes("payment_intent.succeeded")
    assert StripeProvider.verify_webhook(payload, sign(payload), SECRET)["id"].startswith("evt_")


def test_verify_accepts_any_of_several_signatures_while_a_secret_is_rolled() -> None:
    payload = fixture_bytes("payment_intent.succeeded")
    t = int(time.time())
    old = sign(payload, "whsec_old_secret", t).split(",")[1]
    header = f"t={t},{old},{sign(payload, SECRET, t).split(',')[1]}"
    assert verify_webhook(payload, header, SECRET)["type"] == "payment_intent.succeeded"


def _tampered() -> tuple[bytes, str]:
    payload = fixture_bytes("payment_intent.succeeded")
    header = sign(payload)
    return payload.replace(b'"amount": 2599', b'"amount": 1'), header


def _wrong_secret() -> tuple[bytes, str]:
    payload = fixture_bytes("payment_intent.succeeded")
    return payload, sign(payload, "whsec_someone_else")


def _missing_header() -> tuple[bytes, str]:
    return fixture_bytes("payment_intent.succeeded"), ""


def _stale() -> tuple[bytes, str]:
    payload = fixture_bytes("payment_intent.succeeded")
    return payload, sign(payload, t=int(time.time()) - 301)


def _garbage_header() -> tuple[bytes, str]:
    return fixture_bytes("payment_intent.succeeded"), "not-a-stripe-signature"


def _only_v0_scheme() -> tuple[bytes, str]:
    payload = fixture_bytes("payment_intent.succeeded")
    return payload, sign(payload).replace("v1=", "v0=")


def _signature_of_other_timestamp() -> tuple[bytes, str]:
    payload = fixture_bytes("payment_intent.succeeded")
    t = int(time.time())
    return payload, f"t={t - 1},{sign(payload, t=t).split(',')[1]}"


def _not_utf8() -> tuple[bytes, str]:
    payload = b'{"type": "\xff"}'
    t = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={t},v1={mac}"


@pytest.mark.parametrize("make", [_tampered, _wrong_secret, _missing_header, _stale,
                                  _garbage_header, _only_v0_scheme,
                                  _signature_of_other_timestamp, _not_utf8])
def test_verify_refuses_what_it_cannot_authenticate(make: Any) -> None:
    payload, header = make()
    with pytest.raises(Forbidden) as caught:
        verify_webhook(payload, header, SECRET)
    assert caught.value.code == "bad_webhook_signature"
    assert caught.value.status == 403


def test_verify_refuses_everything_when_no_secret_is_configured() -> None:
    payload = fixture_bytes("payment_intent.succeeded")
    with pytest.raises(Forbidden) as caught:
        verify_webhook(payload, sign(payload, ""), "")
    assert caught.value.code == "bad_webhook_signature"


def test_verify_honours_a_tighter_tolerance() -> None:
    payload = fixture_bytes("payment_intent.succeeded")
    header = sign(payload, t=int(time.time()) - 100)
    assert verify_webhook(payload, header, SECRET)["type"] == "payment_intent.succeeded"
    with pytest.raises(Forbidden):
        verify_webhook(payload, header, SECRET, tolerance_s=60)


@pytest.mark.parametrize("payload", [b"this is not json", b"[1, 2, 3]", b'{"id": "evt_1"}'])
def test_signed_body_that_is_not_an_event_is_a_payload_error(payload: bytes) -> None:
    # Decision: the signature is checked first, so a correctly signed body that is not a
    # JSON event object is bad_webhook_payload (422), never bad_webhook_signature.
    with pytest.raises(InvalidInput) as caught:
        verify_webhook(payload, sign(payload), SECRET)
    assert caught.value.code == "bad_webhook_payload"


def test_unsigned_non_json_is_a_signature_error_not_a_payload_error() -> None:
    with pytest.raises(Forbidden) as caught:
        verify_webhook(b"this is not json", sign(b"something else"), SECRET)
    assert caught.value.code == "bad_webhook_signature"


OUTCOMES: dict[str, tuple[str, ChargeResult] | None] = {
    "payment_intent.succeeded": (
        "pay_01j6b8z0qf3kx9m2t4v6w8y0ab",
        ChargeResult(ChargeStatus.SUCCEEDED, "pi_3PqW2kLkdIwHu7ix1cR4vNbK")),
    "payment_intent.payment_failed": (
        "pay_01j6b9c4mr7ts2v5x8z1a3c5ef",
        ChargeResult(ChargeStatus.FAILED, "pi_3PqW7rLkdIwHu7ix0u2GhT9x",
                     decline_code="insufficient_funds")),
    "payment_intent.requires_action": (
        "pay_01j6b9k2wd5hn8q1s4v7y0b2cd",
        ChargeResult(ChargeStatus.REQUIRES_ACTION, "pi_3PqWB1LkdIwHu7ix1mT6yWqZ",
                     action_url="https://hooks.stripe.com/3d_secure_2/hosted?merchant="
                     "acct_1OZsPtLkdIwHu7ix&payment_intent=pi_3PqWB1LkdIwHu7ix1mT6yWqZ"
                     "&payment_intent_client_secret=pi_3PqWB1LkdIwHu7ix1mT6yWqZ_secret_"
                     "Tc9aAaBbCc2dDdEeFfGgHhIiK&publishable_key=pk_test_51OZsPtLkdIwHu7ix"
                     "&source=payatt_3PqWB1LkdIwHu7ix1Ah2Qp3s")),
    "charge.refunded": (
        "pay_01j6b8z0qf3kx9m2t4v6w8y0ab",
        ChargeResult(ChargeStatus.REFUNDED, "pi_3PqW2kLkdIwHu7ix1cR4vNbK")),
    "customer.created": None,
}


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_webhook_outcome_for_each_fixture(name: str) -> None:
    payload = fixture_bytes(name)
    event = verify_webhook(payload, sign(payload), SECRET)
    assert webhook_outcome(event) == OUTCOMES[name]
    assert StripeProvider.webhook_outcome(event) == OUTCOMES[name]


def test_webhook_outcome_falls_back_to_the_error_code_without_a_decline_code() -> None:
    event = json.loads(fixture_bytes("payment_intent.payment_failed"))
    error = event["data"]["object"]["last_payment_error"]
    error.pop("decline_code")
    error["code"] = "incorrect_cvc"
    outcome = webhook_outcome(event)
    assert outcome is not None
    assert outcome[1].decline_code == "incorrect_cvc"


def test_webhook_outcome_ignores_payments_we_did_not_make() -> None:
    event = json.loads(fixture_bytes("payment_intent.succeeded"))
    event["data"]["object"]["metadata"] = {}
    assert webhook_outcome(event) is None


def test_webhook_outcome_ignores_a_partial_refund() -> None:
    event = json.loads(fixture_bytes("charge.refunded"))
    event["data"]["object"]["refunded"] = False
    event["data"]["object"]["amount_refunded"] = 599
    assert webhook_outcome(event) is None


def test_webhook_outcome_ignores_a_malformed_event() -> None:
    assert webhook_outcome({"type": "payment_intent.succeeded"}) is None
    assert webhook_outcome({"type": "payment_intent.succeeded", "data": {"object": "x"}}) is None


# --- a fake Stripe API -----------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, list[str]]

    def field(self, name: str) -> str:
        return (self.form.get(name) or self.query.get(name) or [""])[0]


class FakeStripe:
    """Just enough of api.stripe.com for charge, retrieve and refund."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self._replays: dict[str, tuple[str, str, int, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._seq = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def _id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}_3FakeLkdIwHu7ix{self._seq:010d}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                rec = Recorded(self.command, parts.path, parse_qs(parts.query),
                               {k.lower(): v for k, v in self.headers.items()},
                               parse_qs(body))
                with fake._lock:
                    fake.requests.append(rec)
                    status, answer = fake.route(rec, body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Request-Id", f"req_fake{len(fake.requests)}")
                self.end_headers()
                self.wfile.write(raw)

            do_GET = _serve
            do_POST = _serve

        return Handler

    def route(self, rec: Recorded, body: str) -> tuple[int, dict[str, Any]]:
        if rec.method == "POST":
            # Like Stripe: a key replays its first answer, and is bound to one endpoint and
            # one set of parameters.
            key = rec.headers.get("idempotency-key", "")
            seen = self._replays.get(key)
            if seen is not None:
                if seen[:2] != (rec.path, body):
                    return 400, {"error": {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the "
                                   "same parameters they were first used with."}}
                return seen[2], seen[3]
            status, answer = self._post(rec)
            if key:
                self._replays[key] = (rec.path, body, status, answer)
            return status, answer
        if rec.path == "/v1/payment_intents/search":
            return 200, self._search(rec)
        if rec.path.startswith("/v1/payment_intents/"):
            intent = self.intents.get(rec.path.rsplit("/", 1)[1])
            if intent is None:
                return 404, _missing("payment_intent")
            return 200, self._expanded(intent, rec.field("expand[0]") == "latest_charge")
        return 404, _missing("route")

    def _post(self, rec: Recorded) -> tuple[int, dict[str, Any]]:
        if rec.path == "/v1/payment_intents":
            return self._create_intent(rec)
        if rec.path == "/v1/refunds":
            return self._refund(rec)
        return 404, _missing("route")

    def _create_intent(self, rec: Recorded) -> tuple[int, dict[str, Any]]:
        method = rec.field("payment_method")
        if not method.startswith("pm_"):
            return 400, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "param": "payment_method",
                                   "message": f"No such PaymentMethod: '{method}'"}}
        pi_id = self._id("pi")
        intent: dict[str, Any] = {
            "id": pi_id, "object": "payment_intent", "amount": int(rec.field("amount")),
            "amount_capturable": 0, "amount_received": 0, "canceled_at": None,
            "cancellation_reason": None, "capture_method": "automatic_async",
            "client_secret": f"{pi_id}_secret_fake", "confirmation_method": "automatic",
            "created": int(time.time()) + self._seq, "currency": rec.field("currency"),
            "last_payment_error": None, "latest_charge": None, "livemode": False,
            "metadata": {"chuhai_payment_id": rec.field("metadata[chuhai_payment_id]")},
            "next_action": None, "payment_method": method, "payment_method_types": ["card"],
            "status": "requires_payment_method",
        }
        self.intents[pi_id] = intent
        if method == "pm_card_visa":
            self._succeed(intent)
        elif method == "pm_card_threeDSecure2Required":
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "redirect_to_url", "redirect_to_url": {
                "return_url": rec.field("return_url"), "url": THREE_DS_URL + pi_id}}
        elif method == "pm_fake_processing":  # not a Stripe test method: a slow bank
            intent["status"] = "processing"
        elif method in ("pm_card_chargeDeclined", "pm_card_chargeDeclinedExpiredCard"):
            expired = method.endswith("ExpiredCard")
            error: dict[str, Any] = {
                "type": "card_error", "code": "expired_card" if expired else "card_declined",
                "message": "Your card has expired." if expired else "Your card was declined.",
                "doc_url": "https://stripe.com/docs/error-codes/card-declined", "param": "",
                "charge": self._id("ch"),
            }
            if not expired:
                error["decline_code"] = "generic_decline"
            intent["last_payment_error"] = {k: v for k, v in error.items() if k != "param"}
            return 402, {"error": {**error, "payment_intent": intent}}
        return 200, intent

    def _succeed(self, intent: dict[str, Any]) -> None:
        ch_id = self._id("ch")
        self.charges[ch_id] = {
            "id": ch_id, "object": "charge", "amount": intent["amount"],
            "amount_captured": intent["amount"], "amount_refunded": 0, "captured": True,
            "currency": intent["currency"], "metadata": dict(intent["metadata"]),
            "paid": True, "payment_intent": intent["id"], "refunded": False,
            "status": "succeeded",
        }
        intent.update(status="succeeded", amount_received=intent["amount"],
                      latest_charge=ch_id, next_action=None)

    def complete_3ds(self, pi_id: str) -> None:
        with self._lock:
            self._succeed(self.intents[pi_id])

    def _expanded(self, intent: dict[str, Any], expand: bool) -> dict[str, Any]:
        ch_id = intent.get("latest_charge")
        if expand and ch_id:
            return {**intent, "latest_charge": self.charges[ch_id]}
        return intent

    def _search(self, rec: Recorded) -> dict[str, Any]:
        match = re.fullmatch(r"metadata\['chuhai_payment_id'\]:'(.*)'", rec.field("query"))
        wanted = match.group(1) if match else None
        expand = rec.field("expand[0]") == "data.latest_charge"
        found = [self._expanded(i, expand) for i in self.intents.values()
                 if i["metadata"].get("chuhai_payment_id") == wanted]
        return {"object": "search_result", "url": "/v1/payment_intents/search",
                "has_more": False, "next_page": None, "data": found}

    def _refund(self, rec: Recorded) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(rec.field("payment_intent"))
        if intent is None or not intent.get("latest_charge"):
            return 400, _missing("payment_intent")
        charge = self.charges[intent["latest_charge"]]
        if charge["refunded"]:
            return 400, {"error": {"type": "invalid_request_error",
                                   "code": "charge_already_refunded",
                                   "message": f"Charge {charge['id']} has already been "
                                              "refunded."}}
        charge.update(refunded=True, amount_refunded=charge["amount"])
        re_id = self._id("re")
        refund = {"id": re_id, "object": "refund", "amount": charge["amount"],
                  "charge": charge["id"], "currency": charge["currency"],
                  "created": int(time.time()), "failure_reason": None,
                  "metadata": {"chuhai_payment_id": rec.field("metadata[chuhai_payment_id]")},
                  "payment_intent": intent["id"], "reason": None, "status": "succeeded"}
        self.refunds[re_id] = refund
        return 200, refund


def _missing(what: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "code": "resource_missing",
                      "message": f"No such {what}"}}


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    server = FakeStripe()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=[True, False], ids=["native-async", "thread"])
def provider(request: pytest.FixtureRequest, fake: FakeStripe) -> StripeProvider:
    return StripeProvider(API_KEY, api_base=fake.base, max_network_retries=0,
                          use_async=request.param)


def pay_id() -> str:
    return new_id("pay")


def test_stripe_provider_satisfies_the_protocol() -> None:
    provider: PaymentProvider = StripeProvider(API_KEY)
    assert provider.name == "stripe"


async def test_charge_succeeds_and_sends_what_stripe_needs(
        provider: StripeProvider, fake: FakeStripe) -> None:
    pid = pay_id()
    result = await provider.charge(pid, 2599, "USD", "pm_card_visa", RETURN_URL)

    [req] = fake.calls("POST", "/v1/payment_intents")
    assert req.headers["idempotency-key"] == pid
    assert req.headers["authorization"] == f"Bearer {API_KEY}"
    assert req.field("amount") == "2599"
    assert req.field("currency") == "usd"
    assert req.field("payment_method") == "pm_card_visa"
    assert req.field("confirm") == "true"
    assert req.field("return_url") == RETURN_URL
    assert req.field("metadata[chuhai_payment_id]") == pid
    [intent] = fake.intents.values()
    assert result == ChargeResult(ChargeStatus.SUCCEEDED, intent["id"])
    assert result.provider_ref.startswith("pi_")


async def test_a_retried_charge_is_not_charged_twice(
        provider: StripeProvider, fake: FakeStripe) -> None:
    pid = pay_id()
    first = await provider.charge(pid, 2599, "usd", "pm_card_visa", RETURN_URL)
    again = await provider.charge(pid, 2599, "usd", "pm_card_visa", RETURN_URL)
    assert again == first
    assert len(fake.intents) == 1
    assert len(fake.charges) == 1
    keys = [r.headers["idempotency-key"] for r in fake.calls("POST", "/v1/payment_intents")]
    assert keys == [pid, pid]


async def test_reusing_a_payment_id_for_another_amount_is_a_conflict(
        provider: StripeProvider, fake: FakeStripe) -> None:
    pid = pay_id()
    await provider.charge(pid, 2599, "usd", "pm_card_visa", RETURN_URL)
    with pytest.raises(Conflict) as caught:
        await provider.charge(pid, 9999, "usd", "pm_card_visa", RETURN_URL)
    assert caught.value.code == "payment_params_changed"
    assert len(fake.charges) == 1


async def test_a_declined_card_fails_with_its_decline_code(
        provider: StripeProvider, fake: FakeStripe) -> None:
    pid = pay_id()
    result = await provider.charge(pid, 1290, "eur", "pm_card_chargeDeclined", RETURN_URL)
    [intent] = fake.intents.values()
    assert result == ChargeResult(ChargeStatus.FAILED, intent["id"],
                                  decline_code="generic_decline")
    assert fake.calls("POST", "/v1/payment_intents")[0].headers["idempotency-key"] == pid
    assert await provider.retrieve(pid) == result


async def test_a_card_error_without_decline_code_uses_the_error_code(
        provider: StripeProvider) -> None:
    result = await provider.charge(pay_id(), 1290, "eur", "pm_card_chargeDeclinedExpiredCard",
                                   RETURN_URL)
    assert result.status is ChargeStatus.FAILED
    assert result.decline_code == "expired_card"


async def test_three_d_secure_then_retrieve_reads_the_intent_by_id(
        provider: StripeProvider, fake: FakeStripe) -> None:
    pid = pay_id()
    result = await provider.charge(pid, 4500, "eur", "pm_card_threeDSecure2Required",
                                   RETURN_URL)
    [intent] = fake.intents.values()
    assert result == ChargeResult(ChargeStatus.REQUIRES_ACTION, intent["id"],
                                  action_url=THREE_DS_URL + intent["id"])

    fake.complete_3ds(intent["id"])
    assert await provider.retrieve(pid) == ChargeResult(ChargeStatus.SUCCEEDED, intent["id"])
    # Stripe's search lags fresh writes, so this process must not depend on it.
    assert fake.calls("GET", "/v1/payment_intents/search") == []
    assert len(fake.calls("GET", f"/v1/payment_intents/{intent['id']}")) == 1


async def test_processing_is_kept_pending_not_final(provider: StripeProvider) -> None:
    result = await provider.charge(pay_id(), 700, "usd", "pm_fake_processing", RETURN_URL)
    assert result.status is ChargeStatus.REQUIRES_ACTION
    assert result.action_url is None


async def test_retrieve_in_another_process_searches_by_our_id(
        provider: StripeProvider, fake: FakeStripe) -> None:
    pid = pay_id()
    charged = await provider.charge(pid, 2599, "usd", "pm_card_visa", RETURN_URL)
    elsewhere = StripeProvider(API_KEY, api_base=fake.base, max_network_retries=0)

    assert await elsewhere.retrieve(pid) == charged
    [search] = fake.calls("GET", "/v1/payment_intents/search")
    assert search.field("query") == f"metadata['chuhai_payment_id']:'{pid}'"
    assert await elsewhere.retrieve(pay_id()) is None


async def test_refund_refunds_once_and_is_then_reported(
        provider: StripeProvider, fake: FakeStripe) -> None:
    pid = pay_id()
    charged = await provider.charge(pid, 2599, "usd", "pm_card_visa", RETURN_URL)

    refunded = await provider.refund(pid)
    assert refunded == ChargeResult(ChargeStatus.REFUNDED, charged.provider_ref)
    [req] = fake.calls("POST", "/v1/refunds")
    assert req.field("payment_intent") == charged.provider_ref
    assert req.headers["idempotency-key"] == f"{pid}:refund"
    assert req.field("metadata[chuhai_payment_id]") == pid

    assert await provider.retrieve(pid) == refunded
    elsewhere = StripeProvider(API_KEY, api_base=fake.base, max_network_retries=0)
    assert await elsewhere.retrieve(pid) == refunded
    assert await provider.refund(pid) == refunded
    assert len(fake.calls("POST", "/v1/refunds")) == 1
    assert len(fake.refunds) == 1


async def test_refund_of_a_failed_or_unknown_payment_moves_no_money(
        provider: StripeProvider, fake: FakeStripe) -> None:
    pid = pay_id()
    failed = await provider.charge(pid, 1290, "eur", "pm_card_chargeDeclined", RETURN_URL)
    assert await provider.refund(pid) == failed
    assert await provider.refund(pay_id()) == ChargeResult(ChargeStatus.FAILED, "",
                                                           "unknown_payment")
    assert fake.calls("POST", "/v1/refunds") == []


@pytest.mark.parametrize(("minor", "currency", "sent"), [
    (21648, "JPY", "21648"),   # ¥21,648: the yen has no minor unit
    (4391, "EUR", "4391"),     # €43.91
    (11550, "KWD", "11550"),   # 11.550 KWD: three decimals, last digit 0
])
async def test_the_amount_goes_to_stripe_in_the_currencys_own_minor_units(
        provider: StripeProvider, fake: FakeStripe, minor: int, currency: str,
        sent: str) -> None:
    await provider.charge(pay_id(), minor, currency, "pm_card_visa", RETURN_URL)
    [req] = fake.calls("POST", "/v1/payment_intents")
    assert (req.field("amount"), req.field("currency")) == (sent, currency.lower())


async def test_isk_is_sent_in_stripes_two_decimal_units(
        provider: StripeProvider, fake: FakeStripe) -> None:
    await provider.charge(pay_id(), 5, "ISK", "pm_card_visa", RETURN_URL)
    [req] = fake.calls("POST", "/v1/payment_intents")
    assert (req.field("amount"), req.field("currency")) == ("500", "isk")


async def test_amounts_stripe_would_refuse_are_refused_before_calling(
        provider: StripeProvider, fake: FakeStripe) -> None:
    with pytest.raises(InvalidInput) as caught:
        await provider.charge(pay_id(), 1235, "KWD", "pm_card_visa", RETURN_URL)
    assert caught.value.code == "bad_amount"
    with pytest.raises(InvalidInput):
        await provider.charge(pay_id(), 0, "USD", "pm_card_visa", RETURN_URL)
    assert fake.requests == []


async def test_an_error_that_is_not_a_decline_is_raised_not_reported_as_failed(
        provider: StripeProvider) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        await provider.charge(pay_id(), 100, "usd", "card_4242", RETURN_URL)


# --- orders: Stripe is asked for the order's total, and refunds exactly that -----------


@pytest.mark.parametrize("market", [*WORKED, "KW"])
async def test_an_orders_total_is_what_stripe_charges_and_then_refunds(
        app_client: httpx.AsyncClient, stores: Stores, settings: Settings, fake: FakeStripe,
        market: str) -> None:
    """Figures worked by hand in ``tests/checkout/orders.py``: 39.13 USD, 43.91 EUR,
    21,648 JPY, and a Kuwaiti order of 11.550 KWD (no market has a 3-decimal currency)."""
    if market == "KW":
        shop, buyer, order_id = await kuwaiti_order(app_client, stores, settings)
        total, currency = KWD_TOTAL_MINOR, "kwd"
    else:
        shop, buyer, order_id = await pending_order(app_client, stores, settings, market)
        total, currency = WORKED[market][2], WORKED[market][1]["currency"].lower()
    stripe_api = StripeProvider(API_KEY, api_base=fake.base, max_network_retries=0)

    order, payment = await service.pay(stores, stripe_api, buyer.actor, order_id, PayIn(
        card_number="pm_card_visa", idempotency_key=idempotency_key()))
    assert (order.status, payment.status) == ("paid", "succeeded")
    [req] = fake.calls("POST", "/v1/payment_intents")
    assert (req.field("amount"), req.field("currency")) == (str(total), currency)
    assert req.field("metadata[chuhai_payment_id]") == payment.id

    await service.transition(stores, stripe_api, shop.tenant.actor, order_id,
                             TransitionIn(to="cancelled", reason="out of stock"))
    [refund] = fake.refunds.values()
    assert (refund["amount"], refund["currency"]) == (total, currency)
    with pytest.raises(Conflict):
        await service.transition(stores, stripe_api, shop.tenant.actor, order_id,
                                 TransitionIn(to="refunded"))
    assert len(fake.calls("POST", "/v1/refunds")) == 1
