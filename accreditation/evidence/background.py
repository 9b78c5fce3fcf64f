"""Threads that do an upload's slow parts side by side with the request's own work.

An upload spends most of its time waiting: on the object store while the file travels, and on
hashing, which runs in C without holding the interpreter lock. Handing those to a thread lets
the request meanwhile check the file's content and write its record, so an upload takes about
as long as its slowest part instead of the sum of them. Each request waits for what it handed
over before it answers, so nothing outlives the request; the pool is per process, made on
first use (after gunicorn has forked its workers).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

# One task per request at a time, so as many threads as a worker serves requests at once
# (more only queue, never deadlock: a task never waits for a request).
THREADS = 8

_pool: ThreadPoolExecutor | None = None


def submit(work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """Run ``work(*args, **kwargs)`` in a thread of this process's pool."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="evidence")
    return _pool.submit(work, *args, **kwargs)
