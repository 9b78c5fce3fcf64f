"""gunicorn's access log without the secrets some addresses carry.

A staff invitation link and a provider's registration link hold a one-off token in their path
(``secret_paths``), and the pages opened after them send that address as their ``Referer``.
gunicorn, run with the repository's ``gunicorn.conf.py``, logs requests through
``RedactingLogger``, which replaces such tokens wherever they appear in a log line's fields
(request line, path, referrer, headers...). A proxy in front keeps its own log: configure it
likewise (SECURITY.md).
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from .secret_paths import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: redact(value) if isinstance(value, str) else value
                for name, value in atoms.items()}
