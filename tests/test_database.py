"""The embedded database (SQLite) under concurrent writers: requests wait for each other's
writes instead of failing, and a refusal that cannot be audited is a friendly 503."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from accreditation import audit, create_app
from accreditation.audit import AuditEvent
from accreditation.auth.permissions import public
from accreditation.extensions import db

from .conftest import Client, config_for, running_app


@pytest.fixture
def sqlite_file(tmp_path) -> str:
    """A SQLite database file migrated to head (the embedded default's kind)."""
    url = f"sqlite:///{tmp_path / 'accreditation.sqlite'}"
    app = create_app(config_for(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def sqlite_app(sqlite_file):
    yield from running_app(config_for(sqlite_file))


class BusyWriter(threading.Thread):
    """Another process's writes: transactions that hold the write lock for ``hold`` seconds
    and commit, over and over, until stopped."""

    def __init__(self, path: str, hold: float, pause: float = 0.02):
        super().__init__(daemon=True)
        self.path, self.hold, self.pause = path, hold, pause
        self.stop = threading.Event()
        self.holding = threading.Event()
        self.commits = 0

    def run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            while not self.stop.is_set():
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("UPDATE council SET name = name")
                connection.execute("UPDATE audit_chain_head SET seq = seq WHERE id = 1")
                self.holding.set()
                time.sleep(self.hold)
                connection.execute("COMMIT")
                self.commits += 1
                time.sleep(self.pause)
        finally:
            connection.close()


def database_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_sign_in_failures_wait_for_other_writers_instead_of_failing(sqlite_app, sqlite_file):
    """Each failed sign-in reads (the account, the recent failures) and then writes (the
    attempt, the audit event): under other writers it waits for them, never 503."""
    threads, per_thread = 4, 6
    writer = BusyWriter(database_path(sqlite_file), hold=0.15)

    def guesses(thread: int) -> list[int]:
        client = sqlite_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{thread + 1}"
        return [client.submit("/sign-in", {"email": f"guess{thread}.{n}@example.org",
                                           "password": "guessing away"}).status_code
                for n in range(per_thread)]

    writer.start()
    writer.holding.wait(5)
    try:
        with ThreadPoolExecutor(threads) as pool:
            statuses = [status for batch in pool.map(guesses, range(threads))
                        for status in batch]
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.commits > 0
    assert statuses == [400] * (threads * per_thread)  # the form again, "incorrect"
    assert actions().count("auth.sign_in_failed") == threads * per_thread
    assert audit.verify().ok


def test_refusals_are_audited_while_others_write(sqlite_app, sqlite_file):
    """Forms without their token: each refusal is audited, in turn, while other writers
    commit (the first from each address chained, the repeats counted beside the chain)."""
    threads, per_thread = 4, 5
    writer = BusyWriter(database_path(sqlite_file), hold=0.15)

    def refused(thread: int) -> list[int]:
        client = sqlite_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{thread + 1}"
        return [client.post("/sign-in", data={"email": "a@example.org"}).status_code
                for _ in range(per_thread)]

    writer.start()
    writer.holding.wait(5)
    try:
        with ThreadPoolExecutor(threads) as pool:
            statuses = [status for batch in pool.map(refused, range(threads))
                        for status in batch]
    finally:
        writer.stop.set()
        writer.join(10)
    assert statuses == [400] * (threads * per_thread)  # "Your form has expired"
    assert actions().count("access.denied") == threads  # one chained per address...
    counted = db.session.scalars(sa.select(audit.AuditRepeat.times).where(
        audit.AuditRepeat.action == "access.denied")).all()
    assert sum(counted) == threads * per_thread  # ...and every one of them counted
    assert audit.verify().ok


def test_a_refusal_that_cannot_be_audited_is_a_friendly_503(sqlite_file, monkeypatch):
    """The database stays locked for longer than a request waits: the refusal cannot be
    written, and the person is told the service is unavailable, never shown a server error;
    the open data feed, which only reads, says the same."""
    import accreditation.database

    monkeypatch.setattr(accreditation.database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    # As in production: an error escaping the handlers becomes a response, not a test error.
    app = create_app(config_for(sqlite_file, PROPAGATE_EXCEPTIONS=False))
    app.test_client_class = Client
    writer = BusyWriter(database_path(sqlite_file), hold=3.0)
    writer.start()
    writer.holding.wait(5)
    try:
        form = app.test_client().post("/sign-in", data={"email": "a@example.org"})
        feed = app.test_client().get("/openreferral/services")
    finally:
        writer.stop.set()
        writer.join(10)
    assert form.status_code == 503
    assert "Sorry, the service is unavailable" in form.text
    assert "Sorry, there is a problem with the service" not in form.text
    assert form.headers["Retry-After"] == "30"
    # The open data feed answers in its own kind: a problem object.
    assert feed.status_code == 503
    assert feed.mimetype == "application/problem+json"
    assert feed.json["title"] == "Sorry, the service is unavailable"
    assert feed.headers["Retry-After"] == "30"


def test_the_liveness_check_answers_at_once_while_another_writes(sqlite_file):
    """A load balancer's check only reads: it never waits for another transaction's write
    lock, so a busy database does not take the service out of rotation."""
    app = create_app(config_for(sqlite_file))
    writer = BusyWriter(database_path(sqlite_file), hold=3.0)
    writer.start()
    writer.holding.wait(5)
    try:
        started = time.monotonic()
        response = app.test_client().get("/healthz")
        waited = time.monotonic() - started
    finally:
        writer.stop.set()
        writer.join(10)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert waited < 1.0


def test_a_database_error_escaping_another_error_handler_is_still_a_friendly_503(sqlite_file):
    app = create_app(config_for(sqlite_file, PROPAGATE_EXCEPTIONS=False))

    class Odd(Exception):
        pass

    @app.route("/odd")
    @public
    def odd():
        raise Odd

    @app.errorhandler(Odd)
    def handle_odd(error):  # a handler that writes, and finds the database locked
        raise sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    response = app.test_client().get("/odd")
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in response.text
    assert response.headers["Retry-After"] == "30"
