"""Through the browser: a commissioner does due diligence with what the provider declared
beside each question and every Companies House check on record, corrects the company number,
and is asked to confirm before passing without a check; another commissioner writes the
conditions of an accreditation in their own words."""

from __future__ import annotations

import re
from datetime import date, timedelta

from accreditation import clock
from accreditation.cases import operations
from accreditation.providers.models import Tenure
from accreditation.stages.property_inspection import record_property_inspection

from ..cases.journey import Journey, best_answers
from ..factories import TEST_PASSWORD, publish_first_checklists
from .conftest import screenshot, sign_in
from .test_accredited_property_change import looks_right, person
from .test_case_journey import answer

MACHINE_WORDS = re.compile(r"answered (no|yes)|points|Put right:")


def text_of(page, selector: str = "main") -> str:
    return re.sub(r"\s+", " ", page.inner_text(selector))


def publish_checklists() -> None:
    publish_first_checklists()


def test_due_diligence_with_the_declarations_and_every_company_check(e2e_db, browser,
                                                                      live_server):
    publish_checklists()
    journey = Journey(properties=2, staff_files=5, young_people_files=1)
    organisation = journey.organisation
    organisation.company_number = "05555556"  # a number the register has no company for
    organisation.professional_indemnity_pounds = 2_500_000
    leased = organisation.properties[0]
    leased.tenure, leased.landlord_name = Tenure.LEASED, "Northern Estates Ltd"
    leased.lease_ends_on, leased.landlord_consent = date(2029, 3, 31), True
    e2e_db.session.commit()
    case = journey.submit()
    e2e_db.session.commit()

    context, page = person(browser, live_server)
    try:
        sign_in(page, journey.commissioner.email, TEST_PASSWORD)
        page.get_by_role("link", name="Providers").first.click()
        page.get_by_role("link", name=organisation.name).click()
        looks_right(page)
        provider_page = text_of(page)
        for shown in ("ICO registration number ZA123456", "Professional indemnity cover £2.5 "
                      "million", leased.name, journey.provider.email, case.reference):
            assert shown in provider_page, shown

        page.get_by_role("link", name=case.reference).click()
        assert "What the provider declared" in text_of(page)
        looks_right(page)
        page.get_by_role("link", name="Carry out due diligence").click()
        due_diligence = text_of(page)
        assert "Not checked yet" in due_diligence
        assert "offline copy of the Companies House register" in due_diligence
        beside = page.locator(
            "xpath=//div[contains(@class, 'govuk-form-group')][.//label[contains(., "
            "'professional indemnity insurance')]]/preceding-sibling::div[contains(@class, "
            "'app-declared')][1]")
        assert "£2.5 million" in beside.inner_text()
        beside = page.locator(
            "xpath=//div[contains(@class, 'govuk-form-group')][.//legend[contains(., "
            "'is there a title, a lease')]]/preceding-sibling::div[contains(@class, "
            "'app-declared')][1]")
        assert "Northern Estates Ltd" in beside.inner_text()
        assert "31 March 2029" in beside.inner_text()
        looks_right(page)
        screenshot(page, "due-diligence-declared")

        page.get_by_role("button", name="Check Companies House").click()
        page.wait_for_selector("text=There is no company with number 05555556")
        history = text_of(page, "#company-checks")
        assert "No company with this number" in history
        assert "Offline copy of the register" in history
        assert journey.commissioner.full_name in history
        assert "Not checked yet" not in text_of(page)
        looks_right(page)
        screenshot(page, "company-check-history")

        answer(page, best_answers("due_diligence"))
        page.get_by_role("button", name="Save answers").click()
        page.wait_for_selector("text=the checklist passes")
        page.select_option("#inspector_id", label=journey.inspector.full_name)
        page.get_by_role("button", name="Pass due diligence").click()
        page.wait_for_selector("h1:has-text('without a Companies House check')")
        warning = text_of(page, ".govuk-warning-text")
        assert "Companies House has not confirmed this company" in warning
        assert "found no company with number 05555556" in warning
        looks_right(page)
        screenshot(page, "pass-without-company-check")

        page.get_by_role("link", name="Go back and check Companies House").click()
        page.get_by_role("link", name="Correct the company number").click()
        page.get_by_label("Company number").fill("09876543")
        page.get_by_role("button", name="Save company number").click()
        page.wait_for_selector("text=The company number of")
        looks_right(page)
        page.goto(f"/cases/{case.id}/due-diligence")
        page.get_by_role("button", name="Check again").click()
        page.wait_for_selector("text=Found: HARBOUR LIGHTS HOUSING LTD")
        rows = page.locator("#company-checks tbody tr")
        assert rows.count() == 2
        page.select_option("#inspector_id", label=journey.inspector.full_name)
        page.get_by_role("button", name="Pass due diligence").click()
        page.wait_for_selector("text=File sampling can start")
    finally:
        context.close()


def test_the_deciding_commissioner_writes_the_conditions(e2e_db, browser, live_server):
    publish_checklists()
    journey = Journey(properties=2, staff_files=5, young_people_files=1)
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    today = clock.today()
    for link in journey.case.properties:
        answers = best_answers("property_inspection", category=link.home.category.value)
        answers["damp_and_mould"] = 1
        record_property_inspection(journey.inspector, link, answers, today)
    operations.complete_property_inspections(journey.inspector, journey.case,
                                             expected_version=journey.case.version)
    e2e_db.session.commit()
    case, first = journey.case, journey.case.properties[0].home.name
    due = today + timedelta(days=10)

    context, page = person(browser, live_server)
    try:
        sign_in(page, journey.deciding_commissioner.email, TEST_PASSWORD)
        page.goto(f"/cases/{case.id}")
        page.get_by_role("link", name="Decide").click()
        offered = page.get_by_label("What the provider must do for condition 1").input_value()
        assert offered.startswith(f"At {first}, the inspection graded damp and mould as poor")
        assert not MACHINE_WORDS.search(offered)
        looks_right(page)
        screenshot(page, "decision-conditions")

        page.get_by_label("Accredit with conditions").check()
        page.get_by_label("Reasons").fill("Both properties meet the standard; the damp must "
                                          "be dealt with.")
        page.get_by_label("Title of condition 1").fill("Treat the damp in the back bedroom")
        page.get_by_label("What the provider must do for condition 1").fill(
            "Find the cause of the damp in the back bedroom and fix it.")
        date_of_first = page.get_by_role("group", name="Date condition 1 is due")
        date_of_first.get_by_label("Day").fill(str(due.day))
        date_of_first.get_by_label("Month").fill(str(due.month))
        date_of_first.get_by_label("Year").fill(str(due.year))

        page.get_by_role("button", name="Remove condition 2").click()
        page.wait_for_load_state()
        assert page.get_by_label("Title of condition 2").count() == 0
        assert page.get_by_label("Accredit with conditions").is_checked()
        assert page.get_by_label("Title of condition 1").input_value() == \
            "Treat the damp in the back bedroom"

        page.get_by_role("button", name="Add another condition").click()
        page.wait_for_load_state()
        page.get_by_label("Title of condition 2").fill("Fire risk assessment")
        page.get_by_label("What the provider must do for condition 2").fill("")
        looks_right(page)
        page.get_by_role("button", name="Record decision").click()
        summary = page.locator(".govuk-error-summary")
        summary.wait_for()
        assert "Enter what the provider must do for condition 2" in summary.inner_text()
        summary.get_by_role("link", name="Enter what the provider must do for condition 2") \
            .click()
        focused = page.evaluate("document.activeElement.id")
        assert focused == "conditions-1-text"
        looks_right(page)
        page.get_by_label("What the provider must do for condition 2").fill(
            "Send us the fire risk assessment for both properties.")
        # Enter in a box records the decision; it does not remove a condition.
        page.get_by_label("Title of condition 2").press("Enter")
        page.wait_for_selector("text=Decision recorded")

        main = text_of(page)
        assert "Accredited with conditions" in text_of(page, "h1")
        assert "Status Accredited with conditions" in main
        assert "Find the cause of the damp in the back bedroom and fix it." in main
        assert "Send us the fire risk assessment for both properties." in main
        assert not MACHINE_WORDS.search(main)
        looks_right(page)
        screenshot(page, "accredited-with-conditions")
        page.get_by_role("link", name="Decision letter (printable)").click()
        letter = text_of(page)
        assert "Treat the damp in the back bedroom" in letter
        assert "Find the cause of the damp in the back bedroom and fix it." in letter
        assert f"{due.day} {due:%B %Y}" in letter
        assert not MACHINE_WORDS.search(letter)
        looks_right(page)
    finally:
        context.close()

    context, page = person(browser, live_server)
    try:
        sign_in(page, journey.provider.email, TEST_PASSWORD)
        page.goto("/provider/conditions")
        conditions = text_of(page)
        assert "Find the cause of the damp in the back bedroom and fix it." in conditions
        assert "Send us the fire risk assessment for both properties." in conditions
        looks_right(page)
    finally:
        context.close()
