"""Through the browser: a new provider registers, completes the task list and applies."""

from __future__ import annotations

import sqlalchemy as sa

from accreditation.cases.models import Case
from accreditation.workflow import CaseStatus

from ..evidence.samples import pdf
from ..factories import CouncilFactory
from ..test_registration import confirmation_link
from .conftest import screenshot

PASSWORD = "a long passphrase for the provider"


def fill_date(page, name: str, day: int, month: int, year: int) -> None:
    page.fill(f"#{name}-day", str(day))
    page.fill(f"#{name}-month", str(month))
    page.fill(f"#{name}-year", str(year))


def test_a_new_provider_applies_through_the_browser(e2e_db, new_page):
    CouncilFactory(name="Hackney")
    page = new_page()
    page.goto("/")
    page.click("text=Register your organisation")
    page.fill("#organisation_name", "Albion Youth Homes Ltd")
    page.fill("#company_number", "09876543")
    page.fill("#full_name", "Ada Provider")
    page.fill("#email", "ada@albion.example.org")
    page.fill("#password", PASSWORD)
    page.fill("#confirm_password", PASSWORD)
    page.click("button:has-text('Create account')")
    page.wait_for_selector("h1:has-text('Check your email')")
    screenshot(page, "check-your-email")
    # The link in the e-mail, then the password chosen, make the account.
    link = confirmation_link("ada@albion.example.org")
    e2e_db.session.rollback()  # the read ends here: the server goes on writing
    page.goto(link)
    page.wait_for_selector("h1:has-text('Confirm your registration')")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Confirm and continue')")
    page.wait_for_selector("text=Your organisation is registered")

    page.click("button:has-text('Start an application')")
    page.wait_for_selector("text=Organisation details")
    screenshot(page, "task-list-empty")

    page.click("a:has-text('Organisation details')")
    page.fill("#registered_office", "1 Albion Road, London N16 9PA")
    page.fill("#ico_registration_number", "ZA123456")
    page.click("button:has-text('Save details')")
    page.wait_for_selector("text=Your organisation's details have been saved")
    for name, role in (("Dana Director", "director"), ("Manny Manager", "registered_manager")):
        page.fill("#full_name", name)
        page.check(f"input[name='role'][value='{role}']")
        page.click("button:has-text('Add person')")
        page.wait_for_selector(f"text={name}")

    page.goto("/provider/application")
    page.click("a:has-text('Properties')")
    page.click("text=Add a property")
    page.fill("#name", "Albion House")
    page.fill("#address_line_1", "14 Albion Road")
    page.fill("#town", "London")
    page.fill("#postcode", "n16 9pa")
    page.select_option("#local_authority_id", label="Hackney")
    page.check("input[name='category'][value='ring_fenced_shared']")
    page.fill("#bed_spaces", "4")
    page.fill("#who_for", "16 and 17 year olds in care")
    page.click("button:has-text('Save property')")
    page.wait_for_selector("text=Albion House")

    page.goto("/provider/landlord-arrangements")
    page.click("a:has-text('Albion House')")
    page.check("input[name='tenure'][value='owned']")
    page.click("button:has-text('Save arrangements')")

    page.goto("/provider/application")
    page.click("a:has-text('Insurance and policies')")
    page.fill("#insurer", "Example Mutual")
    page.fill("#public_liability_millions", "10")
    page.fill("#employers_liability_millions", "10")
    page.fill("#professional_indemnity_millions", "2.5")
    fill_date(page, "insurance_expires_on", 30, 9, 2030)
    for field in page.locator("input[id^='policy_'][id$='-day']").all():
        name = field.get_attribute("id").removesuffix("-day")
        fill_date(page, name, 1, 6, 2026)
    page.click("button:has-text('Save insurance and policies')")

    page.goto("/provider/application")
    page.click("a:has-text(\"Staff and young people's files\")")
    for reference, file_type in (("S-101", "staff"), ("S-102", "staff"), ("Y-201", "young_person")):
        page.check(f"input[name='file_type'][value='{file_type}']")
        page.fill("#reference", reference)
        page.fill("#role", "Support worker" if file_type == "staff" else "Placement")
        fill_date(page, "started_on", 1, 3, 2025)
        page.click("button:has-text('Add file')")
        page.wait_for_selector(f"text={reference}")

    # Every answer is given; the documents are not. Submitting names each, with a link.
    page.goto("/provider/application")
    page.click("text=Check and submit")
    page.click("button:has-text('Submit application')")
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    addresses = [link.get_attribute("href") for link in summary.get_by_role("link").all()]
    assert len(addresses) == 3 + 1 + 6  # the property's three; insurance; each policy
    for number, address in enumerate(addresses):
        page.goto(address)
        page.get_by_label("Upload a file").set_input_files(
            {"name": f"document-{number}.pdf", "mimeType": "application/pdf",
             "buffer": pdf()})
        page.get_by_role("button", name="Upload file").click()
        page.wait_for_selector(f"text=document-{number}.pdf has been uploaded")

    page.goto("/provider/application")
    screenshot(page, "task-list-complete")
    assert page.locator("text=Incomplete").count() == 0
    page.click("text=Check and submit")
    page.click("button:has-text('Submit application')")
    page.wait_for_selector("text=Application submitted")
    screenshot(page, "submitted")

    case = e2e_db.session.scalar(sa.select(Case))
    assert case.status is CaseStatus.DUE_DILIGENCE
    assert [link.home.name for link in case.properties] == ["Albion House"]
    assert case.properties[0].home.postcode == "N16 9PA"
