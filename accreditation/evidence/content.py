"""What an upload really is: size-limited and typed by its content, never its name.

``inspect_upload`` is the one door for every evidence file. It never trusts the filename or
the browser's content type: the first bytes decide the type, and the few types we accept get
a structural check (``pdf_checks``, ``office_checks``). Photos are then re-encoded by
``images.clean_image`` to strip metadata.
"""

from __future__ import annotations

import io
import mmap
import os
import tempfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from . import background, office_checks, pdf_checks
from .errors import (
    ALLOWED_TYPES_MESSAGE,
    EMPTY_MESSAGE,
    LEGACY_OFFICE_MESSAGE,
    FileTooLarge,
    UploadRejected,
)
from .filenames import sanitise_filename

__all__ = ["CheckedFile", "ReceivedFile", "UploadRejected", "inspect_upload", "receive_upload",
           "sniff"]

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MiB
SPOOL_IN_MEMORY_BYTES = 1 * MiB  # larger uploads go to a temp file on disk
CHUNK = 64 * 1024
HEAD_BYTES = 512

@dataclass(frozen=True)
class FileKind:
    kind: str
    content_type: str
    extension: str


KINDS = {
    kind.kind: kind
    for kind in (
        FileKind("pdf", "application/pdf", "pdf"),
        FileKind("jpeg", "image/jpeg", "jpg"),
        FileKind("png", "image/png", "png"),
        FileKind("heic", "image/heic", "heic"),
        FileKind("docx",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "docx"),
        FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "xlsx"),
    )
}
IMAGE_KINDS = frozenset({"jpeg", "png", "heic"})


@dataclass(eq=False)
class CheckedFile:
    """An upload that passed the checks. ``stream`` is a temp file positioned at the start;
    close the ``CheckedFile`` (or use it as a context manager) when done."""

    stream: BinaryIO
    size: int
    crc32: int  # of the whole file: the store checks what reaches it against this
    content_type: str
    kind: str
    display_filename: str

    @property
    def is_image(self) -> bool:
        """Photos must go through ``images.clean_image`` before they are stored."""
        return self.kind in IMAGE_KINDS

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> CheckedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_size(size: int) -> str:
    if size >= MiB and size % MiB == 0:
        return f"{size // MiB} MB"
    if size >= 1024:
        return f"{size / MiB:.1f} MB" if size >= MiB else f"{size // 1024} KB"
    return f"{size} bytes"


def _heif_brands(head: bytes) -> list[bytes]:
    """Major and compatible brands of an ISO-BMFF ``ftyp`` box at the start, if any."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return []
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16 or box_size % 4 or box_size > len(head):
        return []
    brands = [head[8:12]]  # then a 4-byte minor version, then compatible brands
    brands += [head[i:i + 4] for i in range(16, box_size, 4)]
    return brands


HEVC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
GENERIC_HEIF_BRANDS = {b"mif1", b"msf1"}


def sniff(head: bytes) -> str | None:
    """The kind the first bytes announce: a ``KINDS`` key, ``"zip"``, ``"ole"`` or ``None``.

    Only signatures at offset 0 count, so a file cannot hide one type behind another.
    """
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    brands = _heif_brands(head)
    if brands and (brands[0] in HEVC_BRANDS or (
            brands[0] in GENERIC_HEIF_BRANDS and HEVC_BRANDS.intersection(brands[1:]))):
        return "heic"
    return None


def _on_disk(stream: BinaryIO) -> bool:
    """Whether the upload is already a file of its own on disk, at its start (as the web
    framework keeps request files that are not small): then it is checked where it is."""
    if isinstance(stream, tempfile.SpooledTemporaryFile) and not stream._rolled:
        return False  # still in memory: asking for its file number would write it to disk
    try:
        stream.fileno()
        return stream.tell() == 0 and stream.seekable()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False


def _too_large(max_bytes: int) -> FileTooLarge:
    return FileTooLarge(f"The file must be smaller than {describe_size(max_bytes)}")


def _spool(stream: BinaryIO, max_bytes: int) -> tuple[BinaryIO, int, bool]:
    """The upload as a seekable file at its start, its size, and whether it is a file on
    disk; never more than ``max_bytes + 1`` bytes read. A file the framework already keeps on
    disk is used where it is (a second copy of every upload would only cost time)."""
    if _on_disk(stream):
        size = os.fstat(stream.fileno()).st_size
        if size > max_bytes:
            raise _too_large(max_bytes)
        return stream, size, True
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    size = 0
    try:
        while size <= max_bytes:
            chunk = stream.read(min(CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, size, False


def _crc32(stream: BinaryIO, *, on_disk: bool) -> int:
    if on_disk:
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return zlib.crc32(data)  # in C, without holding the GIL
    crc = 0
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        crc = zlib.crc32(chunk, crc)
    return crc


@dataclass(eq=False)
class ReceivedFile:
    """An upload within the size limit whose type its content names (for Office files, a
    well-formed, macro-free zip), without its CRC32 yet nor, for PDFs, checked for active
    content: ``check`` finishes the job. Close it (or use it as a context manager) when done."""

    stream: BinaryIO
    size: int
    kind: str
    filename: str | None
    on_disk: bool

    @property
    def content_type(self) -> str:
        return KINDS[self.kind].content_type

    @property
    def is_image(self) -> bool:
        return self.kind in IMAGE_KINDS

    def check(self) -> CheckedFile:
        """Work out the CRC32 and run the remaining checks; the ``CheckedFile`` shares the
        stream (closing either closes both). A PDF on disk has its content checked in another
        thread meanwhile: both read it through their own memory map, and both run without
        holding the interpreter lock, so they take the time of the slower one."""
        self.stream.seek(0)
        if self.kind == "pdf" and self.on_disk:
            checking = background.submit(pdf_checks.check_pdf, self.stream)
            try:
                crc32 = _crc32(self.stream, on_disk=True)
            finally:
                checking.result()  # raises what the check raised
        else:
            crc32 = _crc32(self.stream, on_disk=self.on_disk)
            self.stream.seek(0)
            if self.kind == "pdf":
                pdf_checks.check_pdf(self.stream)
        self.stream.seek(0)
        file_kind = KINDS[self.kind]
        return CheckedFile(
            stream=self.stream, size=self.size, crc32=crc32,
            content_type=file_kind.content_type, kind=self.kind,
            display_filename=sanitise_filename(self.filename, extension=file_kind.extension))

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> ReceivedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def receive_upload(stream: BinaryIO, *, filename: str | None,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> ReceivedFile:
    """The first half of ``inspect_upload``: size limit, then the type by content (Office
    zips checked in full). Raises ``UploadRejected`` (``FileTooLarge`` for size)."""
    spool, size, on_disk = _spool(stream, max_bytes)
    try:
        if size == 0:
            raise UploadRejected(EMPTY_MESSAGE)
        kind = sniff(spool.read(HEAD_BYTES))
        spool.seek(0)
        if kind == "zip":
            kind = office_checks.office_kind(spool)
        elif kind == "ole":
            raise UploadRejected(LEGACY_OFFICE_MESSAGE)
        elif kind not in KINDS:
            raise UploadRejected(ALLOWED_TYPES_MESSAGE)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return ReceivedFile(stream=spool, size=size, kind=kind, filename=filename, on_disk=on_disk)


def inspect_upload(stream: BinaryIO, *, filename: str | None,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> CheckedFile:
    """Check an upload and return it as a ``CheckedFile``, or raise ``UploadRejected``.

    Guarantees: never holds more than ``SPOOL_IN_MEMORY_BYTES`` in memory nor reads more than
    ``max_bytes + 1`` bytes; the kind is decided by content (PDF, JPEG, PNG, HEIC, DOCX,
    XLSX) and everything else is refused; files that could act when opened are refused (PDFs
    with scripts, XFA forms, actions on opening, links to other files or attachments; Office
    files with macros, DDE or external links), and so are encrypted PDFs and Office files
    that are zip bombs or malformed.
    ``filename`` is only sanitised into ``display_filename``.
    """
    received = receive_upload(stream, filename=filename, max_bytes=max_bytes)
    try:
        return received.check()
    except BaseException:
        received.close()
        raise
