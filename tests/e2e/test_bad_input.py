"""Through the browser, typing what people type: amounts that are not amounts are refused with
a message naming the field, £2.5 million is kept as £2.5 million, text longer than the page
says is refused rather than kept or cut short, and names and e-mail addresses stay out of
fields that promise to hold none."""

from __future__ import annotations

from accreditation.checklists import DEFINITIONS_DIR
from accreditation.standards.operations import publish_definitions

from ..cases.journey import TODAY, Journey
from ..factories import TEST_PASSWORD, OrganisationFactory, UserFactory
from ..providers.factories import ConditionFactory
from .conftest import sign_in
from .test_accredited_property_change import looks_right, person


def error_summary(page) -> str:
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    return summary.inner_text()


def test_a_provider_types_cover_roles_and_a_long_response(e2e_db, browser, live_server):
    provider = UserFactory(provider=True)
    condition = ConditionFactory(case__organisation=provider.organisation)
    e2e_db.session.commit()
    context, page = person(browser, live_server)
    try:
        sign_in(page, provider.email, TEST_PASSWORD)
        page.goto("/provider/insurance-and-policies")
        page.fill("#insurer", "Example Mutual")
        page.fill("#public_liability_millions", "-5")
        page.fill("#employers_liability_millions", "1e9")
        expires = TODAY.replace(year=TODAY.year + 1)
        page.fill("#insurance_expires_on-day", str(expires.day))
        page.fill("#insurance_expires_on-month", str(expires.month))
        page.fill("#insurance_expires_on-year", str(expires.year))
        page.click("button:has-text('Save insurance and policies')")
        summary = error_summary(page)
        assert "Your public liability cover must be between £1 million and £1,000 million" \
            in summary
        assert "Employer's liability cover must be a number of millions, like 10 or 7.5" \
            in summary
        looks_right(page)
        page.fill("#public_liability_millions", "£2.5m")
        page.fill("#employers_liability_millions", "10")
        page.fill("#professional_indemnity_millions", "0")
        page.click("button:has-text('Save insurance and policies')")
        page.wait_for_selector(".govuk-notification-banner--success")
        page.goto("/provider/insurance-and-policies")
        assert page.input_value("#public_liability_millions") == "2.5"

        page.goto("/provider/files")
        page.check("input[name='file_type'][value='staff']")
        page.fill("#reference", "STAFF-014")
        page.fill("#role", "Jane Smith jane.smith@example.org")
        page.fill("#started_on-day", "4")
        page.fill("#started_on-month", "9")
        page.fill("#started_on-year", "2025")
        page.click("button:has-text('Add file')")
        assert "Enter the role, like support worker or care leaver, not an email address" \
            in error_summary(page)
        looks_right(page)

        page.goto("/provider/conditions")
        response = page.locator(f"#condition-{condition.id}-response")
        response.fill("x" * 10_000)
        assert "You have 6,000 characters too many" in page.inner_text("main")
        page.click("button:has-text('Send response')")
        assert "What you have done must be 4,000 characters or fewer" in error_summary(page)
        looks_right(page)
    finally:
        context.close()


def test_a_social_worker_types_a_name_and_a_long_reference(e2e_db, browser, live_server):
    social_worker = UserFactory(social_worker=True)
    organisation = OrganisationFactory()
    e2e_db.session.commit()
    context, page = person(browser, live_server)
    try:
        sign_in(page, social_worker.email, TEST_PASSWORD)
        page.goto(f"/register/providers/{organisation.id}/referral-check")
        page.fill("#reference", "Jayden Smith")
        page.click("button:has-text('Record the check')")
        assert "Your reference must include a number" in error_summary(page)
        looks_right(page)
        long = "CN-2026/" + "1" * 40
        page.fill("#reference", long)
        assert page.input_value("#reference") == long  # nothing cut short as it is typed
        page.click("button:has-text('Record the check')")
        assert "Your reference must be 40 characters or fewer" in error_summary(page)
        looks_right(page)
    finally:
        context.close()


def test_a_commissioner_types_cover_on_the_due_diligence_checklist(e2e_db, browser,
                                                                   live_server):
    publish_definitions(None, DEFINITIONS_DIR / "due_diligence" / "v1.yaml")
    journey = Journey(properties=1)
    journey.submit()
    e2e_db.session.commit()
    context, page = person(browser, live_server)
    try:
        sign_in(page, journey.commissioner.email, TEST_PASSWORD)
        page.goto(f"/cases/{journey.case.id}/due-diligence")
        page.fill("#item_public_liability_cover", "-5")
        page.fill("#item_employers_liability_cover", "1e9")
        page.click("button:has-text('Save answers')")
        summary = error_summary(page)
        assert "Public liability insurance (£ million) must be between £0 and £1,000 million" \
            in summary
        assert "Employer's liability insurance (£ million) must be a number, like 2.5" in summary
        looks_right(page)
        page.fill("#item_public_liability_cover", "2.5")
        page.fill("#item_employers_liability_cover", "10")
        page.click("button:has-text('Save answers')")
        page.wait_for_selector("text=Due diligence answers saved")
        assert page.input_value("#item_public_liability_cover") == "2.5"
    finally:
        context.close()
