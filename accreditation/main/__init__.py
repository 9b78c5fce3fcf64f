"""Start page, each role's way home, health check and the service's own pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from ..auth.models import Role
from ..auth.permissions import public
from ..extensions import db

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
    from ..evidence import storage_health

    checks = {"database": _database_health(), "evidence_storage": storage_health(),
              "data_keys": _data_keys_health()}
    healthy = all(check["status"] == "ok" for check in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503


def _database_health() -> dict:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return {"status": "unavailable", "error": type(error).__name__}
    return {"status": "ok", "backend": db.engine.dialect.name}


def _data_keys_health() -> dict:
    """Whether ``ACCREDITATION_DATA_KEYS`` opens the newest sealed secret: a key removed too
    soon after a change would otherwise show only as failing sign-ins."""
    from ..auth.models import User
    from ..sealing import SealedValueError

    try:
        db.session.scalar(sa.select(User.totp_secret).where(User.totp_secret.is_not(None))
                          .order_by(User.id.desc()).limit(1))
    except SealedValueError:
        db.session.rollback()
        return {"status": "unavailable", "detail": "the keys do not open the sealed secrets"}
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return {"status": "unavailable", "error": type(error).__name__}
    return {"status": "ok"}


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
