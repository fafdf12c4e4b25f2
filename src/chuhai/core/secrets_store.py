"""Signing keys: from ``CHUHAI_SECRET_KEY``, else a key file kept in the data directory.

Login look-up keys are HMACs of e-mail addresses; a key that changed on each restart would
lock everyone out, so an unset key is generated once and kept beside the databases.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from chuhai.core.config import Settings


def signing_key(settings: Settings) -> bytes:
    if "CHUHAI_SECRET_KEY" in os.environ or settings.model_fields_set & {"secret_key"}:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """A pseudonymous, non-reversible handle for ``value`` (per ``purpose``)."""
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """API tokens are 256-bit random, so a plain SHA-256 suffices at rest."""
    return hashlib.sha256(token.encode()).hexdigest()
