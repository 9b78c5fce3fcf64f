"""The application's log: one JSON object a line, each with the request's id.

Every request gets an id, sent back in the ``X-Request-Id`` header and written with every log
line about it, so one request can be followed from the load balancer's log to the app's. The
id a load balancer sends in ``X-Request-Id`` is used when the app stands behind trusted proxies
(``ACCREDITATION_TRUSTED_PROXIES``, ``proxies.py``) and it is a plain token (letters, digits,
``.``, ``_``, ``-``, at most 64): otherwise a client could write what it liked into the log.
Anywhere else the app makes one.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, has_request_context, request

HEADER = "X-Request-Id"
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id() -> str | None:
    """The id of the request in hand (None outside a request)."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        given = request.headers.get(HEADER, "")
        trusted = current_app.config.get("TRUSTED_PROXIES", 0) > 0
        g.request_id = (given if trusted and _PLAIN_ID.fullmatch(given)
                        else uuid.uuid4().hex)
    return g.request_id


def _assign() -> None:
    request_id()


def _echo(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, and the
    exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        identifier = request_id()
        if identifier:
            entry["request_id"] = identifier
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _assign)
    app.after_request(_echo)


def configure(log_format: str) -> None:
    """The root logger's handler, writing to standard error (gunicorn's error log)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
