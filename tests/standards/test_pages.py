"""Commissioners' checklist pages and the providers' gap report, through the browser client."""

import json
from datetime import date

import pytest

from accreditation.standards.operations import record_assessment

from ..factories import PropertyFactory, UserFactory, publish_first_checklists
from .test_assessments_and_impact import good_answers, inspect


@pytest.fixture
def version_1(app):
    publish_first_checklists()


def test_the_checklists_page_shows_schedules_and_database_drafts_only(client, version_1):
    client.sign_in(UserFactory(commissioner=True))
    page = client.get("/commissioner/checklists").text
    assert "Property inspection – version 1" in page
    assert "In force" in page
    assert "Preview impact" in page
    # Version 2 ships as a file, but drafts are written in the service: none yet.
    assert "There are no drafts" in page
    assert "Publish property inspection version 2" not in page
    assert "A copy of property inspection version 1" in page


def test_the_impact_page_shows_who_would_fall_below(client, version_1, rng):
    weak = PropertyFactory()
    answers = good_answers("single_occupancy", rng)
    answers["damp_and_mould"] = 1
    inspect(weak, answers)
    client.sign_in(UserFactory(commissioner=True))
    page = client.get("/commissioner/checklists/property_inspection/impact"
                      "?version=1&step=2027-07-05").text
    assert "Impact of the step from 5 July 2027" in page
    assert "Would fall below this step" in page
    assert "Damp and mould" in page


@pytest.mark.parametrize("query, status", [
    ("?version=1&step=2027-07-06", 404),   # not a step of the schedule
    ("?version=1&step=not-a-date", 400),
    ("?version=9&step=2027-07-05", 404),
])
def test_the_impact_page_refuses_bad_parameters_clearly(client, version_1, query, status):
    client.sign_in(UserFactory(commissioner=True))
    response = client.get(f"/commissioner/checklists/property_inspection/impact{query}")
    assert response.status_code == status
    assert "Traceback" not in response.text


def test_unknown_kinds_are_not_found(client, version_1):
    client.sign_in(UserFactory(commissioner=True))
    assert client.get("/commissioner/checklists/recipes/impact?step=2027-07-05"
                      ).status_code == 404


def test_a_provider_sees_its_own_gap_report_only(client, version_1, rng, monkeypatch):
    monkeypatch.setattr("accreditation.clock.today", lambda: date(2026, 11, 22))
    provider = UserFactory(provider=True)
    own = PropertyFactory(organisation=provider.organisation, name="Our House")
    other = PropertyFactory(name="Their House")
    answers = good_answers("single_occupancy", rng)
    answers["escape_routes"] = "no"  # critical from 4 January 2027
    inspect(own, answers)
    inspect(other, answers)
    client.sign_in(provider)
    page = client.get("/provider/gap-report").text
    assert "Our House" in page
    assert "Their House" not in page
    assert "Would not meet this step" in page
    assert "step (version 1) from <strong>4 January 2027</strong>" in page
    assert "Escape routes" in page


def test_the_impact_command_prints_json(runner, version_1, rng):
    inspect(PropertyFactory(), good_answers("single_occupancy", rng))
    result = runner.invoke(args=["checklists", "impact", "--kind", "property_inspection",
                                 "--as-of", "2027-07-05", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["assessed"] == 1
    assert report["step"]["effective_from"] == "2027-07-05"


def test_the_impact_command_refuses_a_date_before_the_schedule(runner, version_1):
    result = runner.invoke(args=["checklists", "impact", "--kind", "property_inspection",
                                 "--as-of", "2020-01-01"])
    assert result.exit_code != 0
    assert "no step in force" in result.output or "in force" in result.output


def test_record_assessment_is_usable_for_due_diligence(app, version_1, rng):
    from accreditation.demo_cases import plausible_answers
    from accreditation.standards.operations import current_checklist

    organisation = PropertyFactory().organisation
    checklist = current_checklist("due_diligence", date(2026, 11, 2)).checklist
    assessment = record_assessment(None, kind="due_diligence", organisation=organisation,
                                   answers=plausible_answers(checklist, rng, 1.0),
                                   assessed_on=date(2026, 11, 2))
    assert assessment.passed
