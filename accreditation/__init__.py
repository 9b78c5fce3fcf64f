"""Accreditation of supported accommodation providers for a consortium of councils."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, g
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import BytecodeCache, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from . import companies, paths
from . import config as settings
from .database import close_sessions_safely, configure_sqlite
from .extensions import csrf, db, login_manager, migrate
from .routing import RecordIdConverter
from .sealing import keys_from_setting
from .uploads import UploadRequest


class _CompiledTemplates(BytecodeCache):
    """Compiled templates kept in memory for every app this process builds.

    Each app has its own Jinja environment, which compiles a template on first use; the GOV.UK
    macros take most of a second. A process that builds more than one app (the test suite builds
    one for each test) compiles each template once. Jinja checks the source's
    checksum before using an entry, so an edited template is compiled again. Every app is set up
    alike (``trim_blocks``, ``lstrip_blocks``, the same extensions), which sharing requires.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides settings read from ``ACCREDITATION_*`` variables."""
    app = Flask(
        __name__,
        instance_path=paths.instance_folder(),
        instance_relative_config=True,
        static_folder="static",
    )
    app.url_map.converters["int"] = RecordIdConverter  # ids beyond the database's are 404
    app.request_class = UploadRequest  # uploaded files parsed in larger pieces
    app.config.update(settings.from_environment(app.instance_path))
    app.config.update(companies.settings_from_environment())
    if config:
        app.config.update(config)
    app.config["TESTING"] = app.config["ENV_NAME"] == "testing" or app.config.get("TESTING", False)
    settings.check(app.config, app.instance_path)
    app.extensions["data_keys"] = keys_from_setting(app.config["DATA_KEYS"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(paths.folder("templates"))),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.bytecode_cache = _COMPILED_TEMPLATES
    WTFormsHelpers(app)

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    close_sessions_safely(app, db)
    migrate.init_app(app, db, directory=str(paths.folder("migrations")), compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    _register_models()
    _register_blueprints(app)
    from .evidence import init_app as init_evidence

    init_evidence(app)  # the storage backend and malware scanner, once per app

    from . import api, errors, security
    from .auth import permissions, sessions

    errors.register_error_handlers(app)
    api.init_app(app)  # bearer tokens first: the permission check needs the API user
    sessions.init_app(app)  # then sessions too old end, before the permission check
    permissions.init_app(app)
    security.init_app(app)
    from . import compression

    compression.init_app(app)  # static assets and tablet pages, for the page-weight budget
    from . import logs, metrics

    metrics.init_app(app)  # requests counted and timed by route pattern
    logs.init_app(app)  # each request's id, for its log lines and the response

    from .cli import register_commands

    register_commands(app)

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

    from . import proxies

    proxies.init_app(app)  # last: the outermost layer, so all of the app sees the client

    if not app.testing:
        logs.configure(app.config["LOG_FORMAT"])
        # transitions narrates every callback at INFO; the audit trail already records changes.
        logging.getLogger("transitions").setLevel(logging.WARNING)
    return app


def _register_models() -> None:
    # Importing the modules registers every table on ``db.metadata`` (migrations need them all).
    from . import audit, councils, periodic  # noqa: F401
    from .auth import models as auth_models  # noqa: F401
    from .cases import models as case_models  # noqa: F401
    from .evidence import models as evidence_models  # noqa: F401
    from .notifications import outbox  # noqa: F401
    from .providers import models as provider_models  # noqa: F401
    from .register import index as register_index  # noqa: F401  (and keeps it in step)
    from .stages import models as stage_models  # noqa: F401
    from .standards import models as standards_models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    # Views are imported here, not by their packages, so that importing a model never pulls
    # in every view (and with them, import cycles).
    from . import (
        admin,
        api,
        auth,
        cases,
        evidence,
        main,
        providers,
        register,
        stages,
        standards,
        teams,
    )
    from .admin import views as _admin_views  # noqa: F401
    from .api import inspections as _api_inspections  # noqa: F401  (the tablet's sync)
    from .api import register as _api_register  # noqa: F401
    from .api import views as _api_views  # noqa: F401
    from .auth import account_views as _auth_account_views  # noqa: F401
    from .auth import views as _auth_views  # noqa: F401
    from .cases import views as _case_views  # noqa: F401
    from .evidence import views as _evidence_views  # noqa: F401
    from .providers import views as _provider_views  # noqa: F401
    from .register import openreferral  # the open data feed, its own blueprint
    from .register import views as _register_views  # noqa: F401
    from .stages import views as _stage_views  # noqa: F401
    from .standards import draft_views as _standards_draft_views  # noqa: F401
    from .standards import views as _standards_views  # noqa: F401
    from .teams import views as _team_views  # noqa: F401

    for package in (main, auth, providers, teams, stages, admin, register, standards, cases,
                    api, evidence, openreferral):
        app.register_blueprint(package.bp)
