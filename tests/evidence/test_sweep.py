"""Nothing lost, nothing orphaned: a record always has its file, and files without a record
are swept away, whether an upload fails at its commit or the server dies in the middle."""

from __future__ import annotations

import http.client
import io
import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.datastructures import FileStorage

from accreditation.audit import AuditEvent
from accreditation.evidence import operations
from accreditation.evidence.models import Evidence, EvidencePurpose
from accreditation.evidence.storage import new_key
from accreditation.extensions import db

from ..factories import TEST_PASSWORD, UserFactory
from . import samples
from .conftest import MiB, create_evidence_app, evidence_config, multipart_body

ROOT = Path(__file__).resolve().parents[2]
PDF = samples.pdf()
EVERYTHING = timedelta(seconds=-5)  # a negative age: every object is old enough to sweep


class Boom(RuntimeError):
    pass


def upload(actor, data: bytes = PDF, filename: str = "policy.pdf", **links) -> Evidence:
    return operations.upload_evidence(
        actor, actor.organisation, FileStorage(io.BytesIO(data), filename=filename),
        purpose=links.pop("purpose", EvidencePurpose.POLICY), **links)


def rows() -> list[Evidence]:
    return list(db.session.scalars(sa.select(Evidence).order_by(Evidence.id)))


def assert_every_row_has_its_objects(storage) -> None:
    for record in rows():
        assert storage.exists(record.storage_key), record
        if record.preview_key:
            assert storage.exists(record.preview_key), record


@pytest.fixture
def provider(app):
    return UserFactory(provider=True)


@pytest.fixture
def puts(monkeypatch, app_storage) -> list[str]:
    """The keys the upload stores, in order."""
    stored: list[str] = []
    put = app_storage.put

    def recording_put(key, data, **kwargs):
        sha256 = put(key, data, **kwargs)
        stored.append(key)
        return sha256

    monkeypatch.setattr(app_storage, "put", recording_put)
    return stored


# --- (a) the commit fails after the object is stored -------------------------------------------

@pytest.mark.parametrize("data", [PDF, samples.jpeg()], ids=["document", "photo and preview"])
def test_a_failed_commit_deletes_what_was_stored(monkeypatch, provider, app_storage, puts, data):
    def failing_commit():
        raise sa.exc.OperationalError("COMMIT", {}, Boom("the database went away"))

    monkeypatch.setattr(db.session, "commit", failing_commit)
    with pytest.raises(sa.exc.OperationalError):
        upload(provider, data)
    monkeypatch.undo()
    assert len(puts) == (1 if data is PDF else 2)  # it really was stored first
    assert not any(app_storage.exists(key) for key in puts)
    assert rows() == [] and list(app_storage.list_keys()) == []


def test_a_failure_before_the_commit_deletes_what_was_stored(monkeypatch, provider, app_storage,
                                                             puts):
    def failing_audit(*args, **kwargs):
        raise Boom("audit trail unavailable")

    monkeypatch.setattr(operations.audit, "record", failing_audit)
    with pytest.raises(Boom):
        upload(provider)
    assert len(puts) == 1 and not app_storage.exists(puts[0])
    assert rows() == []


def test_a_failed_preview_store_leaves_nothing(monkeypatch, provider, app_storage, puts):
    put = app_storage.put  # (the recording one)

    def preview_fails(key, data, **kwargs):
        if key.endswith("-preview"):
            raise OSError(28, "No space left on device")
        return put(key, data, **kwargs)

    monkeypatch.setattr(app_storage, "put", preview_fails)
    with pytest.raises(operations.StorageUnavailable, match="Nothing was saved"):
        upload(provider, samples.jpeg(), "photo.jpg", purpose=EvidencePurpose.PHOTO)
    assert len(puts) == 1 and not app_storage.exists(puts[0])
    assert rows() == [] and list(app_storage.list_keys()) == []


def test_a_commit_that_reports_failure_after_it_happened_keeps_the_object(
        monkeypatch, provider, app_storage, puts):
    """The connection can drop after the database committed: then the row exists, and
    deleting its object would leave a row pointing at nothing. Look before deleting."""
    commit = db.session.commit

    def committed_then_lost():
        commit()
        raise sa.exc.OperationalError("COMMIT", {}, Boom("connection lost on the way back"))

    monkeypatch.setattr(db.session, "commit", committed_then_lost)
    with pytest.raises(sa.exc.OperationalError):
        upload(provider)
    monkeypatch.undo()
    [record] = rows()
    assert record.storage_key == puts[0] and app_storage.exists(puts[0])


# --- (c) the sweep ------------------------------------------------------------------------------

@pytest.mark.parametrize("evidence_backend", ["local", "s3"])
def test_the_sweep_removes_only_objects_that_no_row_names(provider, app_storage, evidence_backend):
    document = upload(provider)
    photo = upload(provider, samples.jpeg(), "photo.jpg", purpose=EvidencePurpose.PHOTO)
    newer = upload(provider, samples.pdf(b"% v2\n"), "policy v2.pdf", supersedes=document)
    orphans = [new_key() for _ in range(3)]
    for key in orphans:
        app_storage.put(key, b"left by a crash", content_type="application/pdf", size=15)
    recorded = [document.storage_key, photo.storage_key, photo.preview_key, newer.storage_key]

    assert operations.sweep_orphans() == 0  # all of them younger than an hour
    assert operations.sweep_orphans(older_than=EVERYTHING) == 3
    assert sorted(app_storage.list_keys()) == sorted(recorded)
    assert_every_row_has_its_objects(app_storage)
    assert len(rows()) == 3
    assert operations.sweep_orphans(older_than=EVERYTHING) == 0
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "evidence.orphans_swept")).one()
    assert event.details["removed"] == 3


def test_the_sweep_works_through_many_objects_in_batches(monkeypatch, provider, app_storage):
    monkeypatch.setattr(operations, "SWEEP_BATCH", 3)
    kept = [upload(provider, samples.pdf(b"%% %d\n" % n)).storage_key for n in range(4)]
    for _ in range(5):
        app_storage.put(new_key(), b"x", content_type="application/pdf", size=1)
    assert operations.sweep_orphans(older_than=EVERYTHING) == 5
    assert sorted(app_storage.list_keys()) == sorted(kept)


def test_the_sweep_command_reports_what_it_removed(app, provider, app_storage):
    kept = upload(provider)
    app_storage.put(new_key(), b"orphan", content_type="application/pdf", size=6)
    crashed_write = app_storage.root / kept.storage_key.rsplit("/", 1)[0] / ".abc.tmp"
    crashed_write.write_bytes(b"half a file")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["evidence", "sweep"])
    assert result.exit_code == 0 and result.output == "Removed 0 orphaned evidence file(s).\n"
    result = runner.invoke(args=["evidence", "sweep", "--older-than-minutes=-1"])
    assert result.exit_code == 0, result.output
    assert result.output == "Removed 2 orphaned evidence file(s).\n"
    assert list(app_storage.list_keys()) == [kept.storage_key] and not crashed_write.exists()


def test_the_rescan_command_needs_a_scanner(app):
    result = app.test_cli_runner().invoke(args=["evidence", "rescan"])
    assert result.exit_code == 1 and "ACCREDITATION_SCANNER_URL" in result.output


# --- (b) the server is killed in the middle of an upload -----------------------------------------

# Runs the app in its own process on 127.0.0.1. With PAUSE_ON_PUT=n, the n-th object stored
# is followed by a long sleep inside the upload (stored, not yet committed): the test kills
# the process there. The pause is wrapped around the storage from outside: the app has no
# test-only code path.
SERVER = textwrap.dedent("""
    import os, time
    from pathlib import Path
    from werkzeug.serving import make_server
    from tests.evidence.conftest import create_evidence_app

    app = create_evidence_app()
    pause_on = int(os.environ.get("PAUSE_ON_PUT", "0"))
    if pause_on:
        storage, calls = app.extensions["evidence_storage"], []
        put = storage.put

        def put_then_pause(key, data, **kwargs):
            sha256 = put(key, data, **kwargs)
            calls.append(key)
            if len(calls) == pause_on:
                Path(os.environ["STORED_MARKER"]).write_text(key)
                time.sleep(600)
            return sha256

        storage.put = put_then_pause
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()
""")


class Browser:
    """Just enough of a browser over ``http.client``: one session cookie, CSRF tokens."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def headers(self, content_type: str | None = None) -> dict[str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None) -> tuple[int, str]:
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=self.headers(content_type))
            response = connection.getresponse()
            text = response.read().decode()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                if cookie.startswith("session="):
                    self.cookie = cookie.split(";", 1)[0]
            return response.status, text
        finally:
            connection.close()

    def token(self, path: str) -> str:
        status, text = self.request("GET", path)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', text)
        assert status == 200 and match, (status, text[:500])
        return match.group(1)

    def sign_in(self, email: str) -> None:
        body = urlencode({"email": email, "password": TEST_PASSWORD,
                          "csrf_token": self.token("/sign-in")}).encode()
        status, text = self.request("POST", "/sign-in", body, "application/x-www-form-urlencoded")
        assert status == 302, text[:500]

    def upload_body(self, data: bytes, filename: str) -> tuple[bytes, str]:
        return multipart_body({"purpose": "policy", "csrf_token": self.token("/evidence/")},
                              {"file": (filename, data)})


class ServedApp:
    """A migrated SQLite file, local storage in a temp dir, and the app serving them from a
    separate process; ``app`` (in this process) looks at the same database and files."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.database = f"sqlite:///{tmp_path / 'served.sqlite'}"
        self.storage_dir = tmp_path / "evidence"
        self.marker = tmp_path / "stored"
        self.app = create_evidence_app(evidence_config(
            self.database, self.storage_dir, EVIDENCE_MAX_BYTES=8 * MiB,
            MAX_CONTENT_LENGTH=10 * MiB))
        self.process: subprocess.Popen | None = None
        self.context = self.app.app_context()
        self.context.push()
        upgrade()
        self.user = UserFactory(provider=True)

    @property
    def storage(self):
        return self.app.extensions["evidence_storage"]

    def start(self, pause_on_put: int = 0) -> Browser:
        environment = {
            **os.environ, "ACCREDITATION_ENV": "testing",
            "ACCREDITATION_DATABASE_URL": self.database, "ACCREDITATION_STORAGE": "local",
            "ACCREDITATION_STORAGE_LOCAL_PATH": str(self.storage_dir),
            "ACCREDITATION_SCANNER_URL": "", "ACCREDITATION_EVIDENCE_MAX_BYTES": str(8 * MiB),
            "ACCREDITATION_MAX_CONTENT_LENGTH": str(10 * MiB),
            "ACCREDITATION_ARGON2_TIME_COST": "1", "ACCREDITATION_ARGON2_MEMORY_COST": "1024",
            "PAUSE_ON_PUT": str(pause_on_put), "STORED_MARKER": str(self.marker),
        }
        log = self.tmp_path / "server.log"
        with log.open("wb") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVER], cwd=ROOT, env=environment, text=True,
                stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else ""
        assert line.strip().isdigit(), \
            f"the server did not start: {log.read_text(errors='replace')[-2000:]}"
        browser = Browser(int(line))
        browser.sign_in(self.user.email)
        return browser

    def kill(self) -> None:
        """SIGKILL: no cleanup handler, no rollback, no ``finally`` runs in the server."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)
            self.process.stdout.close()

    def look(self) -> None:
        """End this process's read transaction: SQLite shows it a snapshot (WAL), and the
        server's commits since then are only seen by a new one."""
        db.session.rollback()

    def wait_for_marker(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.marker.exists() and self.marker.read_text():
                return self.marker.read_text()
            assert self.process.poll() is None, "the server died before storing the file"
            time.sleep(0.05)
        raise AssertionError("the upload never reached the storage")

    def close(self) -> None:
        self.kill()
        db.session.remove()
        db.engine.dispose()
        self.context.pop()


@pytest.fixture
def served(tmp_path):
    served = ServedApp(tmp_path)
    yield served
    served.close()


def large_pdf(fill: int) -> bytes:
    return samples.pdf(samples.pdf_stream_object(4, b"", bytes([fill]) * (6 * MiB)))


def committed_upload(browser: Browser) -> None:
    body, content_type = browser.upload_body(large_pdf(1), "first.pdf")
    status, text = browser.request("POST", "/evidence/", body, content_type)
    assert status == 303, text[:500]


def test_killed_after_storing_before_committing_leaves_only_an_orphan_for_the_sweep(served):
    """The window the ordering is about: the object is stored, the row is not committed. A
    crash there must leave no row without its object, and the object must be swept."""
    browser = served.start(pause_on_put=2)
    committed_upload(browser)
    body, content_type = browser.upload_body(large_pdf(2), "second.pdf")
    connection = browser.connection()
    try:
        connection.request("POST", "/evidence/", body=body,
                           headers=browser.headers(content_type))
        orphan = served.wait_for_marker()
        served.kill()
    finally:
        connection.close()

    served.look()
    [first] = rows()
    assert first.display_filename == "first.pdf"
    assert_every_row_has_its_objects(served.storage)
    assert served.storage.exists(orphan) and orphan != first.storage_key
    result = served.app.test_cli_runner().invoke(
        args=["evidence", "sweep", "--older-than-minutes=-1"])
    assert result.output == "Removed 1 orphaned evidence file(s).\n", result.output
    assert list(served.storage.list_keys()) == [first.storage_key]
    assert_every_row_has_its_objects(served.storage)


def test_killed_while_the_body_is_still_arriving_stores_nothing(served):
    """Before the whole request is in, nothing is checked and nothing is stored: killing the
    server then leaves no object, no temp file and no row, so there is nothing to sweep."""
    browser = served.start()
    committed_upload(browser)
    served.look()
    [first] = rows()
    files_before = sorted(path for path in served.storage_dir.rglob("*") if path.is_file())
    body, content_type = browser.upload_body(large_pdf(3), "second.pdf")
    connection = browser.connection()
    try:
        connection.putrequest("POST", "/evidence/")
        for name, value in {**browser.headers(content_type),
                            "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(body[: len(body) // 2])
        time.sleep(0.5)  # the server is reading the body, waiting for the rest
        assert served.process.poll() is None
        served.kill()
    finally:
        connection.close()

    served.look()
    assert rows() == [first]
    assert sorted(path for path in served.storage_dir.rglob("*") if path.is_file()) \
        == files_before
    assert operations.sweep_orphans(older_than=EVERYTHING) == 0
    assert_every_row_has_its_objects(served.storage)
