"""Anonymous viewers get a signed guest id, so likes and watch time can be counted per
viewer without an account and without trusting a client-chosen id."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer

GUEST_COOKIE = "chuhai_guest"


def _serializer(key: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(key, salt="chuhai.guest")


def issue_guest_id(key: bytes) -> tuple[str, str]:
    """A new guest id and its signed cookie value."""
    gid = "gst_" + secrets.token_urlsafe(12)
    return gid, str(_serializer(key).dumps(gid))


def read_guest_id(key: bytes, signed: str | None) -> str | None:
    """The guest id in a signed value, or None if it is missing or forged."""
    if not signed or len(signed) > 200:
        return None
    try:
        value = _serializer(key).loads(signed)
    except BadSignature:
        return None
    return value if isinstance(value, str) and value.startswith("gst_") else None
