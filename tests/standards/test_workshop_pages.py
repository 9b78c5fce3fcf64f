"""The standards workshop through the browser client: a draft written, checked, submitted
and approved by a second commissioner."""

from datetime import date

import pytest
import sqlalchemy as sa

from accreditation import clock
from accreditation.extensions import db
from accreditation.standards.models import ChecklistDraft, DraftStatus, PublishedChecklist

from ..factories import UserFactory, publish_first_checklists

TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("accreditation.clock.today", lambda: TODAY)
    with clock.pretend(TODAY):
        yield


@pytest.fixture
def version_1(app):
    publish_first_checklists()


def start(client, choice="copy:property_inspection:1"):
    response = client.submit("/commissioner/checklists/drafts", {"start_from": choice},
                             form_page="/commissioner/checklists")
    assert response.status_code == 302, response.text
    return response.location


def test_a_commissioner_starts_a_draft_from_the_version_in_force(client, version_1):
    client.sign_in(UserFactory(commissioner=True))
    page_url = start(client)
    page = client.get(page_url).text
    assert "Property inspection – draft version 2" in page
    assert "Nothing: it is the same as version 1" in page
    assert "Submit for approval" in page
    assert "Move down" in page and "Preview impact" in page
    assert "Property inspection – version 2" in client.get("/commissioner/checklists").text


def test_a_steps_section_minimums_are_named_by_the_sections_titles(client, version_1):
    client.sign_in(UserFactory(commissioner=True))
    page = client.get(start(client)).text
    assert "Protection 60%" in page
    assert "protection 60%" not in page


def test_a_blank_draft_shows_each_problem_linked_from_the_summary(client, version_1):
    client.sign_in(UserFactory(commissioner=True))
    page_url = start(client, "blank:due_diligence")
    page = client.get(page_url).text
    assert "There is a problem with this draft" in page
    assert 'href="#draft-items"' in page
    assert "items must list at least 1 entry" in page
    draft_id = int(page_url.rsplit("/", 1)[1])
    base = f"/commissioner/checklists/drafts/{draft_id}"
    response = client.submit(f"{base}/sections/new", {"title": "Finance", "id": ""})
    assert response.location.endswith("#section-finance")
    client.submit(f"{base}/items/new", {"section": "finance", "text": "Accounts filed?",
                                        "answer_type": "free_text", "weight": "0"})
    page = client.get(page_url).text
    assert "items must list at least 1 entry" not in page
    assert 'href="#draft-schedule"' in page
    assert "schedule must list at least 1 entry" in page


def test_adding_an_item_and_a_step_through_the_forms(client, version_1):
    client.sign_in(UserFactory(commissioner=True))
    page_url = start(client)
    draft_id = int(page_url.rsplit("/", 1)[1])
    base = f"/commissioner/checklists/drafts/{draft_id}"
    response = client.submit(f"{base}/items/new", {
        "section": "protection", "label": "Carbon monoxide alarms",
        "text": "Is there a working carbon monoxide alarm in every room with a boiler?",
        "answer_type": "yes_no", "weight": "2", "pass_grade": "2",
        "applies": ["single_occupancy", "ring_fenced_shared"], "critical": "y"})
    assert response.status_code == 302, response.text
    draft = db.session.get(ChecklistDraft, draft_id)
    db.session.refresh(draft)
    # Version 1 has an item of that name already: the new id is made unique.
    (added,) = [item for item in draft.definition["items"]
                if item["id"] == "carbon_monoxide_alarms_2"]
    assert added["section"] == "protection"
    assert added["weight"] == 2 and added["critical"] is True
    assert added["applies_to"] == ["single_occupancy", "ring_fenced_shared"]
    # A step after the last one, starting from it, with a higher pass mark.
    form = client.get(f"{base}/steps/new").text
    assert 'value="75"' in form  # starts from the last step's pass mark
    response = client.submit(f"{base}/steps/new", {
        "effective_from": ["6", "9", "2027"], "pass_mark": "80", "grace_days": "28",
        **{f"minimum_{sid}": value for sid, value in
           {"leadership_and_management": "60", "protection": "80", "accommodation": "65",
            "support": "60"}.items()},
        "critical_items": ["escape_routes", "electrical_safety_eicr",
                           "missing_from_care_protocol", "out_of_hours_on_call",
                           "damp_and_mould"]})
    assert response.status_code == 302, response.text
    page = client.get(page_url).text
    assert "is added" in page, page  # the comparison


def test_a_step_with_a_bad_date_is_shown_on_its_field(client, version_1):
    client.sign_in(UserFactory(commissioner=True))
    draft_id = int(start(client).rsplit("/", 1)[1])
    response = client.submit(f"/commissioner/checklists/drafts/{draft_id}/steps/new", {
        "effective_from": ["31", "2", "2027"], "pass_mark": "80"})
    assert response.status_code == 200
    assert "The date the step takes effect must be a real date" in response.text
    assert 'href="#effective_from-day"' in response.text


def test_submit_refused_for_too_little_notice_names_the_step(client, version_1):
    client.sign_in(UserFactory(commissioner=True))
    page_url = start(client)
    draft_id = int(page_url.rsplit("/", 1)[1])
    base = f"/commissioner/checklists/drafts/{draft_id}"
    draft = db.session.get(ChecklistDraft, draft_id)
    last = draft.definition["schedule"][1]  # from 4 January 2027, brought forward
    changed = client.submit(f"{base}/steps/{last['effective_from']}", {
        "effective_from": ["20", "12", "2026"], "pass_mark": str(last["pass_mark"]),
        "grace_days": "56",
        **{f"minimum_{sid}": str(value) for sid, value in last["section_minimums"].items()},
        "critical_items": last["critical_items"]}, form_page=f"{base}/steps/new")
    assert changed.status_code == 302, changed.text
    response = client.submit(f"{base}/submit", form_page=page_url)
    assert response.status_code == 302
    page = client.get(page_url).text
    assert "The step from 20 December 2026 takes effect sooner than 28 days" in page
    db.session.refresh(draft)
    assert draft.status is DraftStatus.DRAFT


def test_four_eyes_through_the_pages(client, app, version_1):
    author = UserFactory(commissioner=True)
    client.sign_in(author)
    page_url = start(client)
    draft_id = int(page_url.rsplit("/", 1)[1])
    assert client.submit(f"/commissioner/checklists/drafts/{draft_id}/submit",
                         form_page=page_url).status_code == 302
    page = client.get(page_url).text
    assert "Waiting for another commissioner" in page
    assert "Approve and publish" not in page
    # The author cannot approve, even by sending the form.
    refused = client.submit(f"/commissioner/checklists/drafts/{draft_id}/approve",
                            {"revision": "2"}, form_page=page_url)
    assert refused.status_code == 409
    assert "A second commissioner must approve" in refused.text
    second = app.test_client()
    second.sign_in(UserFactory(commissioner=True))
    page = second.get(page_url).text
    assert "Approve and publish" in page
    revision = db.session.get(ChecklistDraft, draft_id).revision
    response = second.submit(f"/commissioner/checklists/drafts/{draft_id}/approve",
                             {"revision": str(revision)}, form_page=page_url)
    assert response.status_code == 302
    assert db.session.scalar(sa.select(PublishedChecklist).filter_by(
        kind="property_inspection", version=2)) is not None
    assert "Approved and published property inspection version 2" in second.get(
        "/commissioner/checklists").text


def test_the_impact_preview_of_a_draft_step(client, version_1):
    client.sign_in(UserFactory(commissioner=True))
    draft_id = int(start(client).rsplit("/", 1)[1])
    page = client.get(f"/commissioner/checklists/property_inspection/impact"
                      f"?draft={draft_id}&step=2027-07-05")
    assert page.status_code == 200
    assert "Impact of the step from 5 July 2027" in page.text
    assert "Back to the draft" in page.text
    assert client.get("/commissioner/checklists/due_diligence/impact"
                      f"?draft={draft_id}&step=2027-07-05").status_code == 404
    assert client.get("/commissioner/checklists/property_inspection/impact"
                      "?draft=x&step=2027-07-05").status_code == 404


@pytest.mark.parametrize("trait", ["provider", "inspector", "social_worker"])
def test_only_commissioners_see_the_workshop(client, version_1, trait):
    commissioner = UserFactory(commissioner=True)
    from accreditation.standards.drafts import start_draft

    draft = start_draft(commissioner, "property_inspection", copy_of=1)
    client.sign_in(UserFactory(**{trait: True}))
    assert client.get(f"/commissioner/checklists/drafts/{draft.id}").status_code == 403
