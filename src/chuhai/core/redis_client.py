"""One way to open Redis: a blocking pool, so a burst waits for a connection briefly
instead of failing with "Too many connections" (redis-py's default pool raises at 100)."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis


def connect(url: str, max_connections: int = 200, timeout_s: float = 10.0) -> Redis:
    pool = BlockingConnectionPool.from_url(url, max_connections=max_connections,
                                           timeout=timeout_s)
    return Redis(connection_pool=pool)
