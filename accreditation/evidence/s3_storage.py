"""Evidence files in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO...), for scale-out."""

from __future__ import annotations

import base64
import hashlib
import io
import ipaddress
import mmap
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from . import background
from .filenames import content_disposition
from .storage import (
    KEY_PREFIX,
    ObjectNotFound,
    StorageError,
    check_aware,
    check_key,
    check_prefix,
    copy_exactly,
    sha256_of_rest,
)

MiB = 1024 * 1024
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4's limit
_MISSING = {"404", "NoSuchKey", "NotFound"}


class _MappedFile(io.RawIOBase):
    """``size`` bytes of an open file from ``start``, read through a memory map in large
    pieces, as the body of one PUT.

    http.client asks for 16 KiB at a time and sends whatever ``read`` returns; answering
    with up to ``PIECE`` bytes each time sends the file in a few large writes straight from
    the page cache (views of the map, never copied into Python) instead of hundreds of
    small copies: less CPU for the same bytes. So reads may return more than asked: this is
    only a request body for botocore, whose checksums and signing read any length too.
    """

    PIECE = 1024 * 1024

    def __init__(self, stream: BinaryIO, start: int, size: int):
        super().__init__()
        self._map = mmap.mmap(stream.fileno(), start + size, access=mmap.ACCESS_READ)
        self._view = memoryview(self._map)
        self._start = self._position = start
        self._end = start + size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position - self._start

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: self._start, io.SEEK_CUR: self._position,
                io.SEEK_END: self._end}[whence]
        self._position = min(max(base + offset, self._start), self._end)
        return self.tell()

    def read(self, size: int | None = -1) -> memoryview:
        stop = self._end if size is None or size < 0 else min(
            self._end, self._position + max(size, self.PIECE))
        piece = self._view[self._position:stop]
        self._position = stop
        return piece

    def sha256(self) -> str:
        """The SHA-256 (hex) of the whole object. The map is only read, so this may run in
        another thread while the object is sent; it must end before the file is closed."""
        return hashlib.sha256(self._view[self._start:self._end]).hexdigest()

    def close(self) -> None:
        if not self.closed:
            self._view.release()
            self._map.close()
        super().close()


def _mapped(stream: BinaryIO, start: int, size: int) -> _MappedFile | None:
    """The stream as a ``_MappedFile`` if it is a regular file that can be mapped, else
    ``None`` (memory streams, pipes, and objects too small to gain: sent as they are)."""
    if size < _MappedFile.PIECE:
        return None
    try:
        stream.flush()  # a buffered write not yet in the file would not be in the map
        return _MappedFile(stream, start, size)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


class _KeepOpen:
    """The caller's stream, minus ``close``: s3transfer closes the file object it uploads,
    and the caller (e.g. a ``CheckedFile``) still owns it."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def close(self) -> None:
        pass


def _connection_may_be_tampered(endpoint_url: str | None) -> bool:
    """Whether a request to the endpoint could be changed on its way: plain HTTP to another
    machine (no endpoint means AWS's own, over HTTPS)."""
    if endpoint_url is None:
        return False
    url = urlsplit(endpoint_url)
    if url.scheme == "https":
        return False
    host = url.hostname or ""
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3Storage:
    """Objects in ``bucket``. Credentials are explicit or boto3's default chain.

    Uploads go through boto3's managed transfer (multipart above ``multipart_threshold``); an
    object becomes visible only once complete, so a failed upload leaves nothing under the key.
    The user's filename is never stored with the object (it is personal data and the record
    in the database already holds it).
    """

    backend = "s3"

    def __init__(self, *, bucket: str, endpoint_url: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 presign_endpoint_url: str | None = None, connect_timeout: float = 5.0,
                 read_timeout: float = 60.0, max_attempts: int = 3,
                 multipart_threshold: int = 16 * MiB, multipart_chunksize: int = 8 * MiB,
                 max_concurrency: int = 4):
        self.bucket = bucket
        self._endpoint_url = endpoint_url
        self._presign_endpoint_url = presign_endpoint_url
        # A session of our own: boto3's default session is shared and not thread-safe.
        self._session = boto3.session.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            region_name=region)
        self._client = self._make_client(endpoint_url, connect_timeout, read_timeout, max_attempts)
        # For objects sent with a CRC32: the server refuses bytes damaged on the way, so where
        # nobody can change them on the way either (HTTPS, or this machine) the body is not
        # hashed for the signature as well, as boto3 itself does over HTTPS. Plain HTTP to
        # another host keeps the signed body hash: a CRC32 can be forged, a signature cannot.
        self._checked_client = self._make_client(
            endpoint_url, connect_timeout, read_timeout, max_attempts,
            sign_payload=None if _connection_may_be_tampered(endpoint_url) else False)
        self._health_client: Any = None
        self._presign_client: Any = None
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold, multipart_chunksize=multipart_chunksize,
            max_concurrency=max_concurrency)

    def _make_client(self, endpoint_url: str | None, connect_timeout: float, read_timeout: float,
                     max_attempts: int, *, sign_payload: bool | None = None) -> Any:
        # S3-compatible stores rarely have wildcard DNS for virtual-hosted buckets.
        s3: dict[str, Any] = {"addressing_style": "path" if endpoint_url else "auto"}
        if sign_payload is not None:
            s3["payload_signing_enabled"] = sign_payload
        config = Config(
            signature_version="s3v4", s3=s3,
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
        )
        return self._session.client("s3", endpoint_url=endpoint_url, config=config)

    def close(self) -> None:
        """Close the HTTP connection pools (pending responses must be closed first)."""
        for client in (self._client, self._checked_client, self._health_client,
                       self._presign_client):
            if client is not None:
                client.close()

    def __enter__(self) -> S3Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, key: str, data: BinaryIO | bytes, *, content_type: str, size: int,
            crc32: int | None = None) -> str:
        check_key(key)
        if isinstance(data, bytes | bytearray | memoryview):
            data = io.BytesIO(data)
        try:
            if not data.seekable():
                # The size must be known before anything is sent: spool, then upload.
                with tempfile.SpooledTemporaryFile(max_size=8 * MiB) as spool:
                    sha256 = copy_exactly(data, spool, size, crc32)
                    spool.seek(0)
                    self._upload(key, spool, content_type)
                return sha256
            start = data.tell()
            end = data.seek(0, io.SEEK_END)
            data.seek(start)
            if end - start != size:
                raise StorageError(f"expected {size} bytes, got {end - start}")
            mapped = _mapped(data, start, size)
            if mapped is None:  # in memory, or too small to gain: hashed first
                sha256 = sha256_of_rest(data)
                self._send(key, data, data, content_type=content_type, size=size, crc32=crc32)
                return sha256
            with mapped:
                # The digest the record keeps is worked out while the file travels (from the
                # same bytes, in C, without the interpreter lock); the map outlives it.
                hashing = background.submit(mapped.sha256)
                try:
                    self._send(key, data, mapped, content_type=content_type, size=size,
                               crc32=crc32)
                finally:
                    sha256 = hashing.result()
            return sha256
        except (ClientError, BotoCoreError, S3UploadFailedError) as error:
            raise StorageError(f"could not store {key}: {error}") from error

    def _send(self, key: str, data: BinaryIO, body: BinaryIO, *, content_type: str, size: int,
              crc32: int | None) -> None:
        """Send ``size`` bytes: ``body`` in one request, or ``data`` in parts if it is large."""
        if size >= self._transfer.multipart_threshold:
            self._upload(key, data, content_type)  # each part with a checksum of its own
        elif crc32 is not None:
            # The server refuses bytes without this CRC32 (so boto3 need not compute a
            # checksum of its own, nor, where the connection protects the body, hash it for
            # the signature).
            self._checked_client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                ContentLength=size,
                ChecksumCRC32=base64.b64encode(crc32.to_bytes(4, "big")).decode())
        else:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body,
                                    ContentType=content_type, ContentLength=size)

    def _upload(self, key: str, data: BinaryIO, content_type: str) -> None:
        self._client.upload_fileobj(_KeepOpen(data), self.bucket, key,
                                    ExtraArgs={"ContentType": content_type},
                                    Config=self._transfer)

    def open(self, key: str) -> BinaryIO:
        check_key(key)
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if _code(error) in _MISSING:
                raise ObjectNotFound(key) from None
            raise StorageError(f"could not read {key}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"could not read {key}: {error}") from error

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            raise StorageError(f"could not delete {key}: {error}") from error

    def exists(self, key: str) -> bool:
        check_key(key)
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _MISSING:
                return False
            raise StorageError(f"could not check {key}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"could not check {key}: {error}") from error
        return True

    def list_keys(self, prefix: str = KEY_PREFIX, older_than: datetime | None = None,
                  ) -> Iterator[str]:
        check_prefix(prefix)
        check_aware(older_than)
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix)
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    if older_than is None or item["LastModified"] < older_than:
                        yield item["Key"]
        except (ClientError, BotoCoreError) as error:
            raise StorageError(f"could not list {prefix}: {error}") from error

    def download_url(self, key: str, *, filename: str, expires_in: int = 60,
                     content_type: str | None = None) -> str | None:
        """A presigned GET that makes the browser save the file as ``filename``.

        The disposition and content type are part of the signed query, so they cannot be
        changed without invalidating the signature.
        """
        check_key(key)
        if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_in must be 1..{MAX_PRESIGN_SECONDS} seconds")
        params = {"Bucket": self.bucket, "Key": key,
                  "ResponseContentDisposition": content_disposition(filename)}
        if content_type:
            params["ResponseContentType"] = content_type
        return self._presigner().generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in)

    def _presigner(self) -> Any:
        if not self._presign_endpoint_url or self._presign_endpoint_url == self._endpoint_url:
            return self._client
        if self._presign_client is None:
            # Signing covers the host: sign for the address the browser will use.
            self._presign_client = self._make_client(self._presign_endpoint_url, 5, 60, 1)
        return self._presign_client

    def health(self) -> dict[str, str]:
        if self._health_client is None:
            # Short timeouts, no retries: a health check must answer quickly either way.
            self._health_client = self._make_client(self._endpoint_url, 2, 2, 1)
        try:
            self._health_client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            reason = "bucket not found" if _code(error) in _MISSING else "access refused"
            return {"status": "unavailable", "backend": self.backend, "detail": reason}
        except BotoCoreError:
            return {"status": "unavailable", "backend": self.backend, "detail": "unreachable"}
        return {"status": "ok", "backend": self.backend}

    def create_bucket_if_missing(self) -> None:
        """Create the bucket unless it exists (tests and development; production buckets are
        made by infrastructure, with encryption, versioning and no public access)."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as error:
            if _code(error) not in _MISSING:
                raise StorageError(f"could not check bucket: {error}") from error
        arguments: dict[str, Any] = {"Bucket": self.bucket}
        region = self._client.meta.region_name
        if region and region != "us-east-1" and not self._endpoint_url:
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self._client.create_bucket(**arguments)
        except ClientError as error:
            # Only our own bucket will do: "BucketAlreadyExists" means someone else's.
            if _code(error) != "BucketAlreadyOwnedByYou":
                raise StorageError(f"could not create bucket: {error}") from error
