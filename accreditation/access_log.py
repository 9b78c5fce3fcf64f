"""gunicorn's access log without the secrets some addresses carry.

A staff invitation link and a provider's registration link hold a one-off token in their path
(``/invitations/<token>``, ``/register-organisation/confirm/<token>``), and the pages opened
after them send that address as their ``Referer``. gunicorn, run with the
repository's ``gunicorn.conf.py``, logs requests through ``RedactingLogger``, which replaces
such tokens wherever they appear in a log line's fields (request line, path, referrer,
headers...). A proxy in front keeps its own log: configure it likewise (SECURITY.md).
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

# The routes whose paths carry a secret: the segment after each prefix is one.
SECRET_PATH_PREFIXES = ("/invitations/", "/register-organisation/confirm/")
_SECRET_IN_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES) + r")[^/?#\s\"']+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with the secret in any secret-carrying path replaced."""
    return _SECRET_IN_PATH.sub(rf"\g<1>{REDACTED}", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: redact(value) if isinstance(value, str) else value
                for name, value in atoms.items()}
