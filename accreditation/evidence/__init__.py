"""Evidence files: storage backends, upload checks, and the records and pages built on them.

``init_app`` sets up the storage backend and the malware scanner once per app, from the
settings (``STORAGE``, ``STORAGE_LOCAL_PATH``, ``S3_*``, ``SCANNER_URL``...); ``bp`` holds the
pages under ``/evidence``; ``storage_health`` is for the health check's details
(``main/health.py``).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app

bp = Blueprint("evidence", __name__, url_prefix="/evidence")


def init_app(app: Flask) -> None:
    """Build the storage backend and scanner, unless the app already has them (a test may
    hand in its own, e.g. a bucket on a throwaway S3 server)."""
    from .backends import storage_from_config
    from .scanning import scanner_from_config

    if "evidence_storage" not in app.extensions:
        app.extensions["evidence_storage"] = storage_from_config(
            app.config, instance_path=app.instance_path)
    if "evidence_scanner" not in app.extensions:
        app.extensions["evidence_scanner"] = scanner_from_config(app.config)

    from .operations import evidence_for_condition

    app.add_template_global(evidence_for_condition)


def storage_health() -> dict:
    """For the health check's details: the storage backend's status decides (``ok`` or
    ``unavailable``); the scanner's is reported beside it but does not, because with the
    scanner down uploads are kept quarantined and released files can still be downloaded."""
    health = dict(current_app.extensions["evidence_storage"].health())
    scanner = current_app.extensions["evidence_scanner"]
    health["scanner"] = scanner.health()["status"] if scanner.configured else "not configured"
    return health

