"""Through the browser: a provider attaches the documents each section of its application
needs with the file picker of that section, the task list follows, submitting without them is
refused with links to each, and the commissioner finds them beside the questions they answer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from accreditation.cases.models import Case

from ..cases.journey import Journey
from ..evidence.samples import pdf
from ..factories import TEST_PASSWORD, publish_first_checklists
from .conftest import sign_in
from .seams import page_problems


@pytest.fixture
def checklists(e2e_db):
    publish_first_checklists()
    return e2e_db


def a_pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf()}


def choose_and_upload(page, name: str) -> None:
    """The GOV.UK file upload: choose the file, press the button."""
    page.get_by_label("Upload a file").set_input_files(a_pdf(name))
    page.get_by_role("button", name="Upload file").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{name} has been uploaded")


def task(page, title: str):
    return page.locator(".govuk-task-list__item", has=page.get_by_role("link", name=title))


def test_a_provider_attaches_its_evidence_and_the_commissioner_sees_it(
        checklists, new_page):
    journey = Journey(properties=1, staff_files=5, young_people_files=1)
    home = journey.organisation.properties[0]
    checklists.session.commit()

    page = new_page()
    sign_in(page, journey.provider.email, TEST_PASSWORD)
    page.get_by_role("button", name="Start an application").click()
    insurance = task(page, "Insurance and policies")
    expect(insurance).to_contain_text("Incomplete")
    expect(insurance).to_contain_text("Still to upload: Insurance certificate")

    # From the insurance section, its certificate, with a real file picker.
    page.get_by_role("link", name="Insurance and policies").click()
    page.get_by_role("link", name="Upload Insurance certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Insurance certificate")
    choose_and_upload(page, "insurance.pdf")
    expect(page.get_by_role("heading", level=1)).to_have_text("Insurance and policies")
    expect(page.locator("#evidence-insurance_certificate")).to_contain_text("insurance.pdf")
    assert page_problems(page) == []

    page.goto("/provider/application")
    insurance = task(page, "Insurance and policies")
    expect(insurance).not_to_contain_text("Insurance certificate")
    expect(insurance).to_contain_text("Still to upload: Statement of purpose")

    # Submitting without the rest is refused, naming each and linking to where it goes.
    page.get_by_role("button", name="Check and submit").click()
    page.get_by_role("button", name="Submit application").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    links = summary.get_by_role("link")
    named = [link.inner_text() for link in links.all()]
    assert named == [
        f"Upload the gas safety certificate for {home.name}",
        f"Upload the electrical installation condition report (EICR) for {home.name}",
        f"Upload the fire risk assessment for {home.name}",
        "Upload the statement of purpose", "Upload the safeguarding policy",
        "Upload the missing from home or care policy", "Upload the complaints policy",
        "Upload the whistleblowing policy", "Upload the data protection policy"]
    addresses = [link.get_attribute("href") for link in links.all()]
    links.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Gas safety certificate for {home.name}")
    for number, address in enumerate(addresses):
        page.goto(address)
        choose_and_upload(page, f"document-{number}.pdf")

    page.goto("/provider/application")
    expect(page.locator(".govuk-task-list")).not_to_contain_text("Incomplete")
    page.get_by_role("button", name="Check and submit").click()
    expect(page.locator("#evidence-insurance_certificate")).to_contain_text("insurance.pdf")
    page.get_by_role("button", name="Submit application").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Application submitted")
    checklists.session.rollback()  # the browser made the case: read it afresh
    case = checklists.session.scalars(sa.select(Case)).one()

    # The commissioner, on due diligence: the certificate beside the cover questions.
    staff = new_page()
    sign_in(staff, journey.commissioner.email, TEST_PASSWORD)
    staff.goto(f"/cases/{case.id}/due-diligence")
    uploaded = staff.locator(".app-declared", has=staff.get_by_role("link", name="insurance.pdf"))
    expect(uploaded).to_have_count(3)  # employer's, public liability, professional indemnity
    expect(uploaded.first).to_contain_text("The provider uploaded")
    assert page_problems(staff) == []
    with staff.expect_download() as download:
        uploaded.first.get_by_role("link", name="insurance.pdf").click()
    assert download.value.suggested_filename == "insurance.pdf"
