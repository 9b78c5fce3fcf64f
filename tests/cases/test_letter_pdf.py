"""The decision letter and each inspection report as PDF: the page a person sees, printed,
tagged for screen readers with its title and language; the same people may download it; the
decision's e-mail carries the letter; no Chromium is a clear 503, never a server error."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.cases.models import ProposalKind
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage, send_due
from accreditation.pdf import html_to_pdf

from ..factories import UserFactory
from ..pdfs import need_chromium, read_pdf
from ..test_notifications import smtp  # noqa: F401 (the fixture)

pytestmark = pytest.mark.usefixtures("chromium")


@pytest.fixture
def chromium():
    need_chromium()


@pytest.fixture
def decided(journey):
    journey.all_the_way()
    return journey


def denials(actor) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "access.denied", AuditEvent.actor_id == actor.id))


def test_the_provider_downloads_its_letter_as_an_accessible_pdf(app, decided, client):
    client.sign_in(decided.provider)
    page = client.get(f"/cases/{decided.case.id}/letter").text
    assert f'href="/cases/{decided.case.id}/letter.pdf"' in page
    assert "Download as PDF" in page

    response = client.get(f"/cases/{decided.case.id}/letter.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = read_pdf(response.data)
    assert pdf.tagged
    assert pdf.language == "en-GB"
    assert pdf.title.startswith(f"Decision letter {decided.case.reference}")
    assert "Accreditation decision: accredited" in pdf.text
    assert "Meets the standard." in pdf.text
    # The page's surroundings are not printed.
    for words in ("Sign out", "Your account", "Download as PDF", "Privacy"):
        assert words not in pdf.text


def test_each_inspection_report_downloads_as_an_accessible_pdf(app, decided, client):
    client.sign_in(decided.commissioner)
    link = decided.case.properties[0]
    page = client.get(f"/cases/{decided.case.id}/properties/{link.id}/report").text
    assert f'href="/cases/{decided.case.id}/properties/{link.id}/report.pdf"' in page
    response = client.get(f"/cases/{decided.case.id}/properties/{link.id}/report.pdf")
    assert response.status_code == 200
    pdf = read_pdf(response.data)
    assert pdf.tagged and pdf.language == "en-GB"
    assert pdf.title.startswith(f"Inspection report: {link.home.name}")
    assert "Marks by quality standard" in pdf.text


@pytest.mark.parametrize("path", ["letter.pdf", "properties/{link}/report.pdf"])
def test_another_provider_is_refused_and_audited(app, decided, client, path):
    stranger = UserFactory(provider=True)
    client.sign_in(stranger)
    link = decided.case.properties[0].id
    response = client.get(f"/cases/{decided.case.id}/" + path.format(link=link))
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert denials(stranger) == 1


def test_no_letter_before_a_decision(app, journey, client):
    journey.submit()
    client.sign_in(journey.provider)
    assert client.get(f"/cases/{journey.case.id}/letter.pdf").status_code == 404


def test_without_chromium_the_page_says_letters_cannot_be_made(app, decided, client, tmp_path):
    app.config["CHROMIUM"] = str(tmp_path / "no-chromium")
    client.sign_in(decided.provider)
    response = client.get(f"/cases/{decided.case.id}/letter.pdf")
    assert response.status_code == 503
    assert "Letters cannot be made as PDF at the moment" in response.text
    # The page itself still shows the letter.
    assert client.get(f"/cases/{decided.case.id}/letter").status_code == 200


def test_a_chromium_that_fails_is_a_503_too(app, decided, client, tmp_path):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    app.config["CHROMIUM"] = str(broken)
    client.sign_in(decided.commissioner)
    link = decided.case.properties[0].id
    response = client.get(f"/cases/{decided.case.id}/properties/{link}/report.pdf")
    assert response.status_code == 503
    assert "Letters cannot be made as PDF at the moment" in response.text


def test_a_chromium_that_hangs_is_stopped_and_a_503(app, decided, client, tmp_path):
    hangs = tmp_path / "chromium"
    hangs.write_text("#!/bin/sh\nsleep 60\n")
    hangs.chmod(0o755)
    app.config.update(CHROMIUM=str(hangs), PDF_TIMEOUT_SECONDS=1)
    client.sign_in(decided.provider)
    started = time.monotonic()
    response = client.get(f"/cases/{decided.case.id}/letter.pdf")
    assert response.status_code == 503
    assert "Letters cannot be made as PDF at the moment" in response.text
    assert time.monotonic() - started < 10


def test_printing_fetches_nothing(app):
    """Whatever a page asks for (a stylesheet, a picture, a script, a frame), even on this
    machine, the printer fetches nothing."""
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"
    try:
        html = (f'<!DOCTYPE html><html lang="en-GB"><head><title>Fetches</title>'
                f'<link rel="stylesheet" href="{origin}/style.css">'
                f'<script src="{origin}/script.js"></script></head><body>'
                f'<img src="{origin}/picture.png" alt=""><iframe src="{origin}/frame"></iframe>'
                f'<p style="background: url({origin}/background.png)">Text</p></body></html>')
        with app.test_request_context():
            pdf = read_pdf(html_to_pdf(html))
    finally:
        server.shutdown()
        server.server_close()
    assert "Text" in pdf.text
    assert asked == []


def test_the_decision_email_carries_the_letter(app, journey, smtp):  # noqa: F811
    journey.all_the_way()
    assert send_due()[1] == 0
    (envelope,) = [e for e in smtp.messages if b"accredited" in e.content]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    (attached,) = [part for part in message.walk()
                   if part.get_content_type() == "application/pdf"]
    assert attached.get_filename() == f"{journey.case.reference}-decision-letter.pdf"
    pdf = read_pdf(attached.get_payload(decode=True))
    assert pdf.tagged and pdf.title.startswith(f"Decision letter {journey.case.reference}")
    assert "Accreditation decision: accredited" in pdf.text
    assert "The decision letter is attached as a PDF." in message.get_body().get_content()


def sent_pdfs(smtp, subject: str) -> list[tuple[str, str]]:  # noqa: F811
    """(file name, text) of each PDF attached to the e-mails whose subject has ``subject``."""
    messages = [email.message_from_bytes(e.content, policy=email.policy.default)
                for e in smtp.messages]
    return [(part.get_filename(), read_pdf(part.get_payload(decode=True)).text)
            for message in messages if subject in message["Subject"]
            for part in message.walk() if part.get_content_type() == "application/pdf"]


def test_a_refusal_email_carries_the_letter_too(app, journey, smtp):  # noqa: F811
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    journey.adverse(ProposalKind.REFUSAL, reasons="The fire doors were wedged open.")
    assert send_due()[1] == 0
    attached = sent_pdfs(smtp, "application refused")
    assert attached
    name, text = attached[0]
    assert name == f"{journey.case.reference}-decision-letter.pdf"
    assert "Accreditation decision: refused" in text


@pytest.mark.parametrize("kind", [ProposalKind.REVOCATION, ProposalKind.SUSPENSION])
def test_the_notice_and_its_decision_are_sent_as_pdf(app, journey, smtp, client, kind):  # noqa: F811
    journey.all_the_way()
    journey.adverse(kind, reasons="The fire doors were wedged open.")
    assert send_due()[1] == 0
    notices = sent_pdfs(smtp, "notice:")
    decided = sent_pdfs(smtp, {ProposalKind.REVOCATION: "accreditation revoked",
                               ProposalKind.SUSPENSION: "accreditation suspended"}[kind])
    assert notices and decided
    for name, text in notices + decided:
        assert name == f"{journey.case.reference}-notice.pdf"
        assert "The fire doors were wedged open." in text, text
    assert "Considered; the reasons stand." in decided[0][1]

    client.sign_in(journey.provider)
    page = client.get(f"/cases/{journey.case.id}/notice").text
    assert f'href="/cases/{journey.case.id}/notice.pdf"' in page
    response = client.get(f"/cases/{journey.case.id}/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = read_pdf(response.data)
    assert pdf.tagged and pdf.language == "en-GB"
    assert "The fire doors were wedged open." in pdf.text
    assert f"Notice: proposed {kind.value} of ACC-" in pdf.text  # the reference as written


def test_without_chromium_the_decision_email_waits_and_is_sent_later(app, journey, smtp):  # noqa: F811
    journey.all_the_way()
    app.config["CHROMIUM"] = "/nonexistent/chromium"
    sent, failed = send_due()
    assert failed >= 1
    waiting = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None))).all()
    assert waiting and all(m.attempts == 1 for m in waiting)
    assert not [e for e in smtp.messages if b"accredited" in e.content]
    app.config["CHROMIUM"] = None
    assert send_due() == (len(waiting), 0)
    assert [e for e in smtp.messages if b"accredited" in e.content]
