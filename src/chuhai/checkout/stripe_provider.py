"""Stripe as a :class:`~chuhai.checkout.payments.PaymentProvider`, plus its webhooks.

Our payment id is the one key that ties a charge together: it is Stripe's idempotency key for
the PaymentIntent (so a retried ``charge`` replays Stripe's first answer instead of charging
again) and it is stored in the intent's metadata (so ``retrieve`` can find the intent without
any table of ours, and so a webhook can be routed back to our payment).

How a PaymentIntent's status becomes a :class:`ChargeStatus`, and why:

* ``succeeded`` → SUCCEEDED, or REFUNDED once its charge is fully refunded.
* ``requires_action`` → REQUIRES_ACTION with the 3-D Secure redirect URL.
* ``requires_payment_method`` (the attempt was declined) and ``canceled`` → FAILED with the
  decline code, so the buyer can try another card.
* ``processing`` (and ``requires_capture``, ``requires_confirmation`` or any status Stripe
  adds later) → REQUIRES_ACTION with ``action_url=None``. The money is neither taken nor
  refused yet; calling it SUCCEEDED could ship unpaid goods and calling it FAILED could make
  the buyer pay twice. There is no "pending" status in :class:`ChargeStatus`, so a
  REQUIRES_ACTION without a URL means "wait": poll :meth:`StripeProvider.retrieve` or wait for
  the webhook.

Errors other than a card decline (network, rate limit, bad API key, 5xx) are raised, not
turned into FAILED: the charge may have gone through, and the caller can retry with the same
payment id at no risk because of the idempotency key.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import stripe

from chuhai.checkout.payments import ChargeResult, ChargeStatus
from chuhai.core.errors import Conflict, Forbidden, InvalidInput

__all__ = ["METADATA_KEY", "StripeProvider", "verify_webhook", "webhook_outcome"]

METADATA_KEY = "chuhai_payment_id"

# Stripe wants amounts in "its" minor unit, which is ISO 4217's except for ISK: ISO (and our
# Money) has 0 digits, Stripe kept 2 for compatibility, so 5 ISK is 500 there.
_STRIPE_SCALE = {"isk": 100}
# Stripe accepts three-decimal currencies only with a last digit of 0 (its acquirers round).
_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

# A process-local memory of payment id → PaymentIntent id. Stripe's search index lags writes
# (seconds normally, longer in an incident), so right after a charge -- e.g. when the buyer
# comes back from 3-D Secure -- a search could miss the intent; a direct read by id cannot.
_REF_CACHE_SIZE = 10_000

_PENDING_RANK = {"succeeded": 0, "processing": 1, "requires_capture": 1, "requires_action": 2}

T = TypeVar("T")


def _async_http_available() -> bool:
    """Stripe's ``*_async`` methods need httpx+anyio or aiohttp; without them they raise."""
    has = importlib.util.find_spec
    return bool((has("httpx") and has("anyio")) or has("aiohttp"))


class StripeProvider:
    """Charges through Stripe's PaymentIntents API; one instance per API key."""

    name = "stripe"

    def __init__(self, api_key: str, api_base: str | None = None, *,
                 max_network_retries: int = 2, use_async: bool | None = None) -> None:
        """``api_base`` points the client at a fake Stripe in tests.

        Network retries are safe (every write carries an idempotency key), so they stay on.
        ``use_async=None`` picks the library's native async calls when an async HTTP client is
        installed and otherwise runs the blocking calls in a worker thread.
        """
        if not api_key:
            raise ValueError("a Stripe secret key is required")
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
        )
        self._async = _async_http_available() if use_async is None else use_async
        self._refs: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def verify_webhook(payload: bytes, sig_header: str, secret: str,
                       tolerance_s: int = 300) -> dict[str, Any]:
        """See the module-level :func:`verify_webhook`; here so a route needs one import."""
        return verify_webhook(payload, sig_header, secret, tolerance_s)

    @staticmethod
    def webhook_outcome(event: Mapping[str, Any]) -> tuple[str, ChargeResult] | None:
        """See the module-level :func:`webhook_outcome`."""
        return webhook_outcome(event)

    async def _call(self, async_fn: Callable[..., Awaitable[T]], sync_fn: Callable[..., T],
                    *args: Any) -> T:
        if self._async:
            return await async_fn(*args)
        return await asyncio.to_thread(sync_fn, *args)

    def _remember(self, payment_id: str, intent_id: str) -> None:
        if not intent_id:
            return
        self._refs[payment_id] = intent_id
        self._refs.move_to_end(payment_id)
        while len(self._refs) > _REF_CACHE_SIZE:
            self._refs.popitem(last=False)

    async def charge(self, payment_id: str, amount_minor: int, currency: str,
                     method: str, return_url: str) -> ChargeResult:
        """Create and confirm in one call, so there is never an unconfirmed intent to clean up.

        A retry with the same ``payment_id`` within Stripe's 24 h idempotency window gets the
        first response replayed, even if the buyer has since finished 3-D Secure; use
        :meth:`retrieve` for the current state. Reusing a payment id with a different amount,
        currency or method is a bug on our side and raises ``Conflict``.
        """
        cur = currency.lower()
        params: dict[str, Any] = {
            "amount": _stripe_amount(amount_minor, cur),
            "currency": cur,
            "payment_method": method,
            "confirm": True,
            "return_url": return_url,
            "metadata": {METADATA_KEY: payment_id},
        }
        options: dict[str, Any] = {"idempotency_key": payment_id}
        intents = self._client.v1.payment_intents
        try:
            intent = await self._call(intents.create_async, intents.create, params, options)
        except stripe.CardError as err:
            return self._declined(payment_id, err)
        except stripe.IdempotencyError as err:
            raise Conflict(f"payment {payment_id} was already charged with other parameters",
                           code="payment_params_changed") from err
        data = intent.to_dict()
        self._remember(payment_id, str(data.get("id") or ""))
        return _intent_result(data)

    def _declined(self, payment_id: str, err: stripe.CardError) -> ChargeResult:
        body = err.json_body if isinstance(err.json_body, dict) else {}
        error = body.get("error")
        if not isinstance(error, dict):
            error = {}
        intent = error.get("payment_intent")
        ref = str(intent.get("id") or "") if isinstance(intent, dict) else ""
        self._remember(payment_id, ref)
        code = error.get("decline_code") or err.code or error.get("code") or "card_declined"
        return ChargeResult(ChargeStatus.FAILED, ref, decline_code=str(code))

    async def retrieve(self, payment_id: str) -> ChargeResult | None:
        """The intent's current state, or None if Stripe has never seen this payment.

        Found by id when this process made the charge; otherwise by Stripe's search on our
        metadata, which can lag a fresh charge by a minute -- a None right after a charge made
        elsewhere means "not yet known", not "never charged".
        """
        intents = self._client.v1.payment_intents
        ref = self._refs.get(payment_id)
        if ref is not None:
            intent = await self._call(intents.retrieve_async, intents.retrieve, ref,
                                      {"expand": ["latest_charge"]})
            return _intent_result(intent.to_dict())
        query = f"metadata['{METADATA_KEY}']:'{_quote(payment_id)}'"
        found = await self._call(intents.search_async, intents.search,
                                 {"query": query, "expand": ["data.latest_charge"],
                                  "limit": 10})
        mine = [i.to_dict() for i in found.data]
        mine = [i for i in mine if (i.get("metadata") or {}).get(METADATA_KEY) == payment_id]
        if not mine:
            return None
        best = _most_advanced(mine)
        self._remember(payment_id, str(best.get("id") or ""))
        return _intent_result(best)

    async def refund(self, payment_id: str) -> ChargeResult:
        """Refund in full; answers with the payment's state afterwards, like the test provider.

        A payment that is not SUCCEEDED is returned as it is (nothing to refund, or already
        refunded). The refund has its own idempotency key, distinct from the charge's because
        Stripe binds a key to one endpoint. A refund Stripe accepted but has not settled
        (``pending``) counts as REFUNDED; one that failed leaves the payment SUCCEEDED with the
        failure reason as ``decline_code``.
        """
        current = await self.retrieve(payment_id)
        if current is None:
            return ChargeResult(ChargeStatus.FAILED, "", "unknown_payment")
        if current.status is not ChargeStatus.SUCCEEDED:
            return current
        ref = current.provider_ref
        refunds = self._client.v1.refunds
        params = {"payment_intent": ref, "metadata": {METADATA_KEY: payment_id}}
        options = {"idempotency_key": f"{payment_id}:refund"}
        try:
            made = await self._call(refunds.create_async, refunds.create, params, options)
        except stripe.InvalidRequestError as err:
            if err.code == "charge_already_refunded":
                return ChargeResult(ChargeStatus.REFUNDED, ref)
            raise
        refund = made.to_dict()
        if refund.get("status") in ("succeeded", "pending"):
            return ChargeResult(ChargeStatus.REFUNDED, ref)
        reason = refund.get("failure_reason") or f"refund_{refund.get('status')}"
        return ChargeResult(ChargeStatus.SUCCEEDED, ref, decline_code=str(reason))


def _stripe_amount(amount_minor: int, currency: str) -> int:
    if amount_minor <= 0:
        raise InvalidInput(f"amount must be positive, got {amount_minor}", code="bad_amount")
    if currency in _THREE_DECIMAL and amount_minor % 10:
        raise InvalidInput(f"Stripe only charges {currency.upper()} in multiples of 0.010",
                           code="bad_amount")
    return amount_minor * _STRIPE_SCALE.get(currency, 1)


def _quote(value: str) -> str:
    """Keep a payment id from ending the quoted string in Stripe's search query."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _most_advanced(intents: list[dict[str, Any]]) -> dict[str, Any]:
    """Pick the intent that matters when a payment id matches several.

    That happens only if a charge was retried after the idempotency key expired (24 h). An
    intent that took the money wins, then one still in flight, then the newest.
    """
    return min(intents, key=lambda i: (_PENDING_RANK.get(str(i.get("status")), 3),
                                       -int(i.get("created") or 0)))


def _decline(error: object) -> str | None:
    if not isinstance(error, Mapping):
        return None
    code = error.get("decline_code") or error.get("code")
    return str(code) if code else None


def _redirect_url(intent: Mapping[str, Any]) -> str | None:
    action = intent.get("next_action")
    if not isinstance(action, Mapping):
        return None
    redirect = action.get("redirect_to_url")
    if not isinstance(redirect, Mapping):
        return None
    url = redirect.get("url")
    return str(url) if url else None


def _intent_result(intent: Mapping[str, Any]) -> ChargeResult:
    ref = str(intent.get("id") or "")
    status = intent.get("status")
    if status == "succeeded":
        charge = intent.get("latest_charge")
        if isinstance(charge, Mapping) and charge.get("refunded") is True:
            return ChargeResult(ChargeStatus.REFUNDED, ref)
        return ChargeResult(ChargeStatus.SUCCEEDED, ref)
    if status == "requires_action":
        return ChargeResult(ChargeStatus.REQUIRES_ACTION, ref, action_url=_redirect_url(intent))
    if status == "requires_payment_method":
        code = _decline(intent.get("last_payment_error")) or "payment_failed"
        return ChargeResult(ChargeStatus.FAILED, ref, decline_code=code)
    if status == "canceled":
        code = str(intent.get("cancellation_reason") or "canceled")
        return ChargeResult(ChargeStatus.FAILED, ref, decline_code=code)
    return ChargeResult(ChargeStatus.REQUIRES_ACTION, ref)  # in flight: see module docstring


def verify_webhook(payload: bytes, sig_header: str, secret: str,
                   tolerance_s: int = 300) -> dict[str, Any]:
    """The event, only if Stripe signed exactly these bytes within ``tolerance_s`` seconds.

    Authentication comes first: anything that cannot be verified -- a missing, malformed or
    wrong signature, a stale timestamp (replay), a missing secret, a body that is not UTF-8
    -- is ``Forbidden(code="bad_webhook_signature")``. Only a correctly signed body that is
    not a JSON event object is ``InvalidInput(code="bad_webhook_payload")``, so the payload
    error can never be used to probe the endpoint without the secret.
    """
    if not secret or not secret.strip():
        raise Forbidden("no webhook secret is configured", code="bad_webhook_signature")
    if not sig_header:
        raise Forbidden("missing Stripe-Signature header", code="bad_webhook_signature")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Forbidden("webhook body is not UTF-8", code="bad_webhook_signature") from err
    try:
        stripe.WebhookSignature.verify_header(text, sig_header, secret, tolerance_s)
    except stripe.SignatureVerificationError as err:
        raise Forbidden(f"webhook signature refused: {err}",
                        code="bad_webhook_signature") from err
    try:
        event = json.loads(text)
    except ValueError as err:
        raise InvalidInput("webhook body is not JSON", code="bad_webhook_payload") from err
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise InvalidInput("webhook body is not a Stripe event", code="bad_webhook_payload")
    return event


_INTENT_EVENTS = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed",
                            "payment_intent.requires_action"})


def webhook_outcome(event: Mapping[str, Any]) -> tuple[str, ChargeResult] | None:
    """Our payment id and what the event says happened to it; None if it is not for us.

    The status follows the event type, not the snapshot's ``status`` field, because the type
    is what Stripe promises. Stripe does not deliver events in order, so the caller must not
    let a late event move a payment backwards (e.g. ``requires_action`` after ``succeeded``).
    Events about payments not made by us (no ``chuhai_payment_id`` in metadata) and partial
    refunds (we only refund in full) give None.
    """
    kind = event.get("type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        return None
    metadata = obj.get("metadata")
    payment_id = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
    if not isinstance(payment_id, str) or not payment_id:
        return None
    if kind in _INTENT_EVENTS:
        if obj.get("object") != "payment_intent":
            return None
        ref = str(obj.get("id") or "")
        if kind == "payment_intent.succeeded":
            return payment_id, ChargeResult(ChargeStatus.SUCCEEDED, ref)
        if kind == "payment_intent.payment_failed":
            code = _decline(obj.get("last_payment_error")) or "payment_failed"
            return payment_id, ChargeResult(ChargeStatus.FAILED, ref, decline_code=code)
        return payment_id, ChargeResult(ChargeStatus.REQUIRES_ACTION, ref,
                                        action_url=_redirect_url(obj))
    if kind == "charge.refunded" and obj.get("object") == "charge":
        if obj.get("refunded") is not True:
            return None
        ref = str(obj.get("payment_intent") or obj.get("id") or "")
        return payment_id, ChargeResult(ChargeStatus.REFUNDED, ref)
    return None
