"""Sign-in throttling: a growing delay per account and per (account, address), and a signed
"known device" cookie that keeps the account's owner out of an attacker's delay
(docs/decisions/0009-sign-in-throttling.md). Both sign-in routes use it: the console's
``POST /login`` and the buyers' ``POST /api/customers/session``.

Why not a lock-out: a lock that anyone can trigger by guessing on purpose is a way to keep
the owner out. A delay that grows with the attempts (1 s, doubling, never more than
``CAP_S``) makes guessing slow without ever closing the door, and a device that has signed
in to the account before is only slowed by its own failures.

The pure part (``Policy``, the cookie functions) does no I/O; ``SignInThrottle`` keeps its
counts in the app's rate limiter (memory, or Redis so every node shares them).

Every attempt that is let through counts until it succeeds (it is counted before the
password is checked, with one atomic increment): a burst of parallel guesses cannot all pass
while the first is still being checked. An attempt refused for its delay is not counted, so
an impatient owner who tries again early does not make their own wait longer. The counts
are keyed by a keyed hash of the e-mail address, so an unknown address is counted and
answered exactly like a known one.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from chuhai.core.ratelimit import RateLimiter
from chuhai.core.secrets_store import keyed_hash

DEVICE_COOKIE = "chuhai_device"
DEVICE_COOKIE_MAX_AGE_S = 180 * 24 * 3600  # a device is remembered for half a year
MAX_DEVICES = 5  # accounts one browser is remembered for (staff and buyer on one laptop)
WINDOW_S = 24 * 3600  # attempts are counted for a day after the first
CAP_S = 300  # no delay is ever longer than five minutes
_UNLIMITED = 1 << 30
_NONCE = 16  # characters of a device id (96 random bits, URL-safe base64)
_SIG = 32  # hex characters of its signature (128 bits)
_ENTRY = re.compile(rf"^[A-Za-z0-9_-]{{{_NONCE}}}\.[0-9a-f]{{{_SIG}}}$")


@dataclass(frozen=True)
class Policy:
    """``free`` attempts answered at once, then one attempt per ``first_s`` seconds,
    doubling with each further attempt, never more than ``cap_s``."""

    free: int
    first_s: int = 1
    cap_s: int = CAP_S

    def delay(self, attempts: int) -> int:
        """Seconds that must pass between attempts once ``attempts`` have been made."""
        if attempts < self.free:
            return 0
        steps = min(attempts - self.free, 30)  # 2**30 s is far past any cap: no huge ints
        return min(self.cap_s, self.first_s << steps)


# One account from one address: a person mistyping gets five tries before any wait.
PAIR = Policy(free=5)
# One account from every address together (not counting its known devices): more room, as
# several people or a shared network may share it, but an attacker spread over many
# addresses shares it too — about 300 guesses a day at most, never a lock.
ACCOUNT = Policy(free=20)
# A known device's own failures: the same as one address.
DEVICE = Policy(free=5)


def account_key(key: bytes, email: str) -> str:
    """The handle sign-in counts are kept under: the same for an unknown address."""
    return keyed_hash(key, "signin", email[:254].strip().lower())[:32]


def _signature(key: bytes, account: str, nonce: str) -> str:
    return keyed_hash(key, "device", f"{account}\x00{nonce}")[:_SIG]


def _entries(cookie: str | None) -> list[str]:
    if not cookie or len(cookie) > MAX_DEVICES * (_NONCE + _SIG + 2):
        return []
    return [e for e in cookie.split("~") if _ENTRY.match(e)][:MAX_DEVICES]


def known_device(key: bytes, account: str, cookie: str | None) -> str | None:
    """The device id in ``cookie`` that this server signed for ``account``, or None (no
    cookie, a forged one, or one signed for other accounts)."""
    for entry in _entries(cookie):
        nonce, _, sig = entry.partition(".")
        if hmac.compare_digest(sig, _signature(key, account, nonce)):
            return nonce
    return None


def remember_device(key: bytes, account: str, cookie: str | None) -> str:
    """The cookie value after a successful sign-in to ``account``: this account's entry
    first (its device id kept if it had one), the browser's other accounts after it."""
    nonce = known_device(key, account, cookie) or secrets.token_urlsafe(12)
    mine = f"{nonce}.{_signature(key, account, nonce)}"
    others = [e for e in _entries(cookie) if not e.startswith(nonce + ".")]
    return "~".join([mine, *others][:MAX_DEVICES])


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: the account it names, where it comes from, and the device id of
    a valid known-device cookie for that account (None without one)."""

    account: str
    address: str
    device: str | None

    def scopes(self) -> list[tuple[str, Policy]]:
        if self.device is not None:  # a known device answers only for itself
            return [(f"dev:{self.account}:{self.device}", DEVICE)]
        return [(f"pair:{self.account}:{self.address[:64]}", PAIR),
                (f"acct:{self.account}", ACCOUNT)]


class SignInThrottle:
    """The counts behind ``Policy``, in the app's rate limiter."""

    def __init__(self, limiter: RateLimiter, key: bytes) -> None:
        self.limiter, self.key = limiter, key

    def attempt(self, email: str, address: str, cookie: str | None) -> Attempt:
        account = account_key(self.key, email)
        return Attempt(account, address, known_device(self.key, account, cookie))

    async def admit(self, a: Attempt) -> int:
        """0: check the password (the attempt is counted); else the seconds to wait before
        trying again (the attempt is refused and not counted)."""
        scopes = a.scopes()
        gated: set[str] = set()
        for scope, policy in scopes:  # past the free attempts: one attempt per delay
            delay = policy.delay(await self.limiter.count(f"signin:n:{scope}"))
            if delay:
                wait = await self.limiter.claim(f"signin:gate:{scope}", delay)
                if wait:
                    return wait
                gated.add(scope)
        for scope, policy in scopes:
            made = (await self.limiter.hit(f"signin:n:{scope}", _UNLIMITED, WINDOW_S)).count
            delay = policy.delay(made - 1)
            if delay and scope not in gated:
                # Parallel attempts pushed the count past the free ones since it was read:
                # this one is past them too, so it takes the gate like any later one.
                wait = await self.limiter.claim(f"signin:gate:{scope}", delay)
                if wait:
                    return wait
        return 0

    async def succeeded(self, a: Attempt) -> None:
        """The password was right: the address (or the device) starts afresh. The account's
        count is cleared only while it is below its delay — so a sign-in by the owner does
        not wipe the count of an attack in progress."""
        for scope, policy in a.scopes():
            n = f"signin:n:{scope}"
            if scope.startswith("acct:") and policy.delay(await self.limiter.count(n)):
                continue
            await self.limiter.reset(n)
            await self.limiter.reset(f"signin:gate:{scope}")
