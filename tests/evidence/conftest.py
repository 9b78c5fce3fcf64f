"""Storage fixtures: local disk in a temp dir, and S3 on a real SeaweedFS (one per session);
the app with evidence records and pages, on each database backend."""

from __future__ import annotations

import uuid

import pytest

from accreditation import create_app
from accreditation.evidence import bp as evidence_bp
from accreditation.evidence import init_app as init_evidence
from accreditation.evidence import models as evidence_models  # noqa: F401 (registers the table)
from accreditation.evidence.cli import evidence_group
from accreditation.evidence.local_storage import LocalStorage
from accreditation.evidence.s3_storage import S3Storage

from ..cases.conftest import checklists, journey, today  # noqa: F401 (fixtures for these tests)
from ..conftest import Client, config_for, empty_all_tables
from ..seaweedfs import SeaweedServer, start_seaweedfs
from .test_scanning import FakeClamd, ThreadedTCP, serve


@pytest.fixture(scope="session")
def seaweedfs():
    server = start_seaweedfs()
    yield server
    server.stop()


def s3_storage_for(server: SeaweedServer, bucket: str, **options) -> S3Storage:
    return S3Storage(bucket=bucket, endpoint_url=server.endpoint_url, region="us-east-1",
                     access_key_id=server.access_key, secret_access_key=server.secret_key,
                     **options)


@pytest.fixture
def bucket_name() -> str:
    return f"test-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def s3_storage(seaweedfs, bucket_name):
    """A fresh, empty bucket for each test (emptied and removed afterwards)."""
    storage = s3_storage_for(seaweedfs, bucket_name)
    storage.create_bucket_if_missing()
    yield storage
    for key in list(storage.list_keys("")):
        storage.delete(key)
    storage._client.delete_bucket(Bucket=bucket_name)
    storage.close()


@pytest.fixture
def local_storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "instance" / "evidence")


@pytest.fixture(params=["local", "s3"])
def storage(request):
    """Each backend in turn: the same tests must pass on both."""
    return request.getfixturevalue(f"{request.param}_storage")


# --- the app with evidence records and pages ---------------------------------------------------

KiB = 1024
MiB = 1024 * KiB
# Small limits keep the tests quick; the rules are the same at any size.
EVIDENCE_MAX_BYTES = 1 * MiB
MAX_CONTENT_LENGTH = 2 * MiB


def create_evidence_app(config: dict | None = None):
    """``create_app`` plus the evidence blueprint, command group and storage, for as long as
    ``create_app`` does not wire them itself (each step is skipped once it does)."""
    app = create_app(config)
    if "evidence" not in app.blueprints:
        app.register_blueprint(evidence_bp)
    if "evidence" not in app.cli.commands:
        app.cli.add_command(evidence_group)
    init_evidence(app)
    return app


def evidence_config(database_url: str, storage_path, **overrides) -> dict:
    return config_for(database_url, **{
        "STORAGE": "local", "STORAGE_LOCAL_PATH": str(storage_path), "SCANNER_URL": None,
        "SCANNER_TIMEOUT_SECONDS": 5, "EVIDENCE_MAX_BYTES": EVIDENCE_MAX_BYTES,
        "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH, "EVIDENCE_QUOTA_BYTES": 50 * MiB,
        **overrides})


@pytest.fixture
def evidence_backend() -> str:
    """``local`` unless a test parametrises it (``s3``: a fresh bucket on SeaweedFS)."""
    return "local"


@pytest.fixture
def scanner_url() -> str | None:
    """No scanner unless a test asks for one (e.g. the ``clamd_url`` fixture)."""
    return None


@pytest.fixture
def app(database_url, tmp_path, request, evidence_backend, scanner_url):
    app = create_evidence_app(evidence_config(database_url, tmp_path / "evidence",
                                              SCANNER_URL=scanner_url))
    if evidence_backend == "s3":
        app.extensions["evidence_storage"] = request.getfixturevalue("s3_storage")
    app.test_client_class = Client
    with app.app_context():
        yield app
    empty_all_tables(app)


@pytest.fixture
def app_storage(app):
    return app.extensions["evidence_storage"]


@pytest.fixture
def clamd_url():
    """A fake clamd on loopback (real INSTREAM protocol): EICAR is infected, all else OK."""
    server, thread = serve(ThreadedTCP(("127.0.0.1", 0), FakeClamd), "normal")
    host, port = server.server_address
    yield f"tcp://{host}:{port}"
    server.shutdown()
    server.server_close()
    thread.join()


def multipart_body(fields: dict[str, str], files: dict[str, tuple[str, bytes]],
                   ) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type, built in memory.

    The tests post uploads with this rather than the test client's own encoder, which spools
    bodies over 500 KB to a temp file that nobody closes when the app never reads the body
    (a 413) and so leaks a file handle (a ResourceWarning, an error here)."""
    boundary = f"----evidence-test-{uuid.uuid4().hex}"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
             f"{value}\r\n".encode() for name, value in fields.items()]
    for name, (filename, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
