"""Column types and helpers shared by every model."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no time zones, so values are stored as naive UTC and handed back aware;
    naive values are refused on the way in rather than guessed at.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def enum_type(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR + CHECK constraint, storing the member values."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
    )


# How long a SQLite transaction waits for another's write lock before giving up ("database
# is locked", answered as the service being unavailable).
SQLITE_BUSY_TIMEOUT_MS = 10_000
# An execution option for a connection whose transactions only read: on SQLite they begin as
# readers, which never wait for the write lock (the liveness check answers at once).
READ_ONLY = "accreditation_read_only"


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave like the production database where it matters.

    Foreign keys are enforced, and transactions begin with a ``BEGIN`` issued by SQLAlchemy
    rather than the sqlite3 module's own guesswork, so that savepoints and transactional
    DDL work (the recipe from SQLAlchemy's SQLite dialect documentation).

    While the app answers a request, transactions begin with ``BEGIN IMMEDIATE``: they take
    the write lock at once, waiting up to the busy timeout for it. A request's transaction
    that began as a reader and then wrote (a sign-in reads the account, then records the
    attempt) could not wait: SQLite refuses that upgrade at once, whatever the timeout, when
    another connection holds the lock or has committed since the transaction's first read
    ("database is locked"). So on SQLite the requests' transactions run one at a time, and
    the others wait their turn instead of failing. Work outside a request (the commands,
    the tests' own sessions) and connections marked ``READ_ONLY`` begin as readers, which in
    WAL mode are never held up by a writer: a long ``audit verify`` does not stop the service.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_MS)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        writer = has_request_context() and not connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def close_sessions_safely(app, db) -> None:
    """End each request's session without letting a dead connection fail the response.

    Flask-SQLAlchemy ends the session after the response is made by rolling it back; if the
    database went away in between (restart, failover), that ROLLBACK raises and the finished
    response is lost to a bare server error. Here (run first: teardowns run in reverse order)
    the session is closed, and if its connection is dead it is invalidated instead, so the
    pool replaces it (``pool_pre_ping`` catches the others) and the app recovers by itself.
    """

    @app.teardown_appcontext
    def close_session(_error):
        try:
            db.session.remove()
        except sa.exc.SQLAlchemyError:
            db.session().invalidate()  # the scoped session still holds it
            db.session.remove()

