"""Through the browser: the words people read on the pages they use most. Events are
sentences with the person's name, not "file_sample.drawn" or "user 3"; a provider with
conditions to meet sees them and their due dates first; a checklist says what failing a
critical item fails."""

from __future__ import annotations

import re
from datetime import timedelta

from accreditation.cases.models import DecisionOutcome
from accreditation.cases.operations import NewCondition

from ..cases.journey import TODAY, Journey
from ..factories import TEST_PASSWORD, publish_first_checklists
from .conftest import sign_in
from .seams import page_problems

EVENT_NAME = re.compile(r"\b[a-z_]+\.[a-z_]+\b|[A-Z][a-z ]+\.[a-z_]+")  # file_sample.drawn


def open_browser(browser, live_server):
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def main_text(page) -> str:
    assert page_problems(page) == []
    return page.inner_text("main")


def conditional_accreditation() -> Journey:
    publish_first_checklists()
    journey = Journey(properties=1, staff_files=5, young_people_files=1)
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    journey.accredit(outcome=DecisionOutcome.ACCREDITED_WITH_CONDITIONS, conditions=[
        NewCondition("fire_doors", "Fire doors", "Fit self-closers to every fire door.",
                     TODAY + timedelta(days=28))])
    return journey


def test_a_provider_with_conditions_sees_them_first_and_events_in_words(
        e2e_db, browser, live_server):
    journey = conditional_accreditation()
    provider_name, inspector_name = journey.provider.full_name, journey.inspector.full_name
    due = TODAY + timedelta(days=28)
    e2e_db.session.commit()
    context, page = open_browser(browser, live_server)
    try:
        sign_in(page, journey.provider.email, TEST_PASSWORD)
        main = page.locator("main")
        assert main.locator("h2").first.inner_text() == "Conditions of your accreditation"
        first_card = main_text(page).split("Your application for accreditation")[0]
        assert "Fire doors" in first_card and f"{due.day} {due:%B %Y}" in first_card
        buttons = main.locator(".govuk-button")
        assert buttons.first.inner_text() == "Respond to the conditions"
        start = page.get_by_role("button", name="Start a new application")
        assert "govuk-button--secondary" in start.get_attribute("class")
        assert page.get_by_role("button", name="Start an application").count() == 0

        page.get_by_role("link", name=f"View application {journey.case.reference}").click()
        text = main_text(page)
        assert page.get_by_role("heading", name="Stages").count() == 0  # nothing under it
        timeline = page.locator("#timeline").inner_text()
        assert f"Application submitted, by {provider_name} (provider)." in timeline
        assert f"File sample drawn, by {inspector_name} (inspector)." in timeline
        assert "The application is now at the file sampling stage." in timeline
        assert not EVENT_NAME.search(timeline), timeline
        assert "Evidence files" not in text  # the stages' links are for the assessors
    finally:
        context.close()


def test_the_audit_trail_names_people_and_says_what_happened(e2e_db, browser, live_server):
    journey = conditional_accreditation()
    commissioner = journey.commissioner
    e2e_db.session.commit()
    context, page = open_browser(browser, live_server)
    try:
        sign_in(page, commissioner.email, TEST_PASSWORD)
        page.get_by_role("link", name="Audit trail", exact=True).click()
        trail = page.locator("#audit-trail")
        text = main_text(page)
        assert not re.search(r"\buser \d+", text), text
        assert not EVENT_NAME.search(trail.inner_text()), trail.inner_text()
        signed_in = trail.locator("tr", has_text="Signed in").first
        assert f"{commissioner.full_name} (commissioner)" in signed_in.inner_text()
        drawn = trail.locator("tr", has_text="File sample drawn").first
        assert f"{journey.inspector.full_name} (inspector)" in drawn.inner_text()
        assert f"application {journey.case.reference}" in drawn.inner_text()
    finally:
        context.close()


def test_a_critical_item_says_what_it_fails(e2e_db, browser, live_server):
    publish_first_checklists()
    journey = Journey(properties=1, staff_files=5, young_people_files=1)
    journey.submit()
    e2e_db.session.commit()
    context, page = open_browser(browser, live_server)
    try:
        sign_in(page, journey.commissioner.email, TEST_PASSWORD)
        page.goto(f"/cases/{journey.case.id}")
        page.get_by_role("link", name="Due diligence", exact=True).click()
        text = main_text(page)
        assert "If this is not met, due diligence does not pass." in text
        assert "inspection" not in " ".join(
            line for line in text.split("\n") if line.startswith("Critical"))
    finally:
        context.close()
