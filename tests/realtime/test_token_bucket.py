from __future__ import annotations

from chuhai.realtime.token_bucket import TokenBucket


def test_burst_then_rate():
    b = TokenBucket(rate=1.0, burst=3)
    assert [b.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.take(0.0) == 1.0
    assert b.take(0.5) == 0.5
    assert b.take(1.0) == 0.0
    assert b.take(100.0) == 0.0 and b.tokens == 2.0  # never more than the burst
