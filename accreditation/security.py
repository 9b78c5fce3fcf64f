"""Response headers that every response carries, and the methods the app answers to.

Every response, whatever produced it (a page, the API, a static file, an error page, Flask's
own 404 and 405), gets the headers below from one ``after_request`` hook:

- a Content Security Policy with no inline script: an HTML page may run its own inline
  script only with the request's nonce (GOV.UK Frontend's ``js-enabled`` line); any other
  response's policy carries no nonce at all. Nothing may frame the service.
- HSTS: production always sends it. The service runs behind a TLS-terminating proxy, so the
  request gunicorn sees may look like plain HTTP; a browser ignores HSTS received over HTTP,
  so sending it there costs nothing. Development and testing over HTTP leave it out.
- ``nosniff``, ``X-Frame-Options: DENY``, a same-origin referrer, a Permissions-Policy that
  turns off what the service never uses, and cross-origin isolation of windows and resources
  (the open data feed excepted: it is meant to be read from anywhere).

Form data: a page form reads posted text for its text fields and uploaded files only for
its file fields, and never a JSON body (browsers post forms; the tablet's JSON goes to the
API). Flask-WTF would hand a text field whatever came under its name, a file or a JSON
list, and the field's filters and validators expect text. A date is read as exactly the
three boxes the page shows (missing ones blank), which is what its widget shows again.

Methods: a route answers only to the methods it implements (HEAD follows GET). Flask would
answer OPTIONS everywhere; only the open data feed keeps it, for CORS preflights from other
sites. Everywhere else OPTIONS is 405, like TRACE and any other method, with an ``Allow``
header naming what the address does accept.
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g, has_request_context, request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto  # the "read the request" default of Flask-WTF 1.x
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms.fields import FileField, MultipleFileField

# Blueprints read from other sites' pages (CORS): they keep OPTIONS and cross-origin reads.
CROSS_ORIGIN_BLUEPRINTS = frozenset({"openreferral"})

READ_METHODS = ("GET", "HEAD", "OPTIONS")
HSTS = "max-age=31536000; includeSubDomains"
PERMISSIONS_POLICY = ", ".join([
    "accelerometer=()", "autoplay=()", "camera=(self)", "display-capture=()",
    "geolocation=()", "gyroscope=()", "magnetometer=()", "microphone=()", "midi=()",
    "payment=()", "usb=()", "xr-spatial-tracking=()",
])


def content_security_policy(nonce: str | None) -> str:
    """The policy; ``nonce`` only for an HTML page, whose template may use it."""
    scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'; frame-ancestors 'none'"
    )


def sends_hsts(app: Flask) -> bool:
    """Whether this request's response gets HSTS: always in production."""
    return app.config.get("ENV_NAME") == "production" or request.is_secure


def init_app(app: Flask) -> None:
    answer_options_only_where_cors_needs_it(app)
    FlaskForm.Meta.wrap_formdata = page_form_data

    # URL value preprocessors run before every ``before_request`` hook, so a page rendered
    # by one of those (an expired form, a refusal) has its nonce too.
    @app.url_value_preprocessor
    def new_csp_nonce(endpoint, values):
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def security_headers(response):
        html = response.mimetype == "text/html"
        # A response that set its own policy (a sandboxed download) keeps it.
        response.headers.setdefault(
            "Content-Security-Policy",
            content_security_policy(g.get("csp_nonce") if html else None))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = PERMISSIONS_POLICY
        response.headers["X-Permitted-Cross-Domain-Policies"] = "none"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        open_to_all = request.blueprint in CROSS_ORIGIN_BLUEPRINTS
        response.headers["Cross-Origin-Resource-Policy"] = (
            "cross-origin" if open_to_all else "same-origin")
        if sends_hsts(current_app):
            response.headers["Strict-Transport-Security"] = HSTS
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if open_to_all and request.method == "OPTIONS" and response.status_code == 200:
            # A CORS preflight: the feed is read-only, whatever its write routes answer.
            response.headers["Allow"] = ", ".join(READ_METHODS)
            response.headers["Access-Control-Allow-Methods"] = ", ".join(READ_METHODS)
            response.headers["Access-Control-Max-Age"] = "86400"
        if response.status_code == 405 and "Allow" not in response.headers:
            allowed = allowed_methods()
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response


def answer_options_only_where_cors_needs_it(app: Flask) -> None:
    """Take away the OPTIONS that Flask adds to every route, except on the open feed.

    Call once every blueprint is registered. Matching reads a rule's methods when a request
    comes, so OPTIONS to these addresses is then 405 like any other method they do not use.
    """
    for rule in app.url_map.iter_rules():
        automatic = getattr(rule, "provide_automatic_options", False)
        blueprint = rule.endpoint.rpartition(".")[0]
        if automatic and blueprint not in CROSS_ORIGIN_BLUEPRINTS:
            rule.methods.discard("OPTIONS")
            rule.provide_automatic_options = False


def allowed_methods() -> list[str]:
    """The methods this request's address accepts (for a 405 that lost its ``Allow``)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    return sorted(adapter.allowed_methods())


def page_form_data(meta, form, formdata):
    """``FlaskForm.Meta.wrap_formdata``: the request's form, with files only under the names
    of the form's own file fields (anything else posted as a file is not there at all)."""
    if formdata is not _Auto:
        return formdata
    if not has_request_context() or request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return None
    file_fields = {field.name for field in form if isinstance(
        field, FileField | MultipleFileField)}
    files = MultiDict([(name, upload) for name, upload in request.files.items(multi=True)
                       if name in file_fields])
    text = request.form
    if not files and not text:
        return None  # as Flask-WTF: nothing posted is no form data (a JSON body is nothing)
    # A GOV.UK date is three boxes under one name; the widget shows exactly three again.
    dates = {field.name for field in form if isinstance(field.widget, GovDateInput)}
    if any(len(text.getlist(name)) != 3 for name in dates):
        text = MultiDict(text)
        for name in dates:
            text.setlist(name, ([*text.getlist(name)] + ["", "", ""])[:3])
    return CombinedMultiDict([files, text]) if files else text
