"""The JSON API (``/api/v1``) for tablets and council systems.

Requests authenticate with ``Authorization: Bearer <token>`` only: a browser's session cookie
is ignored here, so the API needs no CSRF token and cannot be driven by another website.
The same operations as the web pages do every change; errors are JSON problem objects.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, request
from flask_login import AnonymousUserMixin

from ..auth.tokens import user_for_token
from ..extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def authenticate_api_request() -> None:
    """``before_request``: for API paths, the user is whoever the bearer token belongs to."""
    if not request.path.startswith("/api/"):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
    if user is not None and db.session.dirty:
        db.session.commit()  # keeps the token's last-used time, when it moved
    # Flask-Login reads the current user from here before it looks at the session.
    g._login_user = user or AnonymousUserMixin()


def init_app(app: Flask) -> None:
    app.before_request(authenticate_api_request)
