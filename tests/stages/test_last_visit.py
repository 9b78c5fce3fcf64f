"""A re-inspection remembers the last visit: the previous answer, note and photos beside each
item, what to check again first, repeat findings on check answers, the report and the case
page, and each section's score once it is answered."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from accreditation import clock
from accreditation.checklists import compile_checklist, step_in_force
from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.standards.models import Assessment

from ..cases.journey import best_answers, photograph_required_items
from .reinspection import (
    CONDITION_ITEM,
    FAILED_LAST_TIME,
    NOTE,
    answer_on_tablet,
    reinspection,
)

LAST_VISIT = "Last inspection, 22 November 2026:"


def item_html(page: str, item_id: str) -> str:
    start = page.index(f'id="item-{item_id}"')
    return page[start:page.index("</form>", start)]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def again(journey):
    return reinspection(journey)


@pytest.fixture
def inspector(client, journey):
    client.sign_in(journey.inspector)
    return client


def test_each_item_shows_the_last_inspections_answer_note_and_photos(inspector, again):
    page = inspector.get(f"/inspections/{again.id}").text
    heating = text(item_html(page, "heating"))
    assert f"{LAST_VISIT} No Failed last time" in heating
    assert f"Note then: {NOTE}" in heating
    assert "1 photo then: photo 1" in heating
    assert re.search(r'href="/evidence/\d+/download"', item_html(page, "heating"))
    manager = text(item_html(page, "manager_named"))
    assert f"{LAST_VISIT} Yes" in manager
    assert "Failed last time" not in manager and "Note then" not in manager


def test_what_to_check_again_is_listed_first_each_linked_to_its_item(inspector, again):
    page = inspector.get(f"/inspections/{again.id}").text
    box = page[page.index("data-to-check"):page.index("</div>", page.index("data-to-check"))]
    assert page.index("data-to-check") < page.index('id="section-')
    assert "To check again" in box
    # In checklist order, each with why.
    assert re.findall(r'href="#item-([a-z_]+)"', box) == ["heating", CONDITION_ITEM,
                                                          "internet_access"]
    said = text(box)
    assert "Heating" in said and "failed last time" in said
    assert "condition “Hot water in every bathroom” (waiting for the provider)" in said
    hot_water = text(item_html(page, CONDITION_ITEM))
    assert "Condition Hot water in every bathroom, due 20 December 2026" in hot_water
    assert "Failed last time" not in hot_water


def test_a_first_inspection_shows_no_last_visit(inspector, inspection):
    page = inspector.get(f"/inspections/{inspection.id}").text
    assert "To check again" not in page and "Last inspection" not in page


def test_an_item_the_last_inspection_did_not_ask_shows_nothing(inspector, again):
    previous = db.session.get(Assessment, again.assessment_id)
    # As if "heating" were new in this version: the last inspection's result never had it.
    previous.result = {**previous.result, "items": [
        entry for entry in previous.result["items"] if entry["id"] != "heating"]}
    previous.answers = {k: v for k, v in previous.answers.items() if k != "heating"}
    db.session.commit()
    page = inspector.get(f"/inspections/{again.id}").text
    assert "Last inspection" not in item_html(page, "heating")
    assert 'href="#item-heating"' not in page[:page.index('id="section-')]
    assert "Last inspection" in item_html(page, "internet_access")


def test_the_last_visit_is_the_one_before_this_round_not_this_rounds_own(
        inspector, journey, again):
    """Once re-inspected, the page and the report compare with the visit before."""
    answers = best_answers("property_inspection", category=again.home.category.value)
    answers["heating"] = "no"
    _, items = inspection_drafts.checklist_for(again)
    answer_on_tablet(journey.inspector, again,
                     {item.id: answers[item.id] for item in items if item.id in answers})
    inspection_drafts.submit_inspection(journey.inspector, again)
    page = inspector.get(f"/inspections/{again.id}").text
    assert f"{LAST_VISIT} No Failed last time" in text(item_html(page, "internet_access"))


def test_check_answers_marks_repeat_findings(client, journey):
    link = reinspection(journey, on_tablet=False)
    answer_on_tablet(journey.inspector, link, {"heating": "no", "internet_access": "yes",
                                               "hot_water": "no"})
    client.sign_in(journey.inspector)
    page = client.get(f"/inspections/{link.id}/summary").text
    box = page[page.index("data-repeat-findings"):]
    box = box[:box.index("</div>")]
    assert "Repeat findings (1)" in text(box)
    assert re.findall(r'#item-([a-z_]+)"', box) == ["heating"]
    rows = {match: text(row) for match, row in re.findall(
        r'data-summary-item="([a-z_]+)"(.*?)</div>', page, re.S)}
    assert "Repeat finding" in rows["heating"]
    # Passing now, or failing only now (not last time): not a repeat.
    assert "Repeat finding" not in rows["internet_access"]
    assert "Repeat finding" not in rows["hot_water"]


def test_no_repeat_findings_on_a_first_inspection(inspector, journey, inspection):
    answer_on_tablet(journey.inspector, inspection, {"heating": "no"})
    page = inspector.get(f"/inspections/{inspection.id}/summary").text
    assert "Repeat finding" not in page


def test_the_report_and_the_case_page_mark_repeat_findings(client, journey):
    link = reinspection(journey, on_tablet=False)
    answers = best_answers("property_inspection", category=link.home.category.value)
    answers["heating"] = "no"
    _, items = inspection_drafts.checklist_for(link)
    answer_on_tablet(journey.inspector, link,
                     {item.id: answers[item.id] for item in items if item.id in answers})
    photograph_required_items(journey.inspector, link)
    inspection_drafts.submit_inspection(journey.inspector, link)
    for who in (journey.inspector, journey.commissioner, journey.provider):
        client.sign_in(who)
        report = client.get(f"/cases/{journey.case.id}/properties/{link.id}/report").text
        assert "1 repeat finding: this item also failed at the previous inspection" in \
            text(report)
        rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", report, re.S)
        marked = [text(row) for row in rows if "Repeat finding" in row]
        assert len(marked) == 1 and marked[0].startswith("Heating")
        client.submit("/sign-out", form_page=f"/cases/{journey.case.id}")
    client.sign_in(journey.commissioner)
    case_page = text(client.get(f"/cases/{journey.case.id}").text)
    assert f"{link.home.name}" in case_page
    assert "1 repeat finding Heating" in case_page


def test_a_first_report_has_no_repeat_findings(client, journey):
    journey.all_the_way()
    client.sign_in(journey.commissioner)
    link = journey.case.properties[0]
    report = client.get(f"/cases/{journey.case.id}/properties/{link.id}/report").text
    assert "repeat finding" not in report.lower()
    assert "repeat finding" not in client.get(f"/cases/{journey.case.id}").text.lower()


def test_a_section_shows_its_score_once_every_scored_item_is_answered(
        inspector, journey, inspection):
    checklist, items = inspection_drafts.checklist_for(inspection)
    answers = best_answers("property_inspection", category=inspection.home.category.value)
    answers.update({"heating": "no", "cleanliness": 1, "bedroom_size": 5})
    accommodation = {item.id: answers[item.id] for item in items
                     if item.section == "accommodation" and item.id in answers}
    answer_on_tablet(journey.inspector, inspection, accommodation)
    page = inspector.get(f"/inspections/{inspection.id}").text
    step = step_in_force(checklist.schedule, clock.today())
    server = compile_checklist(checklist).score(
        accommodation, step, category=inspection.home.category.value)
    mark = next(s.percent for s in server.sections if s.id == "accommodation")
    assert re.search(rf'data-section-mark="accommodation">Section score: {mark}%', page)
    assert mark not in ("100.0", None)
    # Sections not answered yet show no score.
    assert re.search(r'data-section-mark="protection" hidden>', page)


def test_the_next_unanswered_link_goes_to_the_first_item_not_answered(
        inspector, journey, inspection):
    _, items = inspection_drafts.checklist_for(inspection)
    answer_on_tablet(journey.inspector, inspection, {items[0].id: best_answers(
        "property_inspection", category=inspection.home.category.value)[items[0].id]})
    page = inspector.get(f"/inspections/{inspection.id}").text
    assert re.search(rf'href="#item-{items[1].id}" data-next-unanswered>', page)


def test_sections_fold_and_are_open_without_javascript(inspector, inspection):
    page = inspector.get(f"/inspections/{inspection.id}").text
    folds = re.findall(r'<details class="govuk-details app-section__items"( open)?>', page)
    assert folds and all(folds)


def test_failed_items_last_time_are_flagged_on_the_page(inspector, again):
    page = inspector.get(f"/inspections/{again.id}").text
    for item_id in FAILED_LAST_TIME:
        assert "Failed last time" in item_html(page, item_id)


def test_an_earlier_photo_that_cannot_be_opened_is_only_counted(inspector, again):
    from accreditation.database import utcnow
    from accreditation.evidence.models import Evidence, ScanStatus

    for record in db.session.scalars(sa.select(Evidence).where(Evidence.item_id == "heating")):
        record.scan_status, record.scanned_at = ScanStatus.INFECTED, utcnow()
    db.session.commit()
    heating = item_html(inspector.get(f"/inspections/{again.id}").text, "heating")
    assert "1 photo then" in text(heating)
    assert "/download" not in heating
