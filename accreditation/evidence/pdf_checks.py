"""Refuse PDFs that carry active content: scripts, launch actions, attached files.

A heuristic in the spirit of Didier Stevens' pdfid, not a PDF parser: it looks for the PDF
names that introduce active content anywhere in the file (names may be disguised with
``#xx`` escapes, so they are decoded first), and inside compressed object streams, where
PDF 1.5+ writers keep most dictionaries. Evidence is documents (certificates, policies,
insurance schedules): they have no reason to run code, so refusing is cheap, and "print to
PDF" gives the provider a clean copy. Downloads are also served as attachments and scanned
for malware (``scanning.py``); this check is one layer, not the only one.
"""

from __future__ import annotations

import mmap
import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import re2

from .errors import UploadRejected

MiB = 1024 * 1024
# Dictionaries in object streams are small; far more means padding meant to exhaust us.
MAX_OBJECT_STREAM_BYTES = 64 * MiB
# Real documents have tens to hundreds; tens of thousands would only cost us CPU time.
MAX_OBJECT_STREAMS = 5_000
CHUNK = 64 * 1024

ACTIVE_CONTENT_MESSAGE = (
    "The PDF contains scripts, attached files or actions that open other programs. "
    "Print it to a new PDF (choose 'Save as PDF' or 'Microsoft Print to PDF') and upload that"
)
ENCRYPTED_MESSAGE = (
    "The PDF is password-protected or encrypted. Upload a copy without a password"
)
UNREADABLE_MESSAGE = (
    "The PDF could not be checked. Print it to a new PDF and upload that"
)

# Long names: a chance match inside compressed binary data is practically impossible.
ACTIVE_NAMES = frozenset({b"JavaScript", b"Launch", b"EmbeddedFile", b"EmbeddedFiles",
                          b"RichMedia"})
# "/JS" is short enough to occur by chance in binary stream data (a few per cent of large
# scans would be refused), so it counts only outside stream bodies. A script action also
# needs "/S /JavaScript", which is checked everywhere.
SHORT_ACTIVE_NAMES = frozenset({b"JS"})

_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM_START = re.compile(rb"stream(?:\r\n|\n|\r)")
_STREAM_END = re.compile(rb"endstream")


def _decode(name: bytes) -> bytes:
    if b"#" not in name:
        return name
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)


# What ends a name (PDF 1.7, 7.2.2): white-space and the delimiter characters; the same set as
# a character class for the pattern below.
_DELIMITERS = frozenset(b"\x00\t\n\x0c\r ()<>[]{}/%")
_DELIMITER = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"
_PLAIN_NAMES = rb"Encrypt|JavaScript|Launch|EmbeddedFiles?|RichMedia|JS|ObjStm"


def _compile(pattern: bytes) -> re2._Regexp:
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1  # bytes, not UTF-8 text
    return re2.compile(pattern, options)


# One pass over the file finds every name that matters: any name disguised with #xx escapes
# (group 1, decoded before it is judged), or the names we act on written plainly (group 2;
# a name only if a delimiter follows, checked by ``_names``: RE2 has no look-ahead). Every
# other name is skipped inside the engine. RE2 runs in time linear in the file whatever the
# file holds (no backtracking for a hostile file to exploit), several times faster than
# Python's own engine on binary data, and lets other threads run meanwhile.
_NAMES = _compile(
    rb"/(?:([^" + _DELIMITER + rb"]{0,126}#[0-9A-Fa-f]{2}[^" + _DELIMITER + rb"]{0,124})|("
    + _PLAIN_NAMES + rb"))")


def _names(data: bytes | mmap.mmap) -> Iterator[tuple[int, bytes]]:
    """The names that matter, with their positions, in the order they occur."""
    end = len(data)
    for match in _NAMES.finditer(data):
        escaped, plain = match.groups()
        if escaped is not None:
            yield match.start(), _decode(escaped)
        elif match.end() == end or data[match.end()] in _DELIMITERS:
            yield match.start(), plain


def _stream_bodies(data: mmap.mmap) -> list[tuple[int, int]]:
    """(start, end) of each ``stream ... endstream`` body, found by keyword (approximate)."""
    bodies = []
    position = 0
    while (start := _STREAM_START.search(data, position)) is not None:
        if start.start() >= 3 and data[start.start() - 3:start.start()] == b"end":
            position = start.end()  # this was "endstream"
            continue
        end = _STREAM_END.search(data, start.end())
        if end is None:
            bodies.append((start.end(), len(data)))
            break
        bodies.append((start.end(), end.start()))
        position = end.end()
    return bodies


def _inside(position: int, bodies: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in bodies)


def _inflate_object_stream(data: mmap.mmap, after: int, budget: int) -> bytes:
    """The decompressed body of the first stream after ``after`` (a ``/Type /ObjStm``)."""
    start = _STREAM_START.search(data, after)
    if start is None or budget <= 0:
        raise UploadRejected(UNREADABLE_MESSAGE)
    end = _STREAM_END.search(data, start.end())
    stop = end.start() if end is not None else len(data)
    inflater = zlib.decompressobj()
    pieces: list[bytes] = []
    produced = 0
    position = start.end()
    try:
        while not inflater.eof:
            if position >= stop:
                raise UploadRejected(UNREADABLE_MESSAGE)  # truncated
            chunk = data[position:min(position + CHUNK, stop)]
            position += CHUNK
            # Bounded: never more than ``budget + 1`` bytes out, whatever the ratio.
            piece = inflater.decompress(chunk, budget + 1 - produced)
            produced += len(piece)
            if produced > budget:
                raise UploadRejected(UNREADABLE_MESSAGE)
            pieces.append(piece)
    except zlib.error:
        # Not Flate (or corrupt): an unusual filter chain is how scripts get hidden.
        raise UploadRejected(UNREADABLE_MESSAGE) from None
    return b"".join(pieces)


def check_pdf(stream: BinaryIO) -> None:
    """Raise ``UploadRejected`` if the PDF (a real file, rewound by the caller) looks
    encrypted or carries active content; return quietly otherwise."""
    with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        bodies: list[tuple[int, int]] | None = None
        object_streams: list[int] = []
        for position, name in _names(data):
            if name == b"Encrypt":
                raise UploadRejected(ENCRYPTED_MESSAGE)
            if name in ACTIVE_NAMES:
                raise UploadRejected(ACTIVE_CONTENT_MESSAGE)
            if name in SHORT_ACTIVE_NAMES:
                bodies = _stream_bodies(data) if bodies is None else bodies
                if not _inside(position, bodies):
                    raise UploadRejected(ACTIVE_CONTENT_MESSAGE)
            if name == b"ObjStm":
                object_streams.append(position)
                if len(object_streams) > MAX_OBJECT_STREAMS:
                    raise UploadRejected(UNREADABLE_MESSAGE)
        budget = MAX_OBJECT_STREAM_BYTES
        for position in object_streams:
            body = _inflate_object_stream(data, position, budget)
            budget -= len(body)
            for _position, name in _names(body):
                if name in ACTIVE_NAMES or name in SHORT_ACTIVE_NAMES:
                    raise UploadRejected(ACTIVE_CONTENT_MESSAGE)
                if name == b"Encrypt":
                    raise UploadRejected(ENCRYPTED_MESSAGE)
