"""Evidence files on local disk: the zero-set-up default (one host only)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .storage import (
    KEY_PREFIX,
    InvalidKey,
    ObjectNotFound,
    check_aware,
    check_key,
    check_prefix,
    copy_exactly,
)

TEMP_SUFFIX = ".tmp"


class LocalStorage:
    """Files under ``root`` (keep it outside any static folder: files are served only through
    the app). Writes are atomic (temp file in the same directory, fsync, ``os.replace``) and
    files and folders are readable by the service's user only."""

    backend = "local"

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True):
        self.root = Path(root).resolve()
        self.fsync = fsync

    def _path(self, key: str) -> Path:
        check_key(key)
        # Resolving also follows symlinks: a link planted inside the root cannot lead out of it.
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKey(f"storage key escapes the storage root: {key!r}")
        return path

    def put(self, key: str, data: BinaryIO | bytes, *, content_type: str, size: int,
            crc32: int | None = None) -> str:
        path = self._path(key)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp creates the file with mode 0600; the leading dot hides it from list_keys.
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=TEMP_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                sha256 = copy_exactly(data, out, size, crc32)
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            os.replace(temp_name, path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        if self.fsync:
            # Make the rename itself durable, not only the file's bytes.
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        return sha256

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def delete(self, key: str) -> None:
        with suppress(FileNotFoundError):
            self._path(key).unlink()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_keys(self, prefix: str = KEY_PREFIX, older_than: datetime | None = None,
                  ) -> Iterator[str]:
        check_prefix(prefix)
        check_aware(older_than)
        # Walk only the deepest folder the prefix names in full.
        start = self.root / prefix.rpartition("/")[0]
        for directory, folders, files in os.walk(start):
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue  # a write in progress (or abandoned by a crash)
                path = Path(directory, name)
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                if older_than is not None:
                    try:
                        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
                    except FileNotFoundError:
                        continue  # deleted while we walked
                    if modified >= older_than:
                        continue
                yield key

    def remove_stale_temp_files(self, older_than_seconds: float = 24 * 3600) -> int:
        """Delete temp files left by writes that crashed; returns how many were removed."""
        removed = 0
        cutoff = time.time() - older_than_seconds
        for directory, _folders, files in os.walk(self.root):
            for name in files:
                path = Path(directory, name)
                if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                    with suppress(FileNotFoundError):
                        if path.stat().st_mtime < cutoff:
                            path.unlink()
                            removed += 1
        return removed

    def download_url(self, key: str, *, filename: str, expires_in: int = 60,
                     content_type: str | None = None) -> str | None:
        check_key(key)
        return None  # no URL of its own: the app streams the file (open) after its checks

    def health(self) -> dict[str, str]:
        ok = self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK)
        if not ok and not self.root.exists():
            # Nothing stored yet is healthy if the folder can be created on the first upload.
            parent = next((p for p in self.root.parents if p.exists()), None)
            ok = parent is not None and os.access(parent, os.W_OK | os.X_OK)
        return {"status": "ok" if ok else "unavailable", "backend": self.backend}
