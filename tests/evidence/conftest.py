"""Storage fixtures: local disk in a temp dir, and S3 on a real SeaweedFS (one per session)."""

from __future__ import annotations

import uuid

import pytest

from accreditation.evidence.local_storage import LocalStorage
from accreditation.evidence.s3_storage import S3Storage

from ..seaweedfs import SeaweedServer, start_seaweedfs


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
