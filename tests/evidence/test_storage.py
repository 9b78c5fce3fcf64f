"""Both storage backends behave the same; the local one is atomic and stays inside its root."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time
import zlib
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from accreditation.config import ConfigurationError
from accreditation.evidence.backends import storage_from_config
from accreditation.evidence.local_storage import LocalStorage
from accreditation.evidence.s3_storage import S3Storage
from accreditation.evidence.storage import (
    InvalidKey,
    ObjectNotFound,
    Storage,
    StorageError,
    new_key,
)

PDF = b"%PDF-1.4\n" + b"x" * 1000


def read(storage: Storage, key: str) -> bytes:
    with closing(storage.open(key)) as stream:
        return stream.read()


def test_new_keys_are_dated_and_unguessable():
    key = new_key(datetime(2025, 3, 9, tzinfo=UTC))
    assert key.startswith("evidence/2025/03/")
    assert len(key.rsplit("/", 1)[1]) == 32
    assert new_key() != new_key()


def test_round_trip(storage):
    assert isinstance(storage, Storage)
    key = new_key()
    assert not storage.exists(key)
    storage.put(key, PDF, content_type="application/pdf", size=len(PDF))
    assert storage.exists(key)
    assert read(storage, key) == PDF
    assert key in list(storage.list_keys("evidence/"))
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(ObjectNotFound):
        storage.open(key)
    storage.delete(key)  # deleting again is not an error


def test_put_reads_a_stream_from_its_position(storage):
    key = new_key()
    stream = io.BytesIO(b"ignored" + PDF)
    stream.seek(len(b"ignored"))
    storage.put(key, stream, content_type="application/pdf", size=len(PDF))
    assert read(storage, key) == PDF
    assert not stream.closed  # the caller still owns it


@pytest.mark.parametrize("size", [len(PDF) - 1, len(PDF) + 1])
def test_a_wrong_size_stores_nothing(storage, size):
    key = new_key()
    with pytest.raises(StorageError):
        storage.put(key, io.BytesIO(PDF), content_type="application/pdf", size=size)
    assert not storage.exists(key)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_answers_the_sha256_of_what_it_stored(storage, tmp_path):
    """The record keeps the digest ``put`` answers: the bytes stored, however they came."""
    assert storage.put(new_key(), PDF, content_type="application/pdf",
                       size=len(PDF)) == sha256(PDF)
    stream = io.BytesIO(b"ignored" + PDF)
    stream.seek(len(b"ignored"))
    assert storage.put(new_key(), stream, content_type="application/pdf",
                       size=len(PDF)) == sha256(PDF)
    path = tmp_path / "upload"
    path.write_bytes(b"ignored" + PDF)
    with path.open("rb") as on_disk:
        on_disk.seek(len(b"ignored"))
        assert storage.put(new_key(), on_disk, content_type="application/pdf", size=len(PDF),
                           crc32=zlib.crc32(PDF)) == sha256(PDF)


def test_the_store_keeps_only_bytes_with_the_checksum_they_were_checked_with(storage):
    """The CRC32 of the checked file is checked by the store itself (S3 verifies it
    server-side), so bytes damaged on the way are never kept."""
    good, bad = new_key(), new_key()
    assert storage.put(good, io.BytesIO(PDF), content_type="application/pdf", size=len(PDF),
                       crc32=zlib.crc32(PDF)) == sha256(PDF)
    assert read(storage, good) == PDF
    with pytest.raises(StorageError):
        storage.put(bad, io.BytesIO(PDF), content_type="application/pdf", size=len(PDF),
                    crc32=zlib.crc32(b"something else"))
    assert not storage.exists(bad)


@pytest.mark.parametrize("size", [1024 * 1024, 3 * 1024 * 1024 + 12345])
def test_a_file_on_disk_is_stored_byte_for_byte_from_its_position(storage, tmp_path, size):
    """Large files go to S3 through a memory map, a megabyte at a time, while their SHA-256
    is worked out beside them: whatever the size and wherever the stream stands, exactly
    those bytes are stored and named, and the checksum is still checked by the store."""
    data = os.urandom(size)
    path = tmp_path / "upload"
    path.write_bytes(b"ignored" + data)
    with path.open("rb") as stream:
        stream.seek(len(b"ignored"))
        key = new_key()
        assert storage.put(key, stream, content_type="application/pdf", size=size,
                           crc32=zlib.crc32(data)) == sha256(data)
        assert not stream.closed
        assert read(storage, key) == data
        stream.seek(len(b"ignored"))
        wrong = new_key()
        with pytest.raises(StorageError):
            storage.put(wrong, stream, content_type="application/pdf", size=size,
                        crc32=zlib.crc32(data[:-1] + b"x"))
        assert not storage.exists(wrong)


def test_a_wrong_size_from_an_unseekable_stream_stores_nothing(storage):
    class Unseekable(io.RawIOBase):
        def __init__(self, data: bytes):
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.data.read(len(buffer))
            buffer[:len(chunk)] = chunk
            return len(chunk)

    key = new_key()
    with pytest.raises(StorageError):
        storage.put(key, Unseekable(PDF), content_type="application/pdf", size=len(PDF) + 5)
    assert not storage.exists(key)
    assert storage.put(key, Unseekable(PDF), content_type="application/pdf",
                       size=len(PDF)) == sha256(PDF)
    assert read(storage, key) == PDF


def test_list_keys_by_prefix_and_age(storage):
    march, april = new_key(datetime(2025, 3, 1, tzinfo=UTC)), new_key(datetime(2025, 4, 1,
                                                                               tzinfo=UTC))
    for key in (march, april):
        storage.put(key, PDF, content_type="application/pdf", size=len(PDF))
    assert sorted(storage.list_keys("evidence/")) == sorted([march, april])
    assert list(storage.list_keys("evidence/2025/03/")) == [march]
    assert list(storage.list_keys("evidence/2025/0")) != []
    assert list(storage.list_keys("other/")) == []
    now = datetime.now(UTC)
    assert list(storage.list_keys("evidence/", older_than=now - timedelta(hours=1))) == []
    assert sorted(storage.list_keys("evidence/", older_than=now + timedelta(hours=1))) == \
        sorted([march, april])
    with pytest.raises(ValueError, match="naive"):
        list(storage.list_keys("evidence/", older_than=datetime.now()))  # noqa: DTZ005


BAD_KEYS = ["../outside", "/etc/passwd", "evidence/../../outside", "evidence//x", ".hidden",
            "evidence/.x", "a\\b", "", "evidence/x\x00", "evidence/ä"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_or_hide_are_refused(storage, key):
    for attempt in (lambda: storage.put(key, b"x", content_type="text/plain", size=1),
                    lambda: storage.open(key), lambda: storage.exists(key),
                    lambda: storage.delete(key)):
        with pytest.raises(InvalidKey):
            attempt()


def test_large_uploads_use_multipart(seaweedfs, s3_storage, tmp_path):
    from .conftest import s3_storage_for

    data = os.urandom(12 * 1024 * 1024)
    with s3_storage_for(seaweedfs, s3_storage.bucket, multipart_threshold=5 * 1024 * 1024,
                        multipart_chunksize=5 * 1024 * 1024) as storage:
        key = new_key()
        assert storage.put(key, io.BytesIO(data), content_type="application/pdf",
                           size=len(data)) == sha256(data)
        head = storage._client.head_object(Bucket=storage.bucket, Key=key)
        assert head["ETag"].strip('"').endswith("-3")  # three parts
        assert read(storage, key) == data
        path = tmp_path / "large"
        path.write_bytes(data)
        with path.open("rb") as on_disk:  # mapped, hashed while its parts travel
            assert storage.put(key, on_disk, content_type="application/pdf",
                               size=len(data)) == sha256(data)
        assert read(storage, key) == data


# Local disk only ---------------------------------------------------------------------------


class FailingStream(io.RawIOBase):
    """Gives some bytes, then fails as a dropped connection would."""

    def __init__(self, good: int):
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        count = min(len(buffer), self.left)
        buffer[:count] = b"a" * count
        self.left -= count
        return count


def test_local_write_failing_midway_leaves_no_object_and_no_temp_file(local_storage):
    key = new_key()
    with pytest.raises(ConnectionResetError):
        local_storage.put(key, FailingStream(3 * 1024 * 1024), content_type="image/png",
                          size=5 * 1024 * 1024)
    assert not local_storage.exists(key)
    assert [p for p in local_storage.root.rglob("*") if p.is_file()] == []  # no temp file
    assert list(local_storage.list_keys("evidence/")) == []


def test_local_failed_overwrite_keeps_the_old_object(local_storage):
    key = new_key()
    local_storage.put(key, PDF, content_type="application/pdf", size=len(PDF))
    with pytest.raises(ConnectionResetError):
        local_storage.put(key, FailingStream(10), content_type="application/pdf", size=100)
    assert read(local_storage, key) == PDF


def test_local_files_are_private_to_the_service(local_storage):
    key = new_key()
    local_storage.put(key, PDF, content_type="application/pdf", size=len(PDF))
    path = local_storage.root / key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(local_storage.root.stat().st_mode) == 0o700


def test_local_symlinks_cannot_lead_out_of_the_root(local_storage, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    local_storage.root.mkdir(parents=True)
    (local_storage.root / "evidence").symlink_to(outside)
    with pytest.raises(InvalidKey):
        local_storage.open("evidence/secret")
    with pytest.raises(InvalidKey):
        local_storage.put("evidence/new", b"x", content_type="text/plain", size=1)
    assert not (outside / "new").exists()


def test_local_has_no_download_url_and_reports_health(local_storage, tmp_path):
    assert local_storage.download_url(new_key(), filename="a.pdf") is None
    assert local_storage.health() == {"status": "ok", "backend": "local"}  # created on demand
    (tmp_path / "a-file").write_text("not a folder")
    broken = LocalStorage(tmp_path / "a-file" / "evidence")
    assert broken.health() == {"status": "unavailable", "backend": "local"}


def test_local_sweeps_temp_files_left_by_a_crash(local_storage):
    key = new_key()
    local_storage.put(key, PDF, content_type="application/pdf", size=len(PDF))
    stale = (local_storage.root / key).parent / f".{key.rsplit('/', 1)[1]}.abc.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    assert list(local_storage.list_keys("evidence/")) == [key]
    assert local_storage.remove_stale_temp_files() == 1
    assert not stale.exists()
    assert local_storage.exists(key)


# Configuration -----------------------------------------------------------------------------


def test_storage_from_config_defaults_to_local_under_the_instance(tmp_path):
    storage = storage_from_config({}, instance_path=str(tmp_path))
    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "evidence").resolve()
    storage = storage_from_config({"STORAGE": "local", "STORAGE_LOCAL_PATH": str(tmp_path / "x")})
    assert storage.root == (tmp_path / "x").resolve()


def test_storage_from_config_builds_s3():
    with storage_from_config({"STORAGE": "s3", "S3_BUCKET": "evidence-bucket",
                              "S3_ENDPOINT_URL": "http://127.0.0.1:1", "S3_REGION": "eu-west-2",
                              "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"}) as storage:
        assert isinstance(storage, S3Storage)
        assert storage.bucket == "evidence-bucket"


@pytest.mark.parametrize(("config", "variable"), [
    ({"STORAGE": "s3"}, "ACCREDITATION_S3_BUCKET"),
    ({"STORAGE": "s3", "S3_BUCKET": "b-b-b", "S3_ACCESS_KEY_ID": "k"},
     "ACCREDITATION_S3_SECRET_ACCESS_KEY"),
    ({"STORAGE": "ftp"}, "ACCREDITATION_STORAGE"),
    ({"STORAGE": "local"}, "ACCREDITATION_STORAGE_LOCAL_PATH"),
])
def test_storage_from_config_names_the_variable_to_fix(config, variable):
    with pytest.raises(ConfigurationError, match=variable):
        storage_from_config(config)
