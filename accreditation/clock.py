"""The service's idea of today, in one place (tests and ``tick --today`` move it)."""

from __future__ import annotations

from datetime import date

from .database import utcnow


def today() -> date:
    return utcnow().date()
