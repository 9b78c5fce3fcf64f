"""Decide whether a zip is a plain Word (DOCX) or Excel (XLSX) file, safely.

The zip's central directory is judged first, so a zip bomb is refused without being
expanded; then a few small parts are read with a cap (content types, relationships). The
sizes in the directory can lie, but Python's ``zipfile`` never returns more than the
declared size of a member, so what we read stays within ``MAX_TOTAL_UNCOMPRESSED``.

Refused as able to act by themselves: macros (VBA, Excel 4.0 macro sheets), ActiveX and
embedded OLE objects, outside templates; and links that update when the file is opened: DDE
(a formula ``cmd|' /C calc'!A0``, ``DDE(...)``, a Word ``DDEAUTO`` field), links to other
workbooks and data connections. Formulas and fields are read from the XML parts that can hold
them, streamed through expat (no document type declarations, so no entities beyond XML's
own), once a quick look at a part's bytes finds an element that holds one.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO
from xml.parsers import expat

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
    "The selected file contains macros, embedded objects or links to outside templates. "
    "Save a copy as a plain Word Document (.docx) or Excel Workbook (.xlsx) without them "
    "and upload that"
)
LINKS_MESSAGE = (
    "The selected file contains links to other files, programs or data (external links, DDE "
    "or data connections) that can update when it is opened. Break the links or replace "
    "them with their values, save a copy and upload that"
)

# Parts that hold code: VBA macros, Excel 4.0 macro sheets, ActiveX controls, embedded OLE
# objects (a classic way to ship an executable inside a document). Printer settings are also
# .bin but harmless.
_ACTIVE_PART = re.compile(
    r"(^|/)(vbaProject\.bin|vbaData\.xml)$|(^|/)(activeX|macrosheets)/"
    r"|(^|/)embeddings/oleObject[^/]*\.bin$",
    re.IGNORECASE,
)
_ACTIVE_CONTENT_TYPES = re.compile(rb"macroEnabled|vbaProject|macrosheet", re.IGNORECASE)
# Parts that link a workbook to other workbooks, programs (DDE) or data sources, updated when
# it is opened.
_LINK_PART = re.compile(r"^xl/(externalLinks/|connections\.xml$|queryTables/)", re.IGNORECASE)
# External relationships that make Office fetch and run something (template injection).
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.IGNORECASE)
_EXTERNAL = re.compile(rb"""TargetMode\s*=\s*["']External["']""", re.IGNORECASE)
_RISKY_TYPE = re.compile(
    rb"""Type\s*=\s*["'][^"']*/(attachedTemplate|oleObject|subDocument|frame)["']""",
    re.IGNORECASE,
)
# Relationships to macros, and to links that update (wherever their target is).
_MACRO_TYPE = re.compile(
    rb"""Type\s*=\s*["'][^"']*/(vbaProject|xlMacrosheet|xlIntlMacrosheet)["']""", re.IGNORECASE)
_LINK_TYPE = re.compile(
    rb"""Type\s*=\s*["'][^"']*/(externalLink|externalLinkPath|connections|queryTable)["']""",
    re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")

# --- formulas and fields --------------------------------------------------------------------

CHUNK = 64 * 1024
# Excel allows 8,192 characters in a formula; far more is not a formula Excel wrote.
MAX_FORMULA_CHARACTERS = 64 * 1024
# A part is parsed only if it has an element that holds a formula or a field (names in XML
# are written as they are, never escaped): most parts of most files have none.
_FORMULA_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:f|formula[12]?|definedName)[\s/>]")
_FIELD_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:instrText|fldSimple)[\s/>]")
# Where a spreadsheet keeps formulas: cells (``f``, in a sheet or in an extension's ``xm:f``),
# conditional formatting and data validation, defined names.
_FORMULA_ELEMENTS = frozenset({"f", "formula", "formula1", "formula2", "definedName"})
# Text in double quotes, and sheet names in single quotes (a doubled quote inside either
# reads as two quoted runs, which comes to the same).
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
# DDE(...) and DDEAUTO(...): LibreOffice runs them as DDE links.
_DDE_FUNCTION = re.compile(r"(?<!\w)DDE(?:AUTO)?\s*\(", re.IGNORECASE)
# Word fields that ask another program for their value.
_DDE_FIELDS = frozenset({"DDE", "DDEAUTO"})
# Only a field's first word says what it is.
_FIELD_PREFIX = 256


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
        if _LINK_PART.search(name):
            raise UploadRejected(LINKS_MESSAGE)


def _check_relationships(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    read = 0
    for info in infos:
        if not info.filename.lower().endswith(".rels"):
            continue
        read += info.file_size
        if read > MAX_RELS_READ:
            raise UploadRejected(TOO_LARGE_MESSAGE)
        for relationship in _RELATIONSHIP.findall(_read_capped(archive, info)):
            if _MACRO_TYPE.search(relationship) or (
                    _EXTERNAL.search(relationship) and _RISKY_TYPE.search(relationship)):
                raise UploadRejected(ACTIVE_CONTENT_MESSAGE)
            if _LINK_TYPE.search(relationship):
                raise UploadRejected(LINKS_MESSAGE)


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    with archive.open(info) as part:
        while chunk := part.read(CHUNK):
            yield chunk


def _has(archive: zipfile.ZipFile, info: zipfile.ZipInfo, tag: re.Pattern[bytes]) -> bool:
    tail = b""
    for chunk in _chunks(archive, info):
        if tag.search(tail + chunk):
            return True
        tail = chunk[-32:]  # a tag may straddle two chunks
    return False


def _local(name: str) -> str:
    """An element's or attribute's name without its namespace (expat gives "uri name")."""
    return name.rpartition(" ")[2]


def _attribute(attributes: dict[str, str], name: str) -> str:
    return next((value for key, value in attributes.items() if _local(key) == name), "")


def _no_document_type(*_args: object) -> None:
    # Office never writes one; a DTD is how entity expansion attacks begin.
    raise UploadRejected(UNREADABLE_MESSAGE)


def _parse(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
           start: Callable[[str, dict[str, str]], None], end: Callable[[str], None],
           text: Callable[[str], None]) -> None:
    """Stream one XML part through expat with these handlers (which may raise)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _no_document_type
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    try:
        for chunk in _chunks(archive, info):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise UploadRejected(UNREADABLE_MESSAGE) from None


def reaches_another_program(formula: str) -> bool:
    """Whether a spreadsheet formula asks another program for a value (DDE): a ``|``
    outside quoted text and sheet names (``cmd|' /C calc'!A0``), or ``DDE(...)``."""
    code = _QUOTED.sub(" ", formula)
    return "|" in code or _DDE_FUNCTION.search(code) is not None


def _check_formulas(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    formula: list[str] = []
    length, inside = 0, False

    def start(name: str, _attributes: dict[str, str]) -> None:
        nonlocal length, inside
        if _local(name) in _FORMULA_ELEMENTS:
            formula.clear()
            length, inside = 0, True

    def end(name: str) -> None:
        nonlocal inside
        if inside and _local(name) in _FORMULA_ELEMENTS:
            inside = False
            if reaches_another_program("".join(formula)):
                raise UploadRejected(LINKS_MESSAGE)

    def text(data: str) -> None:
        nonlocal length
        if inside:
            length += len(data)
            if length > MAX_FORMULA_CHARACTERS:
                raise UploadRejected(UNREADABLE_MESSAGE)
            formula.append(data)

    _parse(archive, info, start, end, text)


def _judge_field(instruction: str) -> None:
    words = instruction.split(maxsplit=1)
    if words and words[0].upper() in _DDE_FIELDS:
        raise UploadRejected(LINKS_MESSAGE)


def _check_fields(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Word fields: simple ones (``w:fldSimple w:instr``) and those written in runs (a
    ``begin``, the instruction in ``w:instrText`` runs, perhaps other fields nested in it, a
    ``separate`` and an ``end``)."""
    fields: list[list[str]] = []  # the instruction of each field begun and not yet ended
    inside = False

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal inside
        local = _local(name)
        if local == "fldSimple":
            _judge_field(_attribute(attributes, "instr"))
        elif local == "fldChar":
            kind = _attribute(attributes, "fldCharType")
            if kind == "begin":
                fields.append([])
            elif kind in ("separate", "end") and fields:
                _judge_field("".join(fields[-1]))
                if kind == "end":
                    fields.pop()
        elif local == "instrText":
            inside = True
            if not fields:
                fields.append([])  # an instruction without its begin: judged all the same

    def end(name: str) -> None:
        nonlocal inside
        if _local(name) == "instrText":
            inside = False
            if fields:
                _judge_field("".join(fields[-1]))

    def text(data: str) -> None:
        if inside and fields and sum(map(len, fields[-1])) < _FIELD_PREFIX:
            fields[-1].append(data)

    _parse(archive, info, start, end, text)


def _check_contents(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], kind: str) -> None:
    """The formulas of a workbook, or the fields of a document, in every part that can hold
    them (shared strings are only ever text)."""
    folder, tag, check = (("xl/", _FORMULA_TAG, _check_formulas) if kind == "xlsx"
                          else ("word/", _FIELD_TAG, _check_fields))
    for info in infos:
        name = info.filename
        if (name.startswith(folder) and name.lower().endswith(".xml")
                and name != "xl/sharedStrings.xml" and _has(archive, info, tag)):
            check(archive, info)


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
            if _ACTIVE_CONTENT_TYPES.search(content_types):
                raise UploadRejected(ACTIVE_CONTENT_MESSAGE)
            kinds = [kind for kind, (part, _) in MAIN_PARTS.items() if part in names]
            if len(kinds) != 1:
                raise UploadRejected(ALLOWED_TYPES_MESSAGE)  # e.g. PowerPoint, OpenDocument
            kind = kinds[0]
            if MAIN_PARTS[kind][1] not in content_types:
                raise UploadRejected(ALLOWED_TYPES_MESSAGE)  # e.g. a template (.dotx)
            _check_relationships(archive, infos)
            _check_contents(archive, infos, kind)
            return kind
    except UploadRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, OverflowError, KeyError, zlib.error):
        # Corrupt members surface as any of these (bad CRC, truncated data, odd headers).
        raise UploadRejected(UNREADABLE_MESSAGE) from None
