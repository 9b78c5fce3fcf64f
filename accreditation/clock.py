"""The service's idea of today, in one place (tests, demo data and ``tick --today`` move it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

from .database import utcnow

_pretend: list[date] = []


def today() -> date:
    return _pretend[-1] if _pretend else utcnow().date()


@contextlib.contextmanager
def pretend(day: date) -> Iterator[None]:
    """Act as if it were ``day`` (for demo histories): dates the service computes use it."""
    _pretend.append(day)
    try:
        yield
    finally:
        _pretend.pop()
