"""Refuse PDFs that could do something by themselves: scripts, XFA forms, actions that run
on opening or reach other files, programs or network places, attached files and media; and
encrypted PDFs, which cannot be checked.

Evidence is documents (certificates, policies, insurance schedules): they have no reason to
act, so refusing is cheap, and "print to PDF" gives the provider a clean copy. Downloads are
also served as attachments and scanned for malware (``scanning.py``); this check is one
layer, not the only one. It runs in two passes:

1. **The file's bytes**, in the spirit of Didier Stevens' pdfid: the names that introduce
   active content, anywhere in the file (names may be disguised with ``#xx`` escapes, so they
   are decoded first), and inside compressed object streams, where PDF 1.5+ writers keep most
   dictionaries. It sees objects that no cross-reference table lists, which a reader may
   still find when it repairs a file, and it runs in time linear in the file with RE2.
2. **The document as a reader sees it**, parsed by qpdf (through pikepdf): every object the
   cross-reference tables list, whatever filters and predictors compress it, each
   dictionary judged by its keys and values. This pass decides what the names alone cannot:
   an XFA form, what runs when the document or a page is opened or the pointer passes over
   something, where a link goes. A file qpdf cannot open at all (not a document any reader
   would show) is judged by its bytes: refused if they hold a name only this pass can judge.

qpdf's limits are set once for the process (``set_qpdf_limits``): a stream may not inflate
past ``MAX_DECODED_STREAM_BYTES``, and a file with more than ``MAX_OBJECTS`` objects is not
judged one object at a time (it could take seconds): it is refused as one that cannot be
checked.
"""

from __future__ import annotations

import bisect
import logging
import mmap
import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import pikepdf
import re2
from pikepdf import ObjectType

from .errors import UploadRejected

MiB = 1024 * 1024
# Dictionaries in object streams are small; far more means padding meant to exhaust us.
MAX_OBJECT_STREAM_BYTES = 64 * MiB
# Real documents have tens to hundreds; tens of thousands would only cost us CPU time.
MAX_OBJECT_STREAMS = 5_000
# A long, tagged report has tens of thousands of objects; each costs the second pass a few
# microseconds.
MAX_OBJECTS = 250_000
# What qpdf may inflate for one stream (an object stream, a cross-reference stream).
MAX_DECODED_STREAM_BYTES = MAX_OBJECT_STREAM_BYTES
# Steps followed along one chain of actions (``/Next``) before giving up on it.
MAX_CHAINED_ACTIONS = 100
CHUNK = 64 * 1024

PRINT_TO_PDF = ("Print it to a new PDF (choose 'Save as PDF' or 'Microsoft Print to PDF') "
                "and upload that")
SCRIPT_MESSAGE = f"The selected file contains scripts or a form that runs them. {PRINT_TO_PDF}"
ACTION_MESSAGE = (
    "The selected file contains actions that run when it is opened, send data, or open "
    f"programs or other files. {PRINT_TO_PDF}")
ATTACHMENT_MESSAGE = f"The selected file contains attached files or media. {PRINT_TO_PDF}"
ENCRYPTED_MESSAGE = (
    "The PDF is password-protected or encrypted. Upload a copy without a password"
)
UNREADABLE_MESSAGE = (
    "The PDF could not be checked. Print it to a new PDF and upload that"
)

# What each name means wherever it is written. Long names: a chance match inside compressed
# binary data is practically impossible.
ACTIVE_NAMES = {
    b"JavaScript": SCRIPT_MESSAGE,
    b"Launch": ACTION_MESSAGE, b"SubmitForm": ACTION_MESSAGE, b"ImportData": ACTION_MESSAGE,
    b"GoToR": ACTION_MESSAGE, b"GoToE": ACTION_MESSAGE,
    b"EmbeddedFile": ATTACHMENT_MESSAGE, b"EmbeddedFiles": ATTACHMENT_MESSAGE,
    b"RichMedia": ATTACHMENT_MESSAGE,
}
# "/JS" is short enough to occur by chance in binary stream data (a few per cent of large
# scans would be refused), so it counts only outside stream bodies. A script action also
# needs "/S /JavaScript", which is checked everywhere.
SHORT_ACTIVE_NAMES = {b"JS": SCRIPT_MESSAGE}
# Names whose meaning depends on where they are and what they hold (an action on opening may
# go to a page; a link may go to a website, not a network share): the second pass judges
# them. A file that qpdf cannot parse at all is judged by its bytes alone, and then any of
# these outside stream bodies refuses it as one that cannot be checked.
READER_NAMES = frozenset({b"OpenAction", b"AA", b"URI", b"XFA", b"EF", b"FileAttachment",
                          b"Thread", b"Rendition", b"RichMediaExecute", b"Movie", b"Sound",
                          b"Screen", b"3D"})

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
# Where one name begins another, the longer comes first (the first alternative that matches
# is taken, and a name must end at a delimiter).
_PLAIN_NAMES = (rb"Encrypt|JavaScript|Launch|SubmitForm|ImportData|GoTo[RE]|EmbeddedFiles?"
                rb"|RichMedia|JS|ObjStm")
_PLAIN_READER_NAMES = (rb"OpenAction|AA|URI|XFA|EF|FileAttachment|Thread|Rendition"
                       rb"|RichMediaExecute|Movie|Sound|Screen|3D")


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
def _names_pattern(plain: bytes) -> re2._Regexp:
    return _compile(
        rb"/(?:([^" + _DELIMITER + rb"]{0,126}#[0-9A-Fa-f]{2}[^" + _DELIMITER + rb"]{0,124})|("
        + plain + rb"))")


_NAMES = _names_pattern(_PLAIN_NAMES)
# Only looked for in a file qpdf cannot open (``READER_NAMES``).
_READER_NAMES = _names_pattern(_PLAIN_READER_NAMES)


def _names(data: bytes | mmap.mmap, pattern: re2._Regexp = _NAMES,
           ) -> Iterator[tuple[int, bytes]]:
    """The names that matter, with their positions, in the order they occur."""
    end = len(data)
    for match in pattern.finditer(data):
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
    """Whether ``position`` is in one of ``bodies`` (in file order, none overlapping)."""
    index = bisect.bisect_right(bodies, position, key=lambda body: body[0]) - 1
    return index >= 0 and position < bodies[index][1]


def _inflate_object_stream(data: mmap.mmap, after: int, budget: int) -> tuple[bytes, bool]:
    """The body of the first stream after ``after`` (a ``/Type /ObjStm``), and whether it
    was inflated: if it is not Flate it is given as it is (an uncompressed object stream is
    plain text; one with any other filter is for the second pass, which decodes them all)."""
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
        if stop - start.end() > budget:
            raise UploadRejected(UNREADABLE_MESSAGE) from None
        return data[start.end():stop], False
    return b"".join(pieces), True


def _scan_bytes(data: mmap.mmap) -> list[int]:
    """The first pass: refuse the file for the names in its bytes and in its object streams
    that are active content wherever they are. Return where its object streams are."""
    bodies: list[tuple[int, int]] | None = None
    object_streams: list[int] = []
    for position, name in _names(data):
        if name == b"Encrypt":
            raise UploadRejected(ENCRYPTED_MESSAGE)
        if name in ACTIVE_NAMES:
            raise UploadRejected(ACTIVE_NAMES[name])
        if name in SHORT_ACTIVE_NAMES:
            bodies = _stream_bodies(data) if bodies is None else bodies
            if not _inside(position, bodies):
                raise UploadRejected(SHORT_ACTIVE_NAMES[name])
        if name == b"ObjStm":
            object_streams.append(position)
            if len(object_streams) > MAX_OBJECT_STREAMS:
                raise UploadRejected(UNREADABLE_MESSAGE)
    budget = MAX_OBJECT_STREAM_BYTES
    for position in object_streams:
        body, _inflated = _inflate_object_stream(data, position, budget)
        budget -= len(body)
        for _position, name in _names(body):
            if name in ACTIVE_NAMES:
                raise UploadRejected(ACTIVE_NAMES[name])
            if name in SHORT_ACTIVE_NAMES:
                raise UploadRejected(SHORT_ACTIVE_NAMES[name])
            if name == b"Encrypt":
                raise UploadRejected(ENCRYPTED_MESSAGE)
    return object_streams


def _needs_a_reader(data: mmap.mmap, object_streams: list[int]) -> bool:
    """For a file qpdf cannot open: whether its bytes hold anything only the second pass can
    judge, a name of ``READER_NAMES`` outside stream bodies or in an object stream, or an
    object stream the first pass could not inflate."""
    bodies: list[tuple[int, int]] | None = None
    for position, name in _names(data, _READER_NAMES):
        if name in READER_NAMES:
            bodies = _stream_bodies(data) if bodies is None else bodies
            if not _inside(position, bodies):
                return True
    budget = MAX_OBJECT_STREAM_BYTES
    for position in object_streams:
        body, inflated = _inflate_object_stream(data, position, budget)
        budget -= len(body)
        if not inflated or any(name in READER_NAMES
                                for _position, name in _names(body, _READER_NAMES)):
            return True
    return False


# --- the second pass: the document as a reader sees it ------------------------------------------

pikepdf.settings.set_qpdf_limits(
    flate_max_memory=MAX_DECODED_STREAM_BYTES, png_max_memory=MAX_DECODED_STREAM_BYTES,
    run_length_max_memory=MAX_DECODED_STREAM_BYTES, tiff_max_memory=MAX_DECODED_STREAM_BYTES)
# qpdf logs each flaw it repairs in a damaged upload as an error; what a flaw means for the
# upload is decided here, and a refusal is in the audit trail.
logging.getLogger("pikepdf._core").setLevel(logging.CRITICAL)

_DICTIONARY, _ARRAY, _STREAM = ObjectType.dictionary, ObjectType.array, ObjectType.stream
_CONTAINERS = (_DICTIONARY, _ARRAY)

# Keys that are active content wherever they appear: a script (an action's, or the
# document's name tree of scripts), an XFA form (it carries its own scripts and data
# connections, and only a reader that runs them shows it), attached files, rich media.
_KEYS = {"/JS": SCRIPT_MESSAGE, "/JavaScript": SCRIPT_MESSAGE, "/XFA": SCRIPT_MESSAGE,
         "/EF": ATTACHMENT_MESSAGE, "/EmbeddedFiles": ATTACHMENT_MESSAGE,
         "/RichMediaContent": ATTACHMENT_MESSAGE}
# Annotations (and objects) that play media or hold a file.
_SUBTYPES = {"/FileAttachment", "/RichMedia", "/3D", "/Movie", "/Sound", "/Screen"}
# Actions (the ``/S`` of an action dictionary) refused wherever they are, even on a click.
_ACTIONS = {"/JavaScript": SCRIPT_MESSAGE,
            "/Launch": ACTION_MESSAGE, "/SubmitForm": ACTION_MESSAGE,
            "/ImportData": ACTION_MESSAGE, "/GoToR": ACTION_MESSAGE, "/GoToE": ACTION_MESSAGE,
            "/Rendition": ATTACHMENT_MESSAGE, "/Movie": ATTACHMENT_MESSAGE,
            "/Sound": ATTACHMENT_MESSAGE, "/RichMediaExecute": ATTACHMENT_MESSAGE}
# A link may open a web page or start an e-mail when clicked; any other address (file:,
# smb:, a network share, a relative address resolved against a base the file sets) is
# another file, or a way to make the computer sign in to someone else's server.
_CLICKABLE_ADDRESSES = (b"http://", b"https://", b"mailto:")
# What may happen without a click (when the document or a page opens, or the pointer passes
# over something): going to a page of the document, nothing else.
_AUTOMATIC_ACTIONS = {"/GoTo"}


def _type(value: pikepdf.Object | None) -> ObjectType:
    """What a value is; pikepdf gives PDF's null as ``None``."""
    return ObjectType.null if value is None else value._type_code


def _key(dictionary: pikepdf.Object, key: str) -> pikepdf.Object | None:
    value = dictionary.get(key)
    return None if _type(value) is ObjectType.null else value


def _name(dictionary: pikepdf.Object, key: str) -> str | None:
    value = _key(dictionary, key)
    if _type(value) is not ObjectType.name_:
        return None
    try:
        return str(value)
    except UnicodeDecodeError:  # legal in a PDF, and none of the names we act on
        return None


def _values(dictionary: pikepdf.Object) -> list:
    try:
        return list(dictionary.values())
    except UnicodeDecodeError:
        # A key or name that is not UTF-8 (legal in a PDF): the values under keys a reader
        # knows (all plain ASCII) are read one by one; no reader acts on the others.
        keys = dictionary.keys()
        return [dictionary.get(key) for key in keys if key.isascii()]


def _judge_action(action: pikepdf.Object) -> None:
    """An action as it may be clicked (``/S`` is what it does)."""
    kind = _name(action, "/S")
    if kind in _ACTIONS:
        raise UploadRejected(_ACTIONS[kind])
    if kind == "/URI":
        address = _key(action, "/URI")
        if (_type(address) is not ObjectType.string
                or not bytes(address).strip().lower().startswith(_CLICKABLE_ADDRESSES)):
            raise UploadRejected(ACTION_MESSAGE)
    if kind == "/Thread" and _key(action, "/F") is not None:
        raise UploadRejected(ACTION_MESSAGE)  # a thread in another file


def _judge_automatic(first: pikepdf.Object) -> None:
    """What runs without a click: the action and every one chained after it (``/Next``)
    may only go to a page. A destination (an array) is not an action."""
    pending, seen, steps = [first], set(), 0
    while pending:
        action = pending.pop()
        if _type(action) not in (_DICTIONARY, _STREAM):
            continue
        if action.is_indirect:
            if action.objgen in seen:
                continue
            seen.add(action.objgen)
        steps += 1
        if steps > MAX_CHAINED_ACTIONS:
            raise UploadRejected(ACTION_MESSAGE)
        kind = _name(action, "/S")
        if kind not in _AUTOMATIC_ACTIONS:
            raise UploadRejected(_ACTIONS.get(kind, ACTION_MESSAGE))
        following = _key(action, "/Next")
        pending.extend(following if _type(following) is _ARRAY else [following])


def _judge_dictionary(dictionary: pikepdf.Object) -> None:
    keys = dictionary.keys()
    active = keys & _KEYS.keys()
    if active:
        raise UploadRejected(_KEYS[min(active)])
    if (("/Type" in keys and _name(dictionary, "/Type") == "/EmbeddedFile")
            or ("/Subtype" in keys and _name(dictionary, "/Subtype") in _SUBTYPES)):
        raise UploadRejected(ATTACHMENT_MESSAGE)
    if "/S" in keys:
        _judge_action(dictionary)
    if "/OpenAction" in keys:
        _judge_automatic(dictionary["/OpenAction"])
    if "/AA" in keys:  # additional actions: on opening a page, passing over a link...
        triggers = _key(dictionary, "/AA")
        if _type(triggers) is _DICTIONARY:
            for action in _values(triggers):
                _judge_automatic(action)
        elif triggers is not None:
            raise UploadRejected(ACTION_MESSAGE)


def _judge_object(top: pikepdf.Object) -> None:
    """One object and the dictionaries and arrays written inside it (the objects it refers
    to are judged on their own)."""
    pending = [top]
    while pending:
        current = pending.pop()
        kind = _type(current)
        if kind is _ARRAY:
            children = current
        elif kind is _DICTIONARY or kind is _STREAM:
            _judge_dictionary(current)
            children = _values(current)
        else:
            continue
        pending.extend(child for child in children
                       if _type(child) in _CONTAINERS and not child.is_indirect)


def _check_object_streams(document: pikepdf.Pdf, xref: dict) -> None:
    """Every object stream the cross-reference tables use must decode, within the limits:
    qpdf would otherwise read the objects in one it cannot decode as null, and we would
    judge nothing where another reader may find something."""
    numbers = {entry.obj_stream_number for entry in xref.values() if entry.type == 2}
    if len(numbers) > MAX_OBJECT_STREAMS:
        raise UploadRejected(UNREADABLE_MESSAGE)
    budget = MAX_OBJECT_STREAM_BYTES
    for number in sorted(numbers):
        container = document.get_object(number, 0)
        if _type(container) is not _STREAM:
            raise UploadRejected(UNREADABLE_MESSAGE)
        budget -= len(container.read_bytes())
        if budget < 0:
            raise UploadRejected(UNREADABLE_MESSAGE)


class _Unparsable(Exception):
    """qpdf could not make a document of the file at all, even by repairing it."""


def _open(stream: BinaryIO) -> pikepdf.Pdf:
    try:
        return pikepdf.open(stream, access_mode=pikepdf.AccessMode.mmap,
                            inherit_page_attributes=False, conversion_mode="explicit")
    except pikepdf.PasswordError:
        raise UploadRejected(ENCRYPTED_MESSAGE) from None
    except (pikepdf.PikepdfError, RuntimeError):
        raise _Unparsable from None


def _check_document(stream: BinaryIO) -> None:
    """The second pass: every object of the document, parsed by qpdf. Raises
    ``_Unparsable`` if qpdf cannot open the file."""
    try:
        with _open(stream) as document:
            if document.is_encrypted:
                raise UploadRejected(ENCRYPTED_MESSAGE)
            xref = document.get_xref_table()
            if len(xref) > MAX_OBJECTS:
                raise UploadRejected(UNREADABLE_MESSAGE)
            _check_object_streams(document, xref)
            for obj in document.objects:
                _judge_object(obj)
    except (pikepdf.PikepdfError, RuntimeError):
        raise UploadRejected(UNREADABLE_MESSAGE) from None


def check_pdf(stream: BinaryIO) -> None:
    """Raise ``UploadRejected`` if the PDF (a real file, rewound by the caller) is
    encrypted, could act by itself or cannot be checked; return quietly otherwise.

    A file qpdf cannot open at all (no pages, no trailer: not a document a reader would
    show) is judged by its bytes: accepted if nothing in them needs the second pass."""
    with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        object_streams = _scan_bytes(data)
        stream.seek(0)
        try:
            _check_document(stream)
        except _Unparsable:
            if _needs_a_reader(data, object_streams):
                raise UploadRejected(UNREADABLE_MESSAGE) from None
