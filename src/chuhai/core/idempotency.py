"""Idempotency fingerprints: a purchase call replayed under its key must be the same call.

An idempotency key names one request. Sent again with the same body, the call answers what
the first one did; sent with a different body, it is a client bug or a reused key, and the
call answers 422 ``idempotency_key_reused`` and changes nothing — answering with the first
result would silently keep the first address of an order, or the first card's payment.

Each idempotency record (order, payment, bid) stores the fingerprint of the body that made
it: an HMAC-SHA256, under the app's signing key, of the validated body as canonical JSON
(sorted keys, no spaces, the key itself left out). Keyed, because a body can hold a card
number or an address, and a plain hash of a card number is reversed by trying them all.
A record written before fingerprints existed has none and matches any body (it answers as
before).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from chuhai.core.errors import InvalidInput


class IdempotencyKeyReused(InvalidInput):
    def __init__(self) -> None:
        super().__init__("this idempotency key was used for a different request",
                         code="idempotency_key_reused")


def canonical(body: BaseModel | Mapping[str, Any]) -> bytes:
    """The body as one byte string, the same for equal bodies whatever their key order."""
    data = (body.model_dump(mode="json", exclude={"idempotency_key"})
            if isinstance(body, BaseModel)
            else {k: v for k, v in body.items() if k != "idempotency_key"})
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def fingerprint(key: bytes, purpose: str, body: BaseModel | Mapping[str, Any]) -> str:
    """64 hex characters: what the record of a keyed call keeps of its body."""
    return hmac.new(key, purpose.encode() + b"\x00" + canonical(body),
                    hashlib.sha256).hexdigest()


def check_replay(stored: str | None, fresh: str) -> None:
    """Raise ``IdempotencyKeyReused`` unless the replay carries the recorded body (a record
    without a fingerprint, from before they were kept, accepts any)."""
    if stored is not None and not hmac.compare_digest(stored, fresh):
        raise IdempotencyKeyReused()
