"""Webhook signatures. Pure: no I/O.

The scheme is the one Stripe made familiar, so receivers can reuse what they know: the
``Chuhai-Signature`` header is ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
Signing the timestamp with the body lets a receiver refuse replays older than a tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Chuhai-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, tolerance_s: int = 300,
           now: int | None = None) -> bool:
    """What a receiver does: True if ``header`` signs ``body`` with ``secret`` recently."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        k, _, v = item.strip().partition("=")
        parts.setdefault(k, []).append(v)
    try:
        t = int(parts.get("t", [""])[0])
    except ValueError:
        return False
    if abs((int(time.time()) if now is None else now) - t) > tolerance_s:
        return False
    expected = sign(secret, body, t).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))


# Seconds to wait before attempt n+1 after n failures: quick at first, then hourly-ish,
# for about a day in total before the delivery is marked failed.
BACKOFF_S = (10, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 6 * 3600, 6 * 3600)
MAX_ATTEMPTS = len(BACKOFF_S) + 1


def next_delay(failures: int) -> int | None:
    """Delay before the next attempt after ``failures`` failed ones; None: give up."""
    if failures < 1:
        return 0
    if failures >= MAX_ATTEMPTS:
        return None
    return BACKOFF_S[failures - 1]
