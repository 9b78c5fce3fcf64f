"""The health check: liveness for anyone, the details for the people who run the service.

``liveness`` is what ``/healthz`` answers to anyone (a load balancer): whether this process
reaches its database, and nothing more (no database kind, scanner state or version: that
would tell a stranger what to attack). Its read never waits for another transaction's write
lock (``database.READ_ONLY``), so a busy SQLite database does not take the service out of
rotation.

``details`` is for commissioners (``/healthz/details``) and for operators on the servers
(``accreditation health``, which exits 1 when something is unavailable): the database, its
kind and migrations; the evidence storage and the malware scanner; whether the data keys
open the sealed secrets; the e-mail outbox. The database, the storage and the keys decide the
status. The scanner is reported beside them but does not, because with the scanner down
uploads are kept quarantined and released files can still be downloaded; the outbox likewise.
"""

from __future__ import annotations

import functools
from importlib import metadata

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .. import paths
from ..database import READ_ONLY
from ..extensions import db


def liveness() -> bool:
    """Whether the database answers, on a connection of its own that only reads."""
    try:
        with db.engine.connect() as connection:
            connection.execution_options(**{READ_ONLY: True})
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError:
        return False
    return True


def details() -> dict:
    """Everything the health check knows, with ``status`` ``ok`` or ``unavailable``."""
    from ..evidence import storage_health

    checks = {"database": _database(), "evidence_storage": storage_health(),
              "data_keys": _data_keys()}
    healthy = all(check["status"] == "ok" for check in checks.values())
    return {"status": "ok" if healthy else "unavailable", "version": _version(), **checks,
            "outbox": _outbox() if checks["database"]["status"] == "ok" else None}


def _database() -> dict:
    try:
        connection = db.session.connection()
        current = sorted(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return {"status": "unavailable", "error": type(error).__name__}
    expected = _migration_heads()
    health = {"status": "ok", "backend": db.engine.dialect.name,
              "migrations": {"current": current, "expected": expected}}
    if current != expected:
        health.update(status="unavailable",
                      detail="the database is not at the migrations' head: run "
                             "accreditation db upgrade")
    return health


@functools.cache
def _migration_heads() -> list[str]:
    return sorted(ScriptDirectory(str(paths.folder("migrations"))).get_heads())


def _data_keys() -> dict:
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


def _outbox() -> dict:
    """E-mails waiting to be sent, and those given up on after too many failed attempts."""
    from ..notifications.outbox import MAX_ATTEMPTS, OutboxMessage

    unsent = OutboxMessage.sent_at.is_(None)
    waiting = sa.and_(unsent, OutboxMessage.attempts < MAX_ATTEMPTS)
    queued, oldest = db.session.execute(
        sa.select(sa.func.count(OutboxMessage.id), sa.func.min(OutboxMessage.created_at))
        .where(waiting)).one()
    given_up = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
        unsent, OutboxMessage.attempts >= MAX_ATTEMPTS))
    return {"queued": queued, "given_up": given_up,
            "oldest_queued_at": oldest.isoformat() if oldest else None}


def _version() -> str:
    try:
        return metadata.version("accreditation")
    except metadata.PackageNotFoundError:
        return "unknown"
