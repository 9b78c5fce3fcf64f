"""Against a real S3 server: presigned downloads are attachments and cannot be altered,
reused after expiry, or forged with the wrong secret; uploads altered on the way are refused;
health tells up from down quickly."""

from __future__ import annotations

import base64
import hashlib
import time
import urllib.error
import urllib.request
import zlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from accreditation.evidence.s3_storage import S3Storage
from accreditation.evidence.storage import StorageError, new_key

from ..services import free_port
from .conftest import s3_storage_for

PDF = b"%PDF-1.7\nsome evidence\n%%EOF\n"


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
def stored(s3_storage) -> str:
    key = new_key()
    s3_storage.put(key, PDF, content_type="application/pdf", size=len(PDF))
    return key


def test_presigned_url_downloads_an_attachment_with_the_display_name(s3_storage, stored):
    url = s3_storage.download_url(stored, filename="Zoë's gas safety.pdf",
                                  content_type="application/pdf", expires_in=60)
    status, headers, body = fetch(url)
    assert status == 200
    assert body == PDF
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"Zoe's gas safety.pdf\"; "
        "filename*=UTF-8''Zo%C3%AB%27s%20gas%20safety.pdf")


def _flip(character: str) -> str:
    return "0" if character != "0" else "1"


def test_tampered_presigned_urls_are_refused(s3_storage, stored):
    other = new_key()
    s3_storage.put(other, b"%PDF-other", content_type="application/pdf", size=10)
    url = s3_storage.download_url(stored, filename="a.pdf", expires_in=60)
    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    tampered = [
        with_query(url, **{"X-Amz-Signature": _flip(signature[0]) + signature[1:]}),
        url.replace(stored, other),  # someone else's file with this signature
        with_query(url, **{"response-content-disposition": "inline"}),
        with_query(url, **{"response-content-type": "text/html"}),
        with_query(url, **{"X-Amz-Expires": "604800"}),
    ]
    for bad in tampered:
        status, _headers, body = fetch(bad)
        assert status == 403, bad
        assert PDF not in body
    assert fetch(url)[0] == 200


def test_expired_presigned_url_is_refused(s3_storage, stored):
    url = s3_storage.download_url(stored, filename="a.pdf", expires_in=1)
    time.sleep(2)
    status, _headers, body = fetch(url)
    assert status == 403
    assert PDF not in body


def test_expiry_must_be_short_and_positive(s3_storage, stored):
    for seconds in (0, -5, 8 * 24 * 3600):
        with pytest.raises(ValueError):
            s3_storage.download_url(stored, filename="a.pdf", expires_in=seconds)


def test_wrong_secret_key_is_refused(seaweedfs, s3_storage, stored):
    forged = S3Storage(bucket=s3_storage.bucket, endpoint_url=seaweedfs.endpoint_url,
                       region="us-east-1", access_key_id=seaweedfs.access_key,
                       secret_access_key=seaweedfs.secret_key + "x", max_attempts=1)
    with forged:
        with pytest.raises(StorageError):
            forged.put(new_key(), PDF, content_type="application/pdf", size=len(PDF))
        with pytest.raises(StorageError):
            forged.open(stored)
        with pytest.raises(StorageError):
            forged.exists(stored)
        assert fetch(forged.download_url(stored, filename="a.pdf"))[0] == 403
        assert forged.health() == {"status": "unavailable", "backend": "s3",
                                   "detail": "access refused"}


def test_bytes_changed_after_signing_are_refused(s3_storage):
    """A file is sent with the CRC32 of the bytes that were checked in a signed header, so
    bytes changed on the way (after the request was signed) are refused by the server and
    nothing is kept."""
    def tamper(request, **_):
        body = request.body.read() if hasattr(request.body, "read") else request.body
        request.body = body.replace(b"evidence", b"EVIDENCE")

    for client in (s3_storage._client, s3_storage._checked_client):
        client.meta.events.register("before-send.s3.PutObject", tamper)
    key = new_key()
    with pytest.raises(StorageError):
        s3_storage.put(key, PDF, content_type="application/pdf", size=len(PDF),
                       crc32=zlib.crc32(PDF))
    assert not s3_storage.exists(key)


class Captured(Exception):
    """Stops a request once its headers have been seen."""


@pytest.mark.parametrize(("endpoint", "body_signed"), [
    ("http://192.0.2.10:8333", True),  # plain HTTP to another machine
    ("http://127.0.0.1:8333", False),
    ("http://[::1]:8333", False),
    ("http://localhost:8333", False),
    ("https://s3.example.org", False),
    (None, False),  # AWS itself, over HTTPS
])
def test_the_body_is_signed_wherever_it_could_be_changed_on_the_way(endpoint, body_signed):
    """A CRC32 catches damage, not forgery: over plain HTTP to another machine the body's
    SHA-256 is signed as well; over HTTPS, or on this machine, the CRC32 is enough."""
    seen: dict[str, str] = {}

    def capture(request, **_):
        seen.update((name.lower(), value.decode() if isinstance(value, bytes) else value)
                    for name, value in request.headers.items())
        raise Captured

    with S3Storage(bucket="evidence", endpoint_url=endpoint, region="eu-west-2",
                   access_key_id="AKIDEXAMPLE", secret_access_key="not-a-secret") as storage:
        storage._checked_client.meta.events.register("before-send.s3.PutObject", capture)
        with pytest.raises(Captured):
            storage.put(new_key(), PDF, content_type="application/pdf", size=len(PDF),
                        crc32=zlib.crc32(PDF))
    assert seen["x-amz-checksum-crc32"] == base64.b64encode(
        zlib.crc32(PDF).to_bytes(4, "big")).decode()
    assert seen["x-amz-content-sha256"] == (
        hashlib.sha256(PDF).hexdigest() if body_signed else "UNSIGNED-PAYLOAD")


def test_health_ok(s3_storage):
    assert s3_storage.health() == {"status": "ok", "backend": "s3"}


def test_health_reports_a_missing_bucket(seaweedfs):
    with s3_storage_for(seaweedfs, "no-such-bucket-here") as storage:
        assert storage.health() == {"status": "unavailable", "backend": "s3",
                                    "detail": "bucket not found"}


def test_health_of_an_unreachable_endpoint_answers_quickly_without_secrets():
    with S3Storage(bucket="evidence", endpoint_url=f"http://127.0.0.1:{free_port()}",
                   region="us-east-1", access_key_id="AKIDSECRETISH",
                   secret_access_key="very-secret") as storage:
        started = time.monotonic()
        health = storage.health()
        assert time.monotonic() - started < 5
    assert health == {"status": "unavailable", "backend": "s3", "detail": "unreachable"}
    assert "secret" not in repr(health) and "127.0.0.1" not in repr(health)


def test_create_bucket_if_missing_is_idempotent(seaweedfs, bucket_name):
    with s3_storage_for(seaweedfs, bucket_name) as storage:
        storage.create_bucket_if_missing()
        storage.create_bucket_if_missing()
        assert storage.health()["status"] == "ok"
        storage._client.delete_bucket(Bucket=bucket_name)
