"""Through the browser: the pages where a value sits inside a panel, an inset or a summary
read as text a person can use (a reference on its own line, links that are links), and the
register's own search form works when its checkbox is ticked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from accreditation import clock

from ..cases.journey import Journey
from ..factories import (
    TEST_PASSWORD,
    UserFactory,
    attach_required_evidence,
    publish_first_checklists,
)
from ..register.helpers import accredited_provider
from .conftest import sign_in
from .seams import page_problems

# Text a provider might type: it must come back exactly as typed, never as markup.
ASKED = 'Send the "fire risk" assessment & the gas certificate for 14 Albion Road.'


@pytest.fixture
def checklists(e2e_db):
    publish_first_checklists()
    return e2e_db


def open_browser(browser, live_server):
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 1024, "height": 1366})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def reads_as_text(page) -> str:
    """The page's main text, having checked nothing in it is markup or an unasked-for error."""
    assert page_problems(page) == []
    return page.inner_text("main")


def test_a_submitted_application_shows_its_reference_and_a_working_link(
        checklists, browser, live_server):
    journey = Journey(properties=1, staff_files=5, young_people_files=1)
    attach_required_evidence(journey.provider)
    checklists.session.commit()
    context, page = open_browser(browser, live_server)
    try:
        sign_in(page, journey.provider.email, TEST_PASSWORD)
        page.get_by_role("button", name="Start an application").click()
        page.get_by_role("button", name="Check and submit").click()
        page.get_by_role("button", name="Submit application").click()
        panel = page.locator(".govuk-panel")
        panel.wait_for()
        reference = re.search(r"ACC-\d+", panel.inner_text()).group(0)
        assert panel.inner_text().split("\n")[-2:] == ["Your reference number", reference]
        reads_as_text(page)

        page.get_by_role("link", name="Your application", exact=True).click()
        text = reads_as_text(page)
        assert "Your application is at the due diligence stage." in text
        page.locator("main").get_by_role("link", name="View your application").click()
        page.get_by_role("heading", name=re.compile(f"Application {reference}")).wait_for()
        reads_as_text(page)
    finally:
        context.close()


def test_what_was_asked_of_the_provider_reads_as_text_on_both_sides(
        checklists, browser, live_server):
    journey = Journey(properties=1, staff_files=5, young_people_files=1)
    journey.submit()
    checklists.session.commit()
    due = clock.today() + timedelta(days=14)
    commissioner_context, commissioner = open_browser(browser, live_server)
    provider_context, provider = open_browser(browser, live_server)
    try:
        sign_in(commissioner, journey.commissioner.email, TEST_PASSWORD)
        commissioner.goto(f"/cases/{journey.case.id}")
        commissioner.get_by_label("What do you need from the provider?").fill(ASKED)
        commissioner.fill("#due_on-day", str(due.day))
        commissioner.fill("#due_on-month", str(due.month))
        commissioner.fill("#due_on-year", str(due.year))
        commissioner.get_by_role("button", name="Return to provider").click()
        inset = commissioner.locator(".govuk-inset-text", has_text="Asked of the provider")
        inset.wait_for()
        assert [line for line in inset.inner_text().split("\n") if line] == [
            f"Asked of the provider (by {due.day} {due:%B %Y}):", ASKED]
        reads_as_text(commissioner)

        sign_in(provider, journey.provider.email, TEST_PASSWORD)
        provider.goto("/provider/application")
        assert ASKED in reads_as_text(provider)
    finally:
        commissioner_context.close()
        provider_context.close()


def test_a_referral_check_shows_its_reference_on_a_line_of_its_own(
        checklists, browser, live_server):
    journey = accredited_provider("Harbour Lights Housing Ltd", [{"name": "Albion House"}])
    social_worker = UserFactory(social_worker=True)
    checklists.session.commit()
    context, page = open_browser(browser, live_server)
    try:
        sign_in(page, social_worker.email, TEST_PASSWORD)
        page.goto(f"/register/providers/{journey.organisation.id}")
        page.get_by_role("button", name="Record a referral check").click()
        page.get_by_label("Your reference for this referral").fill("CASE-2026-0042")
        page.get_by_role("button", name="Record the check").click()
        panel = page.locator(".govuk-panel")
        panel.wait_for()
        lines = panel.inner_text().split("\n")
        assert lines[-2] == "Check reference" and re.fullmatch(r"[A-Z0-9-]{6,}", lines[-1])
        reads_as_text(page)
    finally:
        context.close()


def test_an_inspection_report_shows_the_address_line_by_line(checklists, browser, live_server):
    journey = accredited_provider("Harbour Lights Housing Ltd", [{
        "name": "Albion House", "address_line_1": "14 Albion Road", "town": "London",
        "postcode": "N16 9PA"}])
    checklists.session.commit()
    link = journey.case.properties[0]
    council = link.home.local_authority.name
    context, page = open_browser(browser, live_server)
    try:
        sign_in(page, journey.provider.email, TEST_PASSWORD)
        page.goto(f"/cases/{journey.case.id}")
        page.get_by_role("link", name="Report for Albion House").click()
        row = page.locator(".govuk-summary-list__row", has_text="Property as inspected")
        assert row.locator("dd").inner_text().split("\n") == [
            "14 Albion Road", "London", "N16 9PA", council]
        reads_as_text(page)
    finally:
        context.close()


def test_ticking_only_properties_with_vacancies_finds_them(checklists, browser, live_server):
    accredited_provider("Harbour Lights Housing Ltd", [
        {"name": "Albion House", "bed_spaces": 4, "vacancies": 2},
        {"name": "Cranford Flat", "bed_spaces": 1, "vacancies": 0}])
    accredited_provider("Northway Supported Living CIC", [
        {"name": "Tottenham Lane", "bed_spaces": 3, "vacancies": 0}])
    social_worker = UserFactory(social_worker=True)
    checklists.session.commit()
    context, page = open_browser(browser, live_server)
    try:
        sign_in(page, social_worker.email, TEST_PASSWORD)
        page.goto("/register/")
        assert "2 accredited providers found" in reads_as_text(page)
        page.get_by_label("Only properties with vacancies now").check()
        page.get_by_role("button", name="Search").click()
        page.locator("#result-count").wait_for()
        text = reads_as_text(page)
        assert "1 accredited provider found" in text
        assert "Albion House" in text
        assert "Cranford Flat" not in text and "Northway" not in text
        assert page.get_by_label("Only properties with vacancies now").is_checked()

        page.get_by_label("Only properties with vacancies now").uncheck()
        page.get_by_role("button", name="Search").click()
        page.locator("#result-count").wait_for()
        assert "2 accredited providers found" in reads_as_text(page)
    finally:
        context.close()
