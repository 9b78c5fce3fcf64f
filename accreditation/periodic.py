"""Periodic work done once however many hosts start it at the same moment.

``accreditation tick``, ``notifications send`` and ``evidence sweep`` may be in the crontab of
every app host. Each run first takes its command's lock; a run that finds the lock taken says
so and ends at once with success, leaving the work to the run that holds it (the work is
idempotent, so the next run from cron picks up anything left).

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
  own, held for the whole run. PostgreSQL ends it when that connection ends, so a run killed
  or a host lost never leaves it behind. It needs a session of its own: behind a connection
  pooler, give these commands a direct connection or session pooling.
- SQLite (one host by nature): an exclusive ``flock`` on a file beside the database file,
  released by the system when the process ends. Not a transaction, so the site's requests
  keep writing while the work runs.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import click
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime, utcnow
from .extensions import db


class PeriodicRun(db.Model):
    """When each piece of periodic work last finished without an error (for the metrics:
    a tick that has not succeeded for a day is worth an alert)."""

    __tablename__ = "periodic_run"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    last_success_at: Mapped[datetime] = mapped_column(UTCDateTime())


def record_success(name: str) -> None:
    """Note that the work called ``name`` has just finished without an error."""
    db.session.rollback()
    db.session.merge(PeriodicRun(name=name, last_success_at=utcnow()))
    db.session.commit()


def lock_key(name: str) -> int:
    """The advisory lock's number for the work called ``name``: the same on every host."""
    digest = hashlib.sha256(f"accreditation {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Hold the lock of the work called ``name`` for the ``with`` block; yields whether this
    process has it (False: another process or host is doing the work now)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, lock_key(name)) as held:
            yield held
    elif engine.dialect.name == "sqlite":
        with _file_lock(engine.url.database, name) as held:
            yield held
    else:
        yield True


@contextmanager
def _advisory_lock(engine: sa.Engine, key: int) -> Iterator[bool]:
    connection = engine.connect()
    held = False
    try:
        held = bool(connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"),
                                      {"key": key}))
        connection.commit()  # not idle in a transaction while the work runs
        yield held
    finally:
        try:
            if held:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
        except sa.exc.DBAPIError:
            # The lock goes with the connection: never hand a connection that may still hold
            # it back to the pool.
            connection.invalidate()
        connection.close()


@contextmanager
def _file_lock(database: str | None, name: str) -> Iterator[bool]:
    if not database or database == ":memory:" or database.startswith("file:"):
        yield True  # a database in this process's memory: no other process can reach it
        return
    path = f"{database}.{name.replace(' ', '-')}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # releases the lock


def once_at_a_time(name: str) -> Callable:
    """For a CLI command: run it under ``exclusive(name)``, and note when it finished without
    an error (``record_success``); when another run holds the lock, say so and exit 0 having
    done nothing."""
    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def run(*args, **kwargs):
            with exclusive(name) as held:
                if not held:
                    click.echo(f"accreditation {name} is already running (on this host or "
                               "another); nothing done.")
                    return None
                result = command(*args, **kwargs)
                record_success(name)
                return result
        return run
    return decorate
