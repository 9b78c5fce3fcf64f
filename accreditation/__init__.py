"""Accreditation of supported accommodation providers for a consortium of councils."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, g
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from . import config as settings
from .database import configure_sqlite
from .extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides settings read from ``ACCREDITATION_*`` variables."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        static_folder="static",
    )
    app.config.update(settings.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    app.config["TESTING"] = app.config["ENV_NAME"] == "testing" or app.config.get("TESTING", False)
    settings.check(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(ROOT / "templates")),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    _register_models()
    _register_blueprints(app)

    from . import api, errors, security
    from .auth import permissions

    errors.register_error_handlers(app)
    api.init_app(app)  # bearer tokens first: the permission check needs the API user
    permissions.init_app(app)
    security.init_app(app)

    from .cli import register_commands

    register_commands(app)

    @app.before_request
    def csp_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    from .forms import form_error_summary
    from .navigation import navigation_items

    app.add_template_global(form_error_summary)
    app.add_template_global(navigation_items)

    @app.context_processor
    def template_globals():
        return {
            "service_name": app.config["SERVICE_NAME"],
            "consortium_name": app.config["CONSORTIUM_NAME"],
            "csp_nonce": g.get("csp_nonce", ""),
        }

    if not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        # transitions narrates every callback at INFO; the audit trail already records changes.
        logging.getLogger("transitions").setLevel(logging.WARNING)
    return app


def _register_models() -> None:
    # Importing the modules registers every table on ``db.metadata`` (migrations need them all).
    from . import audit, councils  # noqa: F401
    from .auth import models as auth_models  # noqa: F401
    from .cases import models as case_models  # noqa: F401
    from .notifications import outbox  # noqa: F401
    from .providers import models as provider_models  # noqa: F401
    from .stages import models as stage_models  # noqa: F401
    from .standards import models as standards_models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .cases import bp as cases_bp
    from .main import bp as main_bp
    from .providers import bp as providers_bp
    from .register import bp as register_bp
    from .stages import bp as stages_bp
    from .standards import bp as standards_bp

    for blueprint in (main_bp, auth_bp, providers_bp, stages_bp, admin_bp, register_bp,
                      standards_bp, cases_bp, api_bp):
        app.register_blueprint(blueprint)
