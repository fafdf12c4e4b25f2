"""Identifiers: sortable, unguessable, prefixed by kind so a log line says what it names."""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from pydantic import Field

MAX_BIGINT = 2**63 - 1
# A row number from a client (a webhook delivery, a ledger entry): what no database integer
# column can hold is refused as invalid input, before it reaches a driver that overflows.
SerialId = Annotated[int, Field(ge=1, le=MAX_BIGINT)]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _b32(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        out.append(_ALPHABET[n & 31])
        n >>= 5
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    """``prefix_`` + 10 chars of millisecond time + 16 random chars (80 bits)."""
    millis = int(time.time() * 1000)
    return f"{prefix}_{_b32(millis, 10)}{_b32(secrets.randbits(80), 16)}"
