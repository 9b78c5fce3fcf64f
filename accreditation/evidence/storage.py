"""Where evidence files live: one protocol, a local-disk backend and an S3 backend.

Keys are made here (``new_key``), never from a user's filename, so a name cannot steer where a
file is written or collide with another provider's file. The user's filename is display
metadata only (see ``filenames.py``).
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO, Protocol, runtime_checkable

KEY_PREFIX = "evidence/"
# Segments of letters, digits, '_' and '-' (dots allowed inside, never leading): no '..', no
# hidden names (the local backend's temp files start with '.'), no backslashes, no '//'.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,15}")
_PREFIX = re.compile(r"([A-Za-z0-9_-][A-Za-z0-9._-]{0,127}/){0,15}[A-Za-z0-9._-]{0,128}")


CHUNK = 1024 * 1024


class StorageError(RuntimeError):
    """The storage backend failed (unreachable, refused, incomplete write)."""


class ObjectNotFound(StorageError, KeyError):
    """No object is stored under this key."""


class InvalidKey(ValueError):
    """The key is not one this layer could have made (e.g. a path that escapes the root)."""


def new_key(now: datetime | None = None) -> str:
    """A fresh, unguessable key such as ``evidence/2025/03/<32 hex digits>``.

    The year/month folders keep directories small and let an orphan sweep work by prefix.
    """
    now = now or datetime.now(UTC)
    return f"{KEY_PREFIX}{now:%Y/%m}/{uuid.uuid4().hex}"


def check_key(key: str) -> str:
    """Return ``key`` if it is a well-formed relative key, else raise ``InvalidKey``."""
    if not isinstance(key, str) or not _KEY.fullmatch(key) or ".." in key.split("/"):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix) or ".." in prefix:
        raise InvalidKey(f"invalid storage prefix: {prefix!r}")
    return prefix


def check_aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC)")
    return moment


def copy_exactly(data: BinaryIO | bytes, out: BinaryIO, size: int,
                 crc32: int | None = None) -> str:
    """Copy ``data`` to ``out`` and return the SHA-256 (hex) of what was copied; raise
    ``StorageError`` unless it held exactly ``size`` bytes (and, given ``crc32``, bytes with
    that CRC32).

    Reads at most ``size + 1`` bytes, so a wrong size cannot make us copy an unbounded stream.
    """
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    digest, crc, written = hashlib.sha256(), 0, 0
    while written <= size:
        chunk = source.read(min(CHUNK, size + 1 - written))
        if not chunk:
            break
        out.write(chunk)
        digest.update(chunk)
        crc = zlib.crc32(chunk, crc)
        written += len(chunk)
    if written != size:
        raise StorageError(f"expected {size} bytes, got {'more' if written > size else written}")
    if crc32 is not None and crc != crc32:
        raise StorageError("the bytes read do not have the CRC32 they were sent with")
    return digest.hexdigest()


def sha256_of_rest(stream: BinaryIO) -> str:
    """The SHA-256 (hex) of the stream from its position to its end; the position is kept."""
    start = stream.tell()
    digest = hashlib.sha256()
    try:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    finally:
        stream.seek(start)
    return digest.hexdigest()


@runtime_checkable
class Storage(Protocol):
    """What the evidence layer needs from a place to keep files."""

    backend: str

    def put(self, key: str, data: BinaryIO | bytes, *, content_type: str, size: int,
            crc32: int | None = None) -> str:
        """Store exactly ``size`` bytes (read from the stream's current position) under ``key``
        and return their SHA-256 (hex), the digest the record keeps.

        Either the whole object is stored or nothing is: a failed or short write never leaves a
        partial object under ``key``. Raises ``StorageError`` if ``data`` did not hold exactly
        ``size`` bytes, if their CRC32 is not ``crc32`` (checked by the store itself where it
        can: bytes damaged on the way are never kept), or the backend failed (local disk errors
        may surface as ``OSError``); errors raised while reading ``data`` propagate unchanged.
        ``data`` is not closed.
        """
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object (the caller closes it); ``ObjectNotFound`` if none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def list_keys(self, prefix: str = KEY_PREFIX, older_than: datetime | None = None,
                  ) -> Iterator[str]:
        """Keys starting with ``prefix``, optionally only those last written before
        ``older_than`` (aware datetime), for the orphan sweep."""
        ...

    def download_url(self, key: str, *, filename: str, expires_in: int = 60,
                     content_type: str | None = None) -> str | None:
        """A short-lived URL that downloads the object as an attachment named ``filename``,
        or ``None``: the app must stream the file itself (``open``)."""
        ...

    def health(self) -> dict[str, str]:
        """``{"status": "ok" | "unavailable", "backend": ...}``; never secrets or endpoints."""
        ...
