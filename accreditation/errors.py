"""Domain errors: one class per kind, mapped once to an HTTP status and a message.

Operations raise these; the web layer (``register_error_handlers``) turns them into a
friendly page, or a JSON problem object for ``/api/`` paths. No stack trace reaches a user.
"""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, SecurityError

from .denials import record_request_denial
from .extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    status_code = 400
    title = "There is a problem"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    status_code = 400
    title = "There is a problem"


class Unauthenticated(DomainError):
    status_code = 401
    title = "Authentication needed"


class NotPermitted(DomainError):
    status_code = 403
    title = "You do not have permission to do this"


class NotFound(DomainError):
    status_code = 404
    title = "Page not found"


class InvalidTransition(DomainError):
    status_code = 409
    title = "That action is not possible now"


class Conflict(DomainError):
    status_code = 409
    title = "Someone else changed this first"


class Unavailable(DomainError):
    """Something the service relies on for this page cannot be reached now."""
    status_code = 503
    title = "Sorry, the service is unavailable"


class TooManyAttempts(DomainError):
    status_code = 429
    title = "Too many attempts"


# What a person sees for errors raised by Flask itself (unknown pages, wrong methods...).
HTTP_MESSAGES = {
    400: ("There is a problem", "The request could not be understood. Go back and try again."),
    401: ("Sign in to continue", "You need to sign in to see this page."),
    403: ("You do not have permission to see this page", ""),
    404: ("Page not found", ""),
    405: ("This action is not possible here",
          "The page does not accept that kind of request. Go back and use the page's buttons."),
    413: ("The file is too large", "Choose a smaller file and try again. Nothing was saved."),
    429: ("Too many requests", "Wait a few minutes and try again."),
}
SERVER_ERROR = (
    "Sorry, there is a problem with the service",
    "Try again later. What you entered has not been saved.",
)
UNKNOWN_HOST = "Bad request: this service does not answer to that host name.\n"
# The database cannot be reached (restarting, failing over, network): a passing outage.
DATABASE_UNAVAILABLE = (
    "Sorry, the service is unavailable",
    "Try again in a few minutes. What you entered may not have been saved: check before "
    "you send it again.",
)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/healthz/details")


def route_pattern() -> str:
    """The request's route as declared (``/invitations/<token>``) for the log, never the
    address itself: an address can carry a secret (an invitation's token) or a search."""
    rule = request.url_rule
    return rule.rule if rule is not None else "(no route)"


def _render(status: int, title: str, detail: str):
    if _wants_json():
        response = jsonify(type="about:blank", title=title, status=status, detail=detail)
        response.status_code = status
        response.mimetype = "application/problem+json"
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="accreditation"'
        return response
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def register_error_handlers(app: Flask) -> None:
    def audit_refusal(reason: str, **details):
        """Audit a refusal from inside an error handler. An error raised here would escape
        every handler as a bare server error: if the database cannot take the event (locked,
        restarting), the answer is that the service is unavailable, as for any request."""
        try:
            record_request_denial(reason, **details)
        except (OperationalError, InterfaceError) as error:
            return database_unavailable(error)
        return None

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        # Refused by an operation's own rule (not the route's): audited all the same.
        if (isinstance(error, NotPermitted) and not g.get("denial_recorded")
                and (unavailable := audit_refusal("operation not permitted")) is not None):
            return unavailable
        return _render(error.status_code, error.title, error.message)

    @app.errorhandler(StaleDataError)
    def stale_data(error: StaleDataError):
        # Two people changed the same record at once; the version counter caught it.
        db.session.rollback()
        return _render(409, Conflict.title, "Someone else changed this at the same moment. "
                       "Nothing was saved: reload the page and try again.")

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        log.warning("CSRF refused: %s", error.description)
        # A forged or stale form: refused, and kept in the audit trail like any refusal.
        if (unavailable := audit_refusal("form token missing or invalid",
                                         problem=error.description)) is not None:
            return unavailable
        return _render(
            400,
            "Your form has expired",
            "For your security, forms expire after a while or when you sign in again. "
            "Go back, reload the page and try again. Nothing was saved.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        original = getattr(error, "original_exception", None)
        if isinstance(original, OperationalError | InterfaceError):
            # A database error that escaped another handler: still only "unavailable".
            return database_unavailable(original)
        if isinstance(error, SecurityError):
            # A host the service does not answer to: nothing is built for it, not even a page.
            return app.response_class(UNKNOWN_HOST, status=400, mimetype="text/plain")
        status = error.code or 500
        title, detail = HTTP_MESSAGES.get(status, SERVER_ERROR)
        return _render(status, title, detail)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: OperationalError | InterfaceError):
        # The pool checks connections before use (pool_pre_ping), so the next request after
        # the database is back gets a fresh one: no restart needed.
        try:
            db.session.rollback()
        except SQLAlchemyError:
            db.session.remove()
        # Render as signed out: finding the signed-in user would ask the database again.
        g._login_user = app.login_manager.anonymous_user()
        log.warning("database unavailable on %s %s: %s", request.method, route_pattern(),
                    type(error.orig).__name__)
        response = _render(503, *DATABASE_UNAVAILABLE)
        if isinstance(response, tuple):
            response = app.make_response(response)
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, route_pattern())
        return _render(500, *SERVER_ERROR)
