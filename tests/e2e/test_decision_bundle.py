"""Through the browser: a commissioner opens a decided application, downloads the decision
letter as PDF and the decision bundle from the page's links, as a person does, and
``accreditation decisions verify-bundle`` says the bundle holds."""

from __future__ import annotations

from click.testing import CliRunner
from playwright.sync_api import expect

from accreditation.command import cli

from ..cases.journey import Journey
from ..factories import TEST_PASSWORD, publish_first_checklists
from ..pdfs import read_pdf
from .conftest import sign_in
from .seams import page_problems
from .test_accessibility import serious_violations
from .test_accredited_property_change import person


def looks_right(page) -> None:
    assert page_problems(page) == []
    assert serious_violations(page) == []


def test_a_commissioner_downloads_the_letter_and_a_bundle_that_holds(
        e2e_db, browser, live_server, tmp_path, monkeypatch):
    # Flask's command (run below) sets FLASK_RUN_FROM_CLI in this process: undone afterwards.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    publish_first_checklists()
    journey = Journey(properties=1, staff_files=5, young_people_files=1)
    journey.all_the_way()
    e2e_db.session.commit()
    case = journey.case

    context, page = person(browser, live_server)
    try:
        sign_in(page, journey.commissioner.email, TEST_PASSWORD)
        page.goto(f"/cases/{case.id}")
        looks_right(page)

        # The letter's page, and its PDF from the page's own link.
        page.get_by_role("link", name="Decision letter (printable)").click()
        expect(page.get_by_role("heading", name="Accreditation decision: accredited")) \
            .to_be_visible()
        looks_right(page)
        with page.expect_download() as letter:
            page.get_by_role("link", name="Download as PDF").click()
        assert letter.value.suggested_filename == f"{case.reference}-decision-letter.pdf"
        saved = tmp_path / letter.value.suggested_filename
        letter.value.save_as(saved)
        pdf = read_pdf(saved.read_bytes())
        assert pdf.tagged and pdf.language == "en-GB"
        assert "Accreditation decision: accredited" in pdf.text

        # The bundle from the application's page.
        page.go_back()
        expect(page.get_by_role("link", name="Decision bundle (zip)")).to_be_visible()
        with page.expect_download() as taken:
            page.get_by_role("link", name="Decision bundle (zip)").click()
        assert taken.value.suggested_filename == f"{case.reference}-decision-bundle.zip"
        bundle = tmp_path / taken.value.suggested_filename
        taken.value.save_as(bundle)
    finally:
        context.close()

    result = CliRunner().invoke(cli, ["decisions", "verify-bundle", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "The bundle holds" in result.output
    assert "0 evidence files" in result.output  # the page's bundle lists evidence, holds none
