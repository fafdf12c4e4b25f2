"""The bounded pool where work that grows with its input runs: screening a long text, a
script check, a CSV import's parsing, packaging an export.

On the event loop such work holds every other request and every live room of the node for
as long as it runs (a 199k-character script across 12 markets took 1.7 s). In a worker
thread the loop keeps its turn: Python hands the interpreter back to it at least every
``sys.getswitchinterval()`` (5 ms), so a burst of big requests slows itself, not the node.
The pool is bounded so a flood of big requests queues instead of starting a thread each.

Threads, not processes: the work reads the node's compiled screening automata and rule
packs, which a process would have to rebuild or receive pickled for every call.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
THREAD_PREFIX = "chuhai-work"

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_size = 0


def default_size() -> int:
    return max(2, min(4, (os.cpu_count() or 1) + 1))


def configure(size: int | None) -> None:
    """Size the pool (the app does this from ``CHUHAI_WORKER_THREADS``); a resize replaces
    the pool once the work already in it has finished."""
    global _pool, _size
    wanted = size or default_size()
    with _lock:
        if _pool is not None and _size == wanted:
            return
        old, _pool, _size = _pool, ThreadPoolExecutor(wanted, THREAD_PREFIX), wanted
    if old is not None:
        old.shutdown(wait=False)


def size() -> int:
    return _size or default_size()


def _executor() -> ThreadPoolExecutor:
    if _pool is None:
        configure(None)
    assert _pool is not None
    return _pool


async def offload(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` in the pool and wait for it without holding the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), functools.partial(fn, *args, **kwargs))


def in_worker() -> bool:
    """True on one of the pool's threads (tests prove the work went there)."""
    return threading.current_thread().name.startswith(THREAD_PREFIX)
