"""Through the browser: a commissioner passes due diligence, an inspector samples files and
inspects the properties, another commissioner accredits, and the provider sees it."""

from __future__ import annotations

import re

from ..cases.journey import Journey, best_answers
from ..factories import TEST_PASSWORD, publish_first_checklists
from .conftest import screenshot, sign_in


def answer(page, answers: dict) -> None:
    """Fill a checklist form as an inspector would: tap each answer."""
    page.wait_for_selector("button:has-text('Save answers')")
    for item_id, value in answers.items():
        name = f"item_{item_id}"
        radio = page.locator(f"input[name='{name}'][value='{value}']")
        if radio.count():
            radio.check()
        else:
            page.fill(f"[name='{name}']", str(value))


def test_an_application_is_accredited_through_the_browser(e2e_db, new_page):
    publish_first_checklists()
    journey = Journey(properties=2, staff_files=5, young_people_files=1)
    journey.organisation.company_number = "09876543"
    e2e_db.session.commit()
    case = journey.submit()
    case_url = f"/cases/{case.id}"

    commissioner = new_page()
    sign_in(commissioner, journey.commissioner.email, TEST_PASSWORD)
    commissioner.goto(case_url)
    commissioner.click("text=Carry out due diligence")
    commissioner.click("button:has-text('Check Companies House')")
    commissioner.wait_for_selector("text=Companies House checked")
    answer(commissioner, best_answers("due_diligence"))
    commissioner.click("button:has-text('Save answers')")
    commissioner.wait_for_selector("text=the checklist passes")
    commissioner.select_option("#inspector_id", label=journey.inspector.full_name)
    screenshot(commissioner, "due-diligence")
    commissioner.click("button:has-text('Pass due diligence')")
    commissioner.wait_for_selector("text=File sampling can start")

    inspector = new_page()
    sign_in(inspector, journey.inspector.email, TEST_PASSWORD)
    inspector.click(f"text={journey.organisation.name}")
    inspector.click("a:has-text('File sampling')")
    inspector.click("button:has-text('Draw the sample')")
    inspector.wait_for_selector("text=Sample drawn")
    screenshot(inspector, "file-sample")
    references = inspector.locator("table a.govuk-link").all_inner_texts()
    assert len(references) == 6  # 5 staff files (all of them) and the one young person's file
    for reference in references:
        inspector.click(f"a:has-text('{reference}')")
        file_type = "young_person" if reference.startswith("Y-") else "staff"
        answer(inspector, best_answers("file_sampling", file_type=file_type))
        inspector.click("button:has-text('Save answers')")
        inspector.wait_for_selector(f"text=File {reference} saved")
    inspector.click("button:has-text('Complete file sampling')")
    inspector.wait_for_selector("text=property inspections can start")

    for link in case.properties:
        inspector.goto(case_url)
        inspector.click(f"a:has-text('Inspect'):has-text('{link.home.name}')")
        answer(inspector, best_answers("property_inspection",
                                       category=link.home.category.value))
        screenshot(inspector, "property-inspection")
        inspector.click("button:has-text('Save answers')")
        inspector.wait_for_selector(f"text={link.home.name}: passes")
    inspector.click("button:has-text('Complete property inspections')")
    inspector.wait_for_selector("text=awaits a decision")

    decider = new_page()
    sign_in(decider, journey.deciding_commissioner.email, TEST_PASSWORD)
    decider.goto(case_url)
    decider.click("a:has-text('Decide')")
    decider.check("input[name='outcome'][value='accredited']")
    decider.fill("#reasons", "Every property meets the standard.")
    decider.click("button:has-text('Record decision')")
    decider.wait_for_selector("text=Decision recorded")
    screenshot(decider, "accredited")

    provider = new_page()
    sign_in(provider, journey.provider.email, TEST_PASSWORD)
    provider.goto(case_url)
    assert "Accredited" in provider.inner_text("h1")
    provider.click("text=Decision letter")
    assert re.search(r"accredited until \d+ \w+ \d{4}", provider.inner_text("main"))
