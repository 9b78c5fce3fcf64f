"""Through Debian's Chromium on a fresh tablet: a property re-inspected after a visit where two
items failed and a condition was set. The inspector sees what to check again and the last
answer beside each item, folds a section away and is taken back to it by a link, reads a
section's score as the server would give it, answers a failed item as failing again, finds it
marked as a repeat finding before submitting and on the report; the page works offline too."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect

from accreditation import clock
from accreditation.checklists import compile_checklist, step_in_force
from accreditation.stages import inspection_drafts
from accreditation.stages.forms import answer_choices

from ..cases.journey import Journey, best_answers, photograph_required_items
from ..factories import publish_first_checklists
from ..stages.reinspection import CONDITION_ITEM, answer_on_tablet, reinspection
from .inspection_helpers import (
    TABLET,
    answer,
    inspection_ready,
    open_inspection,
    wait_until_sent,
)
from .seams import page_problems
from .test_accessibility import serious_violations

# Given on the tablet now: the rest is answered already (another session's answers).
IN_THE_BROWSER = {"heating": "no", "internet_access": "yes"}


@pytest.fixture
def ready(e2e_db):
    publish_first_checklists()
    journey = Journey(properties=1, staff_files=5, young_people_files=1)
    link = reinspection(journey, on_tablet=False)
    answers = best_answers("property_inspection", category=link.home.category.value)
    answers.update({"cleanliness": 1, "bedroom_size": 5, CONDITION_ITEM: "yes"})
    _, items = inspection_drafts.checklist_for(link)
    answer_on_tablet(journey.inspector, link, {
        item.id: answers[item.id] for item in items
        if item.id in answers and item.id not in IN_THE_BROWSER})
    photograph_required_items(journey.inspector, link)
    e2e_db.session.commit()
    return journey, link, {**answers, **IN_THE_BROWSER}


def looks_right(page) -> None:
    assert page_problems(page) == []
    assert serious_violations(page) == []


def server_mark(link, answers: dict, section: str) -> str:
    checklist, items = inspection_drafts.checklist_for(link)
    step = step_in_force(checklist.schedule, clock.today())
    asked = {item.id: answers[item.id] for item in items if item.id in answers}
    result = compile_checklist(checklist).score(asked, step,
                                                category=link.home.category.value)
    return next(s.percent for s in result.sections if s.id == section)


def test_a_reinspection_remembers_the_last_visit(ready, browser, live_server):
    journey, link, answers = ready
    # A fresh tablet (the test's own context lets axe in past the CSP).
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, has_touch=True,
                                  viewport={"width": TABLET[0], "height": TABLET[1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    open_inspection(page, journey, link)

    to_check = page.locator("[data-to-check]")
    expect(to_check.get_by_role("heading", name="To check again")).to_be_visible()
    expect(to_check.get_by_role("link")).to_have_text(["Heating", "Hot water",
                                                       "Internet access"])
    said = to_check.inner_text()
    assert "failed last time" in said and "Hot water in every bathroom" in said
    heating = page.locator("#item-heating")
    expect(heating).to_contain_text("Last inspection, 22 November 2026: No")
    expect(heating).to_contain_text("Failed last time")
    expect(page.locator("#item-manager_named")).to_contain_text(
        "Last inspection, 22 November 2026: Yes")
    looks_right(page)

    # Accommodation is not finished: no score yet. Fold it away; the list brings it back.
    mark = page.locator("[data-section-mark='accommodation']")
    expect(mark).to_be_hidden()
    fold = page.locator("#section-accommodation details.app-section__items")
    fold.locator("summary").first.click()
    expect(heating).to_be_hidden()
    to_check.get_by_role("link", name=re.compile("Heating")).click()
    expect(heating).to_be_visible()

    for item_id, value in IN_THE_BROWSER.items():
        answer(page, item_id, value)
    expected = server_mark(link, answers, "accommodation")
    assert expected not in (None, "100.0")
    expect(mark).to_have_text(f"Section score: {expected}%")
    expect(page.locator("[data-next-unanswered]")).to_be_hidden()
    wait_until_sent(page)

    # Without signal, the saved page still remembers the last visit.
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector(f"[data-inspection='{link.id}']")
    expect(page.get_by_role("heading", name="To check again")).to_be_visible()
    expect(page.locator("#item-heating")).to_contain_text("Failed last time")
    expect(mark).to_have_text(f"Section score: {expected}%")
    page.context.set_offline(False)

    page.get_by_role("link", name="Check answers and submit").first.click()
    page.wait_for_selector("text=Check your answers before submitting")
    repeats = page.locator("[data-repeat-findings]")
    expect(repeats).to_contain_text("Repeat findings (1)")
    expect(repeats.get_by_role("link")).to_have_text(["Heating"])
    expect(page.locator("[data-summary-item='heating']")).to_contain_text("Repeat finding")
    expect(page.locator("[data-summary-item='internet_access']")).not_to_contain_text(
        "Repeat finding")
    looks_right(page)

    page.get_by_role("button", name="Submit inspection").click()
    page.wait_for_selector("text=inspection submitted")
    page.goto(f"/cases/{journey.case.id}/properties/{link.id}/report")
    expect(page.locator("[data-repeat-findings]")).to_contain_text(
        "1 repeat finding: this item also failed at the previous inspection")
    row = page.locator("tr", has_text="Repeat finding")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Heating")
    looks_right(page)
    context.close()


def random_sheet(items, rng: random.Random) -> dict:
    """Answers an inspector might give every scored item: any choice, not applicable where
    allowed, numbers either side of the pass range."""
    sheet = {}
    for item in items:
        extra = ["not_applicable"] if item.allow_not_applicable else []
        if item.answer_type == "yes_no":
            sheet[item.id] = rng.choice(["yes", "no", *extra])
        elif item.answer_type == "graded":
            sheet[item.id] = rng.choice([0, 1, 2, 3, *extra])
        elif item.answer_type == "number":
            bound = item.pass_min if item.pass_min is not None else item.pass_max
            sheet[item.id] = rng.choice([max(bound - 1, 0), bound, bound + 1])
    return sheet


@pytest.mark.parametrize("seed", range(6))
def test_each_sections_score_on_the_tablet_is_the_servers(e2e_db, new_page, seed):
    """For varied answers, the score the tablet works out as the last item of each section is
    tapped is the one the server gives the same answers."""
    journey, link = inspection_ready()
    checklist, items = inspection_drafts.checklist_for(link)
    sheet = random_sheet(items, random.Random(seed))
    # The last one-tap item of each section is left for the inspector to tap.
    last = {item.section: item for item in items if answer_choices(item)}
    answer_on_tablet(journey.inspector, link, {
        item_id: value for item_id, value in sheet.items()
        if item_id not in {item.id for item in last.values()}})
    e2e_db.session.commit()
    page = new_page(viewport=TABLET)
    open_inspection(page, journey, link)
    for item in last.values():
        answer(page, item.id, sheet[item.id])
    for section in checklist.sections:
        expected = server_mark(link, sheet, section.id)
        mark = page.locator(f"[data-section-mark='{section.id}']")
        if expected is None:  # everything not applicable: no score to give
            expect(mark).to_be_hidden()
        else:
            expect(mark).to_have_text(f"Section score: {expected}%")
