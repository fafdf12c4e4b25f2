"""Sign-in throttling (accounts/throttle.py): the delay grows and is bounded, the known-device
cookie cannot be forged or moved to another account, and the counts hold against attackers
spread over many addresses, bursts of parallel attempts and an owner who retries early."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chuhai.accounts.throttle import (
    ACCOUNT,
    CAP_S,
    DEVICE,
    MAX_DEVICES,
    PAIR,
    Attempt,
    Policy,
    SignInThrottle,
    account_key,
    known_device,
    remember_device,
)
from chuhai.core.ratelimit import MemoryRateLimiter, RedisRateLimiter
from tests.conftest import redis_url_or_skip

KEY = b"test-key"
OTHER_KEY = b"another-key"


def test_the_delay_starts_after_the_free_attempts_and_doubles():
    p = Policy(free=5)
    assert [p.delay(n) for n in range(5)] == [0] * 5
    assert [p.delay(n) for n in range(5, 11)] == [1, 2, 4, 8, 16, 32]


@given(st.integers(min_value=0, max_value=10**12))
def test_the_delay_never_passes_the_cap_and_never_shrinks(n: int) -> None:
    for policy in (PAIR, ACCOUNT, DEVICE):
        assert 0 <= policy.delay(n) <= CAP_S <= 300
        assert policy.delay(n) <= policy.delay(n + 1)


def test_the_account_allows_more_than_one_address_but_is_bounded_per_day():
    assert ACCOUNT.free > PAIR.free
    # A day of guessing at one account from any number of addresses: the free attempts,
    # then one per growing delay, then one per CAP_S.
    day, t, attempts = 24 * 3600, 0, 0
    while t < day:
        t += ACCOUNT.delay(attempts)  # the gate the attempt took keeps the next one back
        attempts += 1
    assert 300 < attempts < 330


def test_a_device_cookie_names_its_account_and_cannot_be_forged():
    acct = account_key(KEY, "Ann@Example.com ")
    assert acct == account_key(KEY, "ann@example.com")  # the e-mail as sign-in reads it
    cookie = remember_device(KEY, acct, None)
    device = known_device(KEY, acct, cookie)
    assert device is not None
    assert known_device(KEY, account_key(KEY, "bob@example.com"), cookie) is None
    assert known_device(OTHER_KEY, acct, cookie) is None  # another server's key
    nonce, _, sig = cookie.partition(".")
    assert known_device(KEY, acct, f"{nonce}.{'0' * len(sig)}") is None
    assert known_device(KEY, acct, f"{'A' * len(nonce)}.{sig}") is None  # moved signature
    for junk in (None, "", "x", "~" * 300, "a.b~c.d", "é" * 20):
        assert known_device(KEY, acct, junk) is None


def test_one_browser_is_remembered_for_several_accounts_and_keeps_its_device_id():
    accounts = [account_key(KEY, f"user{i}@example.com") for i in range(MAX_DEVICES + 2)]
    cookie = None
    for acct in accounts:
        cookie = remember_device(KEY, acct, cookie)
    assert all(known_device(KEY, a, cookie) for a in accounts[-MAX_DEVICES:])
    assert known_device(KEY, accounts[0], cookie) is None  # the oldest fell out
    device = known_device(KEY, accounts[-1], cookie)
    again = remember_device(KEY, accounts[-1], cookie)
    assert known_device(KEY, accounts[-1], again) == device
    assert again.count("~") == MAX_DEVICES - 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle() -> tuple[SignInThrottle, Clock]:
    clock = Clock()
    return SignInThrottle(MemoryRateLimiter(clock=clock), KEY), clock


async def test_an_attacker_spread_over_many_addresses_is_slowed_per_account():
    t, clock = throttle()
    waits = [await t.admit(t.attempt("ann@example.com", f"10.0.{i // 250}.{i % 250}", None))
             for i in range(ACCOUNT.free + 1)]
    assert waits == [0] * (ACCOUNT.free + 1)  # the last one took the account's gate
    wait = await t.admit(t.attempt("ann@example.com", "10.9.9.9", None))
    assert wait == ACCOUNT.delay(ACCOUNT.free)
    clock.now += wait
    assert await t.admit(t.attempt("ann@example.com", "10.9.9.9", None)) == 0
    assert await t.admit(t.attempt("ann@example.com", "10.9.9.10", None)) == 2


async def test_the_delay_is_bounded_however_long_the_attack():
    t, clock = throttle()
    waits = []
    for i in range(60):
        wait = await t.admit(t.attempt("ann@example.com", f"10.1.0.{i}", None))
        waits.append(wait)
        clock.now += wait  # the attacker waits exactly as long as told, then guesses again
        if wait:
            assert await t.admit(t.attempt("ann@example.com", f"10.2.0.{i}", None)) == 0
    assert max(waits) == CAP_S


async def test_a_known_device_is_not_held_back_by_an_attack_on_its_account():
    t, _clock = throttle()
    acct = account_key(KEY, "ann@example.com")
    cookie = remember_device(KEY, acct, None)
    for i in range(ACCOUNT.free + PAIR.free + 5):  # guessing from the owner's own address too
        await t.admit(t.attempt("ann@example.com", "192.0.2.1" if i % 2 else f"10.0.0.{i}",
                                None))
    assert await t.admit(t.attempt("ann@example.com", "192.0.2.1", None)) > 0
    owner = t.attempt("ann@example.com", "192.0.2.1", cookie)
    assert owner.device is not None
    assert await t.admit(owner) == 0


async def test_a_known_device_is_slowed_by_its_own_failures_only():
    t, _clock = throttle()
    cookie = remember_device(KEY, account_key(KEY, "ann@example.com"), None)
    mine = t.attempt("ann@example.com", "192.0.2.1", cookie)
    assert [await t.admit(mine) for _ in range(DEVICE.free + 1)] == [0] * (DEVICE.free + 1)
    assert await t.admit(mine) == 1
    # Its failures did not count against the account from other addresses.
    assert await t.admit(t.attempt("ann@example.com", "10.0.0.1", None)) == 0
    await t.succeeded(mine)
    assert await t.admit(mine) == 0


async def test_an_attempt_refused_for_its_delay_does_not_make_the_wait_longer():
    t, clock = throttle()
    a = t.attempt("ann@example.com", "192.0.2.1", None)
    for _ in range(PAIR.free + 1):
        assert await t.admit(a) == 0
    assert [await t.admit(a) for _ in range(10)] == [1] * 10  # impatient: still 1 s
    clock.now += 1
    assert await t.admit(a) == 0


async def test_a_burst_of_parallel_attempts_gets_no_more_than_the_free_ones_through():
    t, _clock = throttle()
    attempts = [t.attempt("ann@example.com", f"10.3.{i // 200}.{i % 200}", None)
                for i in range(500)]
    waits = await asyncio.gather(*(t.admit(a) for a in attempts))
    assert waits.count(0) == ACCOUNT.free + 1


async def test_unknown_and_known_addresses_are_counted_alike():
    t, _clock = throttle()
    a = [await t.admit(t.attempt("ann@example.com", "192.0.2.1", None)) for _ in range(12)]
    b = [await t.admit(t.attempt("nobody-here@example.com", "192.0.2.1", None))
         for _ in range(12)]
    assert a == b and a[-1] > 0


async def test_the_owner_signing_in_does_not_wipe_an_attack_in_progress():
    t, _clock = throttle()
    for i in range(ACCOUNT.free + 1):
        await t.admit(t.attempt("ann@example.com", f"10.0.0.{i}", None))
    owner = t.attempt("ann@example.com", "192.0.2.1", None)
    await t.succeeded(owner)  # (say the owner got through after waiting)
    assert await t.admit(t.attempt("ann@example.com", "10.8.8.8", None)) > 0


async def test_a_sign_in_clears_the_counts_of_an_ordinary_day():
    t, _clock = throttle()
    a = t.attempt("ann@example.com", "192.0.2.1", None)
    for _ in range(PAIR.free - 1):  # a few typos
        await t.admit(a)
    await t.succeeded(a)
    assert [await t.admit(a) for _ in range(PAIR.free)] == [0] * PAIR.free


def test_an_attempt_from_a_known_device_is_counted_only_against_that_device():
    acct = account_key(KEY, "ann@example.com")
    with_device = Attempt(acct, "192.0.2.1", "abc")
    assert [s for s, _ in with_device.scopes()] == [f"dev:{acct}:abc"]
    assert [s.split(":")[0] for s, _ in Attempt(acct, "192.0.2.1", None).scopes()] == [
        "pair", "acct"]


@pytest.mark.redis
async def test_on_redis_a_burst_from_two_nodes_gets_no_more_than_the_free_ones_through():
    from redis.asyncio import Redis

    url = redis_url_or_skip()
    a, b = Redis.from_url(url), Redis.from_url(url)
    try:
        prefix = f"t-{uuid.uuid4().hex}:"  # two nodes, one Redis
        nodes = [SignInThrottle(RedisRateLimiter(r, prefix=prefix), KEY) for r in (a, b)]
        email = f"ann-{uuid.uuid4().hex}@example.com"
        waits = await asyncio.gather(*(
            nodes[i % 2].admit(nodes[i % 2].attempt(email, f"10.4.0.{i}", None))
            for i in range(60)))
        assert waits.count(0) == ACCOUNT.free + 1
        # Every refusal comes from the one gate the first attempt past the free ones
        # claimed. Its length is the delay for the count that attempt read, which on two
        # connections may already include a few of the burst's other attempts (1 s or 2 s,
        # not always 1 s): the refusals agree with each other within a second of rounding.
        refused = [w for w in waits if w]
        assert refused and min(refused) >= 1 and max(refused) <= ACCOUNT.cap_s
        assert max(refused) - min(refused) <= 1
    finally:
        await a.aclose()
        await b.aclose()
