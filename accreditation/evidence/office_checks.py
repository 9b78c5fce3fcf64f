"""Decide whether a zip is a plain Word (DOCX) or Excel (XLSX) file, safely.

Everything is decided from the zip's central directory plus a few small parts read with a
cap, so a zip bomb is refused without being expanded. The sizes in the directory can lie,
but Python's ``zipfile`` never returns more than the declared size of a member, so the
parts we do read stay bounded too.
"""

from __future__ import annotations

import re
import zipfile
from typing import BinaryIO

from .errors import ALLOWED_TYPES_MESSAGE, UploadRejected

MiB = 1024 * 1024
MAX_ENTRIES = 2_000
MAX_TOTAL_UNCOMPRESSED = 100 * MiB
# Text-heavy XML compresses well (20-50x is normal, sparse sheets more); zip bombs run to
# 1000x. The ratio is only judged for members big enough to matter.
MAX_RATIO = 100
RATIO_APPLIES_ABOVE = 1 * MiB
MAX_SMALL_PART = 2 * MiB  # [Content_Types].xml and .rels parts we read
MAX_RELS_READ = 16 * MiB

MAIN_PARTS = {
    "docx": ("word/document.xml",
             b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml",
             b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}

UNREADABLE_MESSAGE = (
    "The file could not be opened as a Word (.docx) or Excel (.xlsx) document. "
    "Open it, save it again as a new file and upload that"
)
TOO_LARGE_MESSAGE = (
    "The document expands to too much data to be checked. "
    "Remove large pictures or unused sheets, save it as a new file and upload that"
)
ACTIVE_CONTENT_MESSAGE = (
    "The document contains macros, embedded objects or links to outside templates. "
    "Save a copy as a plain Word Document (.docx) or Excel Workbook (.xlsx) without them "
    "and upload that"
)

# Parts that hold code: VBA macros, ActiveX controls, embedded OLE objects (a classic way to
# ship an executable inside a document). Printer settings are also .bin but harmless.
_ACTIVE_PART = re.compile(
    r"(^|/)(vbaProject\.bin|vbaData\.xml)$|(^|/)activeX/|(^|/)embeddings/oleObject[^/]*\.bin$",
    re.IGNORECASE,
)
# External relationships that make Office fetch and run something (template injection).
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.IGNORECASE)
_EXTERNAL = re.compile(rb"""TargetMode\s*=\s*["']External["']""", re.IGNORECASE)
_RISKY_TYPE = re.compile(
    rb"""Type\s*=\s*["'][^"']*/(attachedTemplate|oleObject|subDocument|frame)["']""",
    re.IGNORECASE,
)
_DRIVE = re.compile(r"^[A-Za-z]:")


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_SMALL_PART:
        raise UploadRejected(TOO_LARGE_MESSAGE)
    with archive.open(info) as part:
        return part.read(MAX_SMALL_PART + 1)


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise UploadRejected(TOO_LARGE_MESSAGE)
    names: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        parts = name.split("/")
        if (not name or name.startswith("/") or "\\" in name or "\x00" in name
                or _DRIVE.match(name) or ".." in parts or name.lower() in names):
            raise UploadRejected(UNREADABLE_MESSAGE)
        names.add(name.lower())
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED,
                                                               zipfile.ZIP_DEFLATED):
            raise UploadRejected(UNREADABLE_MESSAGE)  # encrypted or exotic compression
        total += info.file_size
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise UploadRejected(TOO_LARGE_MESSAGE)
        if (info.file_size > RATIO_APPLIES_ABOVE
                and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            raise UploadRejected(TOO_LARGE_MESSAGE)
        if _ACTIVE_PART.search(name):
            raise UploadRejected(ACTIVE_CONTENT_MESSAGE)


def _check_relationships(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    read = 0
    for info in infos:
        if not info.filename.lower().endswith(".rels"):
            continue
        read += info.file_size
        if read > MAX_RELS_READ:
            raise UploadRejected(TOO_LARGE_MESSAGE)
        for relationship in _RELATIONSHIP.findall(_read_capped(archive, info)):
            if _EXTERNAL.search(relationship) and _RISKY_TYPE.search(relationship):
                raise UploadRejected(ACTIVE_CONTENT_MESSAGE)


def office_kind(stream: BinaryIO) -> str:
    """``"docx"`` or ``"xlsx"`` for a well-formed, macro-free OOXML zip, else
    ``UploadRejected``. The stream must be seekable."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            _check_directory(infos)
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names:
                raise UploadRejected(ALLOWED_TYPES_MESSAGE)  # a zip, not an Office file
            content_types = _read_capped(archive, archive.getinfo("[Content_Types].xml"))
            if b"macroEnabled" in content_types:
                raise UploadRejected(ACTIVE_CONTENT_MESSAGE)
            kinds = [kind for kind, (part, _) in MAIN_PARTS.items() if part in names]
            if len(kinds) != 1:
                raise UploadRejected(ALLOWED_TYPES_MESSAGE)  # e.g. PowerPoint, OpenDocument
            kind = kinds[0]
            if MAIN_PARTS[kind][1] not in content_types:
                raise UploadRejected(ALLOWED_TYPES_MESSAGE)  # e.g. a template (.dotx)
            _check_relationships(archive, infos)
            return kind
    except UploadRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, OverflowError, KeyError):
        # Corrupt members surface as any of these (bad CRC, truncated data, odd headers).
        raise UploadRejected(UNREADABLE_MESSAGE) from None
