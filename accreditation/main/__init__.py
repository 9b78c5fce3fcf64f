"""Start page, each role's way home, health check and the service's own pages."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from .. import audit, metrics
from ..auth.models import Role
from ..auth.permissions import allow, public
from ..extensions import db
from . import health

bp = Blueprint("main", __name__)

HOME_ENDPOINTS = {
    Role.PROVIDER: "providers.home",
    Role.INSPECTOR: "stages.inspector_home",
    Role.COMMISSIONER: "admin.home",
    Role.SOCIAL_WORKER: "register.home",
}


@bp.route("/")
@public
def home():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_ENDPOINTS[current_user.role]))
    return render_template("main/start.html")


@bp.route("/healthz")
@public
def healthz():
    """Liveness, for anyone: a load balancer needs no more (``health.py``)."""
    alive = health.liveness()
    return jsonify(status="ok" if alive else "unavailable"), 200 if alive else 503


@bp.route("/healthz/details")
@allow(Role.COMMISSIONER)
def healthz_details():
    details = health.details()
    return jsonify(details), 200 if details["status"] == "ok" else 503


@bp.route("/metrics")
@public
def metrics_page():
    """For Prometheus, with ``ACCREDITATION_METRICS_TOKEN`` as a bearer token (``metrics.py``);
    not there at all while no token is set."""
    header = request.headers.get("Authorization", "")
    allowed = metrics.authorised(header)
    if allowed is None:
        return Response("Not found\n", 404, mimetype="text/plain")
    if not allowed:
        # Anyone can ask again and again: counted, not each chained (never the header itself).
        audit.record_repeatable("access.metrics_refused",
                                reason="wrong token" if header else "no token",
                                details={"reason": "wrong token" if header else "no token"})
        db.session.commit()
        return Response("The metrics need the bearer token ACCREDITATION_METRICS_TOKEN.\n",
                        401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                        mimetype="text/plain")
    body, content_type = metrics.exposition()
    return Response(body, 200, {"Cache-Control": "no-store"}, content_type=content_type)


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")


@bp.route("/cookies")
@public
def cookies():
    return render_template("main/cookies.html")
