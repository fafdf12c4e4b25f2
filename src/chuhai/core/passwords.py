"""Password hashing with argon2 through pwdlib (a maintained wrapper; no home-made crypto)."""

from __future__ import annotations

import asyncio
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 10
MAX_LENGTH = 256


@cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    return bool(_hasher().verify(password, hashed))


# A real hash to verify against when the user does not exist, so that a missing account
# costs the same time as a wrong password (no user enumeration by timing).
@cache
def dummy_hash() -> str:
    return hash_password("not-a-real-password-0")


async def hash_password_async(password: str) -> str:
    """argon2 takes ~100 ms of CPU by design; off the event loop, so a sign-in does not
    stall every other request and socket on the node."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, hashed: str) -> bool:
    return await asyncio.to_thread(verify_password, password, hashed)
