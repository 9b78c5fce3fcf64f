"""Threads that do an upload's work side by side with the request's own.

Checksums and digests run in C without holding the interpreter lock, and so does the PDF
check's scan (RE2): the PDF is checked in a thread while the request works out its CRC32, and
the SHA-256 the record keeps is worked out while the file travels to an S3 store, so an upload
takes about as long as the slower of each pair instead of their sum. Each request waits for
what it handed over before it goes on, so nothing outlives the request; the pool is per
process, made on first use (after gunicorn has forked its workers).
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
