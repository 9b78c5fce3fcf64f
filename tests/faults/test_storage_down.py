"""The S3 server (SeaweedFS) goes down: an upload fails with a clear message and leaves
nothing behind (no record now, no object once the server is back); the health check's details
say so, while the service itself stays alive for the load balancer."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import requests
import sqlalchemy as sa

from accreditation.evidence.s3_storage import S3Storage

from ..seaweedfs import _answers_s3, start_seaweedfs
from .stack import Browser, health_details, s3_environment

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def upload(browser: Browser, name: str):
    return browser.submit("/evidence/", {"purpose": "insurance_certificate"},
                          files={"file": (name, PDF, "application/pdf")})


def evidence_rows(database: str) -> int:
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT count(*) FROM evidence"))
    finally:
        engine.dispose()


def kill(server) -> None:
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)


def start_again(server, within: float = 30) -> None:
    """The same command on the same data directory and ports."""
    log = (server.directory / "weed.log").open("ab")
    try:
        server.process = subprocess.Popen(  # noqa: S603 (the command it was started with)
            server.process.args, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(server.directory / "tmp")})
    finally:
        log.close()
    deadline = time.monotonic() + within
    while not _answers_s3(server.endpoint_url):
        assert time.monotonic() < deadline, "SeaweedFS did not come back"
        time.sleep(0.2)


def test_upload_while_storage_is_down_saves_nothing(seeded, serve, tmp_path):
    database, data = seeded
    seaweed = start_seaweedfs()
    assert seaweed.process is not None, "this test stops the S3 server, so it starts its own"
    storage = S3Storage(bucket="faults", endpoint_url=seaweed.endpoint_url, region="us-east-1",
                        access_key_id=seaweed.access_key, secret_access_key=seaweed.secret_key)
    try:
        storage.create_bucket_if_missing()
        server = serve(database, workers=2, **s3_environment(seaweed, "faults"))
        browser = Browser(server.url)
        browser.sign_in(data["inspectors"][0]["provider_email"])

        before = evidence_rows(database)  # the documents the seeded applications came with
        assert upload(browser, "insurance.pdf").status_code == 303
        rows, keys = evidence_rows(database), set(storage.list_keys(""))
        assert rows == before + 1 and len(keys) >= 1

        kill(seaweed)
        # Pages still work (uploads say why they cannot): the load balancer keeps the server.
        assert requests.get(server.url + "/healthz", timeout=30).json() == {"status": "ok"}
        exit_status, health = health_details(server)
        assert exit_status == 1
        assert health["evidence_storage"]["status"] == "unavailable"
        assert health["database"]["status"] == "ok"

        response = upload(browser, "lease.pdf")
        assert response.status_code == 503
        assert "We could not save the file. Nothing was saved" in response.text
        assert "Traceback" not in response.text
        assert evidence_rows(database) == rows

        start_again(seaweed)
        deadline = time.monotonic() + 30
        while health_details(server)[0] != 0:
            assert time.monotonic() < deadline, "the health check did not recover"
            time.sleep(0.2)
        assert set(storage.list_keys("")) == keys  # nothing of the failed upload
        assert upload(browser, "lease.pdf").status_code == 303  # and uploads work again
        assert evidence_rows(database) == rows + 1
    finally:
        storage.close()
        seaweed.stop()
