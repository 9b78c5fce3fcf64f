"""The staff side of a case through the browser client, as commissioners and inspectors use it."""

import re

import pytest
import sqlalchemy as sa

from accreditation.cases.models import Case, DecisionOutcome
from accreditation.extensions import db
from accreditation.stages.file_sampling import samples_for
from accreditation.workflow import CaseStatus

from ..factories import UserFactory
from .journey import best_answers


def checklist_data(answers: dict) -> dict:
    return {f"item_{item_id}": str(value) for item_id, value in answers.items()}


def test_a_case_goes_from_due_diligence_to_accreditation_through_the_pages(app, journey):
    commissioner, inspector = app.test_client(), app.test_client()
    journey.organisation.company_number = "09876543"  # in the recorded Companies House data
    db.session.commit()
    case = journey.submit()
    commissioner.sign_in(journey.commissioner)

    page = commissioner.get(f"/cases/{case.id}/due-diligence")
    assert "Check Companies House" in page.text
    response = commissioner.submit(f"/cases/{case.id}/due-diligence/company-check",
                                   form_page=f"/cases/{case.id}/due-diligence")
    assert response.status_code == 302
    page = commissioner.get(f"/cases/{case.id}/due-diligence").text
    assert "Companies House checked" in page
    assert "HARBOUR LIGHTS HOUSING LTD" in page

    response = commissioner.submit(f"/cases/{case.id}/due-diligence",
                                   checklist_data(best_answers("due_diligence")))
    assert response.status_code == 302
    response = commissioner.submit(f"/cases/{case.id}/due-diligence/pass",
                                   {"version": str(case.version),
                                    "inspector_id": str(journey.inspector.id)},
                                   form_page=f"/cases/{case.id}/due-diligence")
    assert response.status_code == 302
    assert db.session.get(Case, case.id).status is CaseStatus.FILE_SAMPLING

    inspector.sign_in(journey.inspector)
    assert journey.organisation.name in inspector.get("/inspections/").text
    inspector.submit(f"/cases/{case.id}/file-sampling/draw",
                     form_page=f"/cases/{case.id}/file-sampling")
    case = db.session.get(Case, case.id)
    for sample in samples_for(case):
        for sampled in sample.files:
            url = f"/cases/{case.id}/files/{sampled.id}"
            response = inspector.submit(url, checklist_data(
                best_answers("file_sampling", file_type=sample.file_type.value)))
            assert response.status_code == 302, response.text
    response = inspector.submit(f"/cases/{case.id}/actions/complete_file_sampling",
                                {"version": str(db.session.get(Case, case.id).version)},
                                form_page=f"/cases/{case.id}/file-sampling")
    assert response.status_code == 302
    case = db.session.get(Case, case.id)
    assert case.status is CaseStatus.PROPERTY_INSPECTION

    for link in case.properties:
        url = f"/cases/{case.id}/properties/{link.id}/inspection"
        response = inspector.submit(url, checklist_data(
            best_answers("property_inspection", category=link.home.category.value)))
        assert response.status_code == 302, response.text
    response = inspector.submit(f"/cases/{case.id}/actions/complete_property_inspections",
                                {"version": str(db.session.get(Case, case.id).version)},
                                form_page=f"/cases/{case.id}")
    assert response.status_code == 302
    assert db.session.get(Case, case.id).status is CaseStatus.AWAITING_DECISION

    # The commissioner who did due diligence may decide (they did not inspect).
    decider = app.test_client()
    decider.sign_in(journey.deciding_commissioner)
    response = decider.submit(f"/cases/{case.id}/decision", {
        "version": str(db.session.get(Case, case.id).version), "outcome": "accredited",
        "reasons": "Meets the standard in every property."})
    assert response.status_code == 302, response.text
    case = db.session.get(Case, case.id)
    assert case.status is CaseStatus.ACCREDITED
    letter = decider.get(f"/cases/{case.id}/letter").text
    assert "Accreditation decision: accredited" in letter
    provider = app.test_client()
    provider.sign_in(journey.provider)
    page = provider.get(f"/cases/{case.id}").text
    assert "Accredited" in page
    report_link = re.search(r'href="(/cases/\d+/properties/\d+/report)"', page).group(1)
    assert "Inspection report" in provider.get(report_link).text


def test_the_inspector_cannot_decide(app, journey, client):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    client.sign_in(journey.inspector)
    assert client.get(f"/cases/{journey.case.id}/decision").status_code == 403


def test_a_commissioner_who_inspected_is_told_to_hand_over(app, journey, client):
    journey.submit()
    journey.pass_due_diligence()
    journey.case.inspector_id = journey.commissioner.id
    journey.inspector = journey.commissioner
    db.session.commit()
    journey.complete_file_sampling()
    journey.inspect_properties()
    client.sign_in(journey.commissioner)
    page = client.get(f"/cases/{journey.case.id}/decision")
    assert "another commissioner must decide it" in page.text
    response = client.submit(f"/cases/{journey.case.id}/decision", {
        "version": str(journey.case.version), "outcome": "accredited", "reasons": "Fine."},
        form_page=f"/cases/{journey.case.id}")
    assert response.status_code == 403
    assert db.session.get(Case, journey.case.id).status is CaseStatus.AWAITING_DECISION


def test_a_return_with_bad_input_shows_what_to_fix_and_changes_nothing(app, journey, client):
    case = journey.submit()
    client.sign_in(journey.commissioner)
    response = client.submit(f"/cases/{case.id}/actions/return",
                             {"version": str(case.version), "message": "",
                              "due_on": ["31", "2", "2027"]}, form_page=f"/cases/{case.id}")
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert db.session.get(Case, case.id).status is CaseStatus.DUE_DILIGENCE


def test_a_stale_form_is_a_conflict_with_a_clear_message(app, journey, client):
    case = journey.submit()
    client.sign_in(journey.commissioner)
    stale = case.version
    response = client.submit(f"/cases/{case.id}/actions/return",
                             {"version": str(stale), "message": "Send the lease.",
                              "due_on": ["1", "3", "2027"]}, form_page=f"/cases/{case.id}")
    assert response.status_code == 302
    response = client.submit(f"/cases/{case.id}/propose?kind=refusal",
                             {"version": str(stale), "reasons": "Not fit."},
                             form_page=f"/cases/{case.id}")
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert db.session.get(Case, case.id).status is CaseStatus.RETURNED_AT_DUE_DILIGENCE


@pytest.mark.parametrize("field", ["version", "inspector_id"])
@pytest.mark.parametrize("value", ["\u00b2", "99999999999999999999", "-1", " 12x"])
def test_tampered_hidden_numbers_are_not_trusted_and_never_crash(app, journey, client, field,
                                                                 value):
    case = journey.submit()
    client.sign_in(journey.commissioner)
    data = {"version": str(case.version), field: value}
    response = client.submit(f"/cases/{case.id}/due-diligence/pass", data,
                             form_page=f"/cases/{case.id}")
    assert response.status_code < 500
    assert db.session.get(Case, case.id).status is CaseStatus.DUE_DILIGENCE


@pytest.mark.parametrize("path", ["/cases/{id}", "/cases/{id}/letter",
                                  "/cases/{id}/properties/1/report"])
def test_another_provider_cannot_see_the_case(app, journey, client, path):
    journey.all_the_way()
    client.sign_in(UserFactory(provider=True))
    response = client.get(path.format(id=journey.case.id))
    assert response.status_code == 404


def test_an_unassigned_inspector_cannot_see_the_case(app, journey, client):
    journey.submit()
    client.sign_in(UserFactory(inspector=True))
    assert client.get(f"/cases/{journey.case.id}").status_code == 404


def test_unknown_actions_and_cases_are_not_found(app, journey, client):
    case = journey.submit()
    client.sign_in(journey.commissioner)
    assert client.submit(f"/cases/{case.id}/actions/explode", {},
                         form_page=f"/cases/{case.id}").status_code == 404
    assert client.get("/cases/999999").status_code == 404


def test_decision_with_conditions_from_failed_items(app, journey, client):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    from accreditation.stages.property_inspection import record_property_inspection

    from .journey import TODAY
    for link in journey.case.properties:
        answers = best_answers("property_inspection", category=link.home.category.value)
        answers["damp_and_mould"] = 1
        record_property_inspection(journey.inspector, link, answers, TODAY)
    from accreditation.cases import operations
    operations.complete_property_inspections(journey.inspector, journey.case,
                                             expected_version=journey.case.version)
    client.sign_in(journey.deciding_commissioner)
    page = client.get(f"/cases/{journey.case.id}/decision").text
    keys = re.findall(r'value="(\d+:damp_and_mould)"', page)
    assert keys
    response = client.submit(f"/cases/{journey.case.id}/decision", {
        "version": str(journey.case.version),
        "outcome": DecisionOutcome.ACCREDITED_WITH_CONDITIONS.value,
        "reasons": "Meets the standard; damp must be treated.", "conditions-0-key": keys[0],
        "conditions-0-title": "Damp", "conditions-0-text": "Treat the damp.",
        "conditions-0-due_on": ["13", "12", "2026"]})
    assert response.status_code == 302, response.text
    case = db.session.get(Case, journey.case.id)
    assert [action.item_id for action in case.conditions] == ["damp_and_mould"]


def test_the_case_list_filters_by_status(app, journey, client):
    journey.submit()
    client.sign_in(journey.commissioner)
    assert journey.case.reference in client.get("/cases/?status=due_diligence").text
    assert journey.case.reference not in client.get("/cases/?status=accredited").text
    assert client.get("/cases/?status=nonsense").status_code == 400


def test_no_case_page_crashes_for_any_status(app, journey, client):
    journey.all_the_way()
    client.sign_in(journey.commissioner)
    for path in ("", "/due-diligence", "/file-sampling", "/decision", "/letter"):
        response = client.get(f"/cases/{journey.case.id}{path}")
        assert response.status_code == 200, path
    assert sa is not None


@pytest.mark.parametrize("number, message, banner", [
    ("00000000", "Company number 00000000 is not a Companies House number", "govuk-error-summary"),
    ("05555556", "There is no company with number 05555556", "govuk-notification-banner"),
])
def test_company_check_problems_are_shown_not_crashed(app, journey, client, number, message,
                                                      banner):
    journey.organisation.company_number = number
    db.session.commit()
    case = journey.submit()
    client.sign_in(journey.commissioner)
    response = client.submit(f"/cases/{case.id}/due-diligence/company-check",
                             form_page=f"/cases/{case.id}/due-diligence")
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}/due-diligence").text
    assert message in page
    assert "&lt;" not in page.split(banner)[1][:800]


def test_the_inspection_page_offers_photo_uploads_for_items_that_need_one(app, journey, client):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    link = journey.case.properties[0]
    client.sign_in(journey.inspector)
    page = client.get(f"/cases/{journey.case.id}/properties/{link.id}/inspection").text
    # The inspection's own door for item photos, the one the tablet and the API use.
    assert (f'action="/cases/{journey.case.id}/properties/{link.id}/inspection/photos"'
            in page)
    assert 'enctype="multipart/form-data"' in page


def test_a_condition_still_open_after_its_date_shows_as_overdue_to_everyone(app, journey,
                                                                             monkeypatch):
    from datetime import timedelta

    from accreditation import clock
    from accreditation.cases import operations
    from accreditation.cases.models import DecisionOutcome
    from accreditation.cases.operations import NewCondition

    from ..factories import UserFactory
    from .journey import TODAY

    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    due = TODAY + timedelta(days=28)
    case = journey.accredit(outcome=DecisionOutcome.ACCREDITED_WITH_CONDITIONS, conditions=[
        NewCondition("fire_doors", "Fire doors", "Fit self-closers.", due),
        NewCondition("damp_and_mould", "Damp", "Treat the damp.", due)])
    fire_doors, damp = case.conditions
    operations.respond_to_condition(journey.provider, damp, response="Treated.")
    pages = []  # (a browser signed in as the person, the page they see the conditions on)
    for person, path in ((journey.commissioner, f"/cases/{case.id}"),
                         (journey.provider, "/provider/conditions"),
                         (UserFactory(social_worker=True),
                          f"/register/providers/{journey.organisation.id}")):
        browser = app.test_client()
        browser.sign_in(person)
        pages.append((browser, path))

    def overdue_on_each_page() -> list[int]:
        counts = []
        for browser, path in pages:
            page = browser.get(path)
            assert page.status_code == 200, path
            counts.append(page.text.count("Overdue"))
        return counts

    monkeypatch.setattr(clock, "today", lambda: due)
    assert overdue_on_each_page() == [0, 0, 0]
    assert "past its due date" not in pages[1][0].get("/provider/").text
    assert fire_doors.progress_label == "Waiting for the provider"
    monkeypatch.setattr(clock, "today", lambda: due + timedelta(days=1))
    # Only the condition still waiting for the provider: the answered one waits for us.
    assert overdue_on_each_page() == [1, 1, 1]
    assert fire_doors.is_overdue and not damp.is_overdue
    provider_home = pages[1][0].get("/provider/").text
    assert "1 condition is past its due date." in provider_home
