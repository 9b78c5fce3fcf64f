"""The signed-in session: how it starts, how long it lasts, and proving it is still you.

The session cookie is signed (Flask) and carries the user's session generation, so the server
can end every session of a user at once (sign-out, a password change, a commissioner's
revocation). On top of that, every session ends after ``SESSION_IDLE_MINUTES`` without a
request and ``SESSION_MAX_HOURS`` after sign-in, whatever the activity.

Signing in is one or two steps. After the password, someone who needs a second factor holds
only a *pending* sign-in (who, since when, where to go next); the session proper starts once
the code is accepted or an authenticator app has been set up.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import (
    Flask,
    current_app,
    flash,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from .. import audit
from ..extensions import db
from . import load_user, mfa
from .models import User

PENDING = "pending_sign_in"
PENDING_SECONDS = 10 * 60
NEW_AUTHENTICATOR = "new_authenticator"


def _now() -> int:
    return int(time.time())


def start(user: User) -> None:
    """A fresh session (nothing from before it, incl. a planted id, survives), fully signed in."""
    session.clear()
    login_user(user)
    session.permanent = False
    now = _now()
    session.update(signed_in_at=now, seen_at=now, confirmed_at=now)


def begin(user: User, next_url: str | None = None) -> str:
    """After the password (or accepting an invitation): where the person goes next.

    Straight in if no second factor is needed; otherwise to the code page, or to set up an
    authenticator app if they have none yet.
    """
    if not (mfa.required_for(user) or user.has_authenticator):
        start(user)
        return next_url or url_for("main.home")
    session.clear()
    session[PENDING] = {"user": user.get_id(), "since": _now(), "next": next_url}
    if user.has_authenticator:
        return url_for("auth.second_factor")
    return url_for("auth.set_up_authenticator")


def pending_user() -> User | None:
    """The person half-way through signing in, if that was recent and is still valid."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if _now() - int(pending.get("since", 0)) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return load_user(str(pending.get("user", "")))


def finish(user: User) -> str:
    """The second factor is done: start the session; returns where to go."""
    next_url = (session.get(PENDING) or {}).get("next")
    start(user)
    return next_url or url_for("main.home")


def end() -> None:
    logout_user()
    session.clear()


def confirmed_recently() -> bool:
    limit = current_app.config["REAUTHENTICATE_MINUTES"] * 60
    return _now() - int(session.get("confirmed_at", 0)) <= limit


def note_confirmed() -> None:
    session["confirmed_at"] = _now()


def confirmation_required(view: Callable) -> Callable:
    """Before a sensitive change (account security, staff accounts): the person must have
    given their password (and code) in the last ``REAUTHENTICATE_MINUTES``."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated and not confirmed_recently():
            # After confirming, back to this page (or, for a form post, to the form's page).
            if request.method == "GET":
                next_url = request.full_path.rstrip("?")
            else:
                next_url = urlsplit(request.referrer or "").path or None
            return redirect(url_for("auth.confirm_identity", next=next_url))
        return view(*args, **kwargs)

    return wrapped


def expire_old_sessions() -> None:
    """``before_request``: end a session that has been idle or open too long (audited).

    The page's own files (stylesheets, scripts, icons) need no session: they are served
    without a look at it, so a replayed cookie is one refusal per page, not one per file."""
    if (request.path.startswith("/api/") or request.endpoint == "static"
            or "_user_id" not in session):
        return
    if not current_user.is_authenticated:
        # A session that was ended (sign-out, a new password, a commissioner): whoever sends
        # its cookie again is signed out, and the replay is kept in the audit trail.
        user_id = str(session["_user_id"]).partition(".")[0]
        # Anyone holding such a cookie can send it again and again: counted, not each chained.
        audit.record_repeatable("auth.session_refused", reason="session ended",
                                subject_type="user", subject_id=user_id,
                                details={"reason": "session ended"})
        db.session.commit()
        session.clear()
        return
    config, now = current_app.config, _now()
    signed_in_at = int(session.get("signed_in_at", 0))
    seen_at = int(session.get("seen_at", 0))
    if now - signed_in_at > config["SESSION_MAX_HOURS"] * 3600:
        reason, message = "absolute", (
            f"You have been signed out because you signed in more than "
            f"{config['SESSION_MAX_HOURS']} hours ago. Sign in again to continue.")
    elif now - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        reason, message = "idle", (
            f"You have been signed out because you did nothing for "
            f"{config['SESSION_IDLE_MINUTES']} minutes. Sign in again to continue.")
    else:
        if now - seen_at >= 30:  # keep the cookie quiet between close requests
            session["seen_at"] = now
        return
    audit.record("auth.session_expired", actor=current_user, subject=current_user,
                 details={"reason": reason})
    db.session.commit()
    end()
    flash(message, "info")


# The sign-out warning comes this long before the session ends (WCAG 2.2.1 asks for a warning
# and at least 20 seconds to ask for more time), or half-way through a shorter session.
WARN_BEFORE_SECONDS = 2 * 60


def time_left() -> dict[str, int | bool]:
    """How long the signed-in session has before it ends, for the sign-out warning:
    ``seconds`` left, how many before the end to ``warn``, and whether the end is ``final``
    (``SESSION_MAX_HOURS`` after signing in: no activity postpones it)."""
    config, now = current_app.config, _now()
    idle_left = int(session.get("seen_at", 0)) + config["SESSION_IDLE_MINUTES"] * 60 - now
    final_left = int(session.get("signed_in_at", 0)) + config["SESSION_MAX_HOURS"] * 3600 - now
    return {"seconds": max(0, min(idle_left, final_left)), "final": final_left <= idle_left,
            "warn": min(WARN_BEFORE_SECONDS, config["SESSION_IDLE_MINUTES"] * 30)}


def init_app(app: Flask) -> None:
    app.before_request(expire_old_sessions)

    @app.context_processor
    def session_timeout():
        # Only pages of a signed-in person's request (not e-mails rendered by a command).
        signed_in = (has_request_context() and current_user.is_authenticated
                     and "_user_id" in session)
        return {"session_time_left": time_left() if signed_in else None}
