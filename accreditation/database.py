"""Column types and helpers shared by every model."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
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


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave like the production database where it matters.

    Foreign keys are enforced, and transactions begin with ``BEGIN`` issued by SQLAlchemy
    rather than the sqlite3 module's own guesswork, so that savepoints and transactional
    DDL work (the recipe from SQLAlchemy's SQLite dialect documentation).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN")


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

