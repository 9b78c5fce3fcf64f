"""URL converters shared by every blueprint."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# The largest id the id columns hold on every backend (PostgreSQL's ``integer``).
MAX_RECORD_ID = 2**31 - 1


class RecordIdConverter(IntegerConverter):
    """``<int:...>`` in routes, bounded to ids the database can hold: a larger number is an
    unknown address (404), never a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_RECORD_ID)
        super().__init__(map, *args, **kwargs)
