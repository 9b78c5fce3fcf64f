"""Addresses that carry a secret, and how to write them down without it.

A staff invitation link, a provider's registration link, a forgotten-password link and a link
to confirm a new e-mail address hold a one-off token in their path (``/invitations/<token>``,
``/register-organisation/confirm/<token>``, ``/reset-password/<token>``,
``/account/email/confirm/<token>``); an inspector's calendar link holds a lasting one
(``/calendar/<token>.ics``). Wherever such an address is written down (gunicorn's
access log, an audited refusal's details), ``redact`` replaces the token.
"""

from __future__ import annotations

import re

# The routes whose paths carry a secret: the segment after each prefix is one.
SECRET_PATH_PREFIXES = ("/invitations/", "/register-organisation/confirm/", "/reset-password/",
                        "/account/email/confirm/", "/calendar/")
_SECRET_IN_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES) + r")[^/?#\s\"']+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with the secret in any secret-carrying path replaced."""
    return _SECRET_IN_PATH.sub(rf"\g<1>{REDACTED}", text)
