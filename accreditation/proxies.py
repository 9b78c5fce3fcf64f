"""Who sent a request: the client's address, through the reverse proxies the service trusts.

Behind the TLS-terminating proxy the documentation asks for, every connection comes from the
proxy. With ``ACCREDITATION_TRUSTED_PROXIES=N`` the app believes what the nearest N proxies
add: the client's address (``X-Forwarded-For``, the N-th value from the right, so whatever a
client writes in the header itself is passed over) and the scheme the browser used
(``X-Forwarded-Proto``). ``X-Forwarded-Host`` is never believed: the proxy passes the
``Host`` header on, and a host taken from a header a client can write would go into links in
e-mails. With 0 (the default) no header is believed: the app faces browsers itself, and an
address made up in a header cannot dodge the sign-in limit.

Everything that needs the client's address (the sign-in throttle, the audit trail) reads it
with ``client_address``, after this.

The host: in production the app answers only to the host of ``ACCREDITATION_BASE_URL`` and
to ``ACCREDITATION_ALLOWED_HOSTS`` (Flask's ``TRUSTED_HOSTS``, set by ``config.check``). A
request for any other host is refused with a plain 400 before anything else looks at it (no
session read, no audit event, no page built for that host).
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

# More reverse proxies in a row than this is a mistake in the setting, not a set-up.
MAX_TRUSTED_PROXIES = 5


def init_app(app: Flask) -> None:
    """Wrap the app (outermost, so every part of it sees the client) in ``ProxyFix``."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=0, x_port=0, x_prefix=0)
    # Before every other hook, whenever they were added.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unknown_host)


def refuse_unknown_host() -> None:
    """``before_request``: Flask found the host untrusted while matching the address; say so
    now, before the other hooks run (the answer is ``errors.py``'s, a plain 400)."""
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


def client_address() -> str | None:
    """The address of the client that sent this request (None outside a request)."""
    return request.remote_addr if has_request_context() else None
