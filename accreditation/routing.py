"""Addresses shared by every blueprint: URL converters, and absolute links.

A link that leaves the service (in an e-mail, a CSV file, the API's answers) is built by
``external_url`` on the configured ``BASE_URL``, never on the ``Host`` a request named: a
request sent with a made-up host must not get a link to that host into someone's inbox. The
pages themselves link with relative addresses (``url_for``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import IntegerConverter

# The largest id the id columns hold on every backend (PostgreSQL's ``integer``).
MAX_RECORD_ID = 2**31 - 1


class RecordIdConverter(IntegerConverter):
    """``<int:...>`` in routes, bounded to ids the database can hold: a larger number is an
    unknown address (404), never a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_RECORD_ID)
        super().__init__(map, *args, **kwargs)


def external_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` on the service's ``BASE_URL``: the same inside a
    request, whatever its host, and outside one (a command's e-mails)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
