"""Conditions of accreditation are written by the commissioner who decides: each one pre-filled
in plain words from the item that failed, editable, with its own due date; the letter and
every page show the commissioner's words, and the status reads the same everywhere."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from accreditation.cases import operations
from accreditation.cases.models import Case, DecisionOutcome
from accreditation.extensions import db
from accreditation.stages.property_inspection import record_property_inspection
from accreditation.workflow import CaseStatus

from ..providers.conftest import day, last_event
from .journey import TODAY, best_answers

MACHINE_WORDS = re.compile(r"answered (no|yes)|points|Put right:|graded \d of")


def visible(html: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).replace("&#39;", "'") \
        .replace("&amp;", "&").replace("&#34;", '"').replace("&quot;", '"')


@pytest.fixture
def awaiting_decision(journey):
    """Every property passed, but each with damp and mould graded poor: a condition to write
    for each property."""
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    for link in journey.case.properties:
        answers = best_answers("property_inspection", category=link.home.category.value)
        answers["damp_and_mould"] = 1
        record_property_inspection(journey.inspector, link, answers, TODAY)
    operations.complete_property_inspections(journey.inspector, journey.case,
                                             expected_version=journey.case.version)
    return journey


@pytest.fixture
def decider(app, awaiting_decision):
    browser = app.test_client()
    browser.sign_in(awaiting_decision.deciding_commissioner)
    return browser


def form_fields(html: str) -> MultiDict:
    """The decision form as the browser would send it untouched: every input's value and
    each checked radio (the submit buttons are left to the test)."""
    fields = MultiDict()
    for tag in re.findall(r"<(?:input|textarea)\b[^>]*>(?:[^<]*</textarea>)?", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        kind = kind.group(1) if kind else "textarea"
        if kind in ("submit", "button"):
            continue
        if kind in ("radio", "checkbox") and "checked" not in tag:
            continue
        if tag.startswith("<textarea"):
            value = re.search(r">([^<]*)</textarea>", tag).group(1).lstrip("\n")
        else:
            found = re.search(r'value="([^"]*)"', tag)
            value = found.group(1) if found else ""
        fields.add(name.group(1), value.replace("&#39;", "'").replace("&amp;", "&")
                   .replace("&#34;", '"').replace("&quot;", '"'))
    return fields


def send(client, url: str, fields: MultiDict):
    """POST the form as the browser sends it: every value of each name (a date's three
    boxes share one), with the page's CSRF token."""
    data = MultiDict(fields)
    data["csrf_token"] = client.csrf_token(url)
    return client.post(url, data=data, headers={"Referer": f"https://localhost{url}"})


def decision_url(journey) -> str:
    return f"/cases/{journey.case.id}/decision"


def test_each_failed_item_is_offered_as_a_condition_in_plain_words(app, awaiting_decision,
                                                                   decider):
    journey = awaiting_decision
    page = decider.get(decision_url(journey)).text
    fields = form_fields(page)
    homes = [link.home.name for link in journey.case.properties]
    titles = fields.getlist("conditions-0-title") + fields.getlist("conditions-1-title")
    assert titles == [f"Damp and mould at {home}" for home in homes]
    text = fields["conditions-0-text"]
    assert text.startswith(f"At {homes[0]}, the inspection graded damp and mould as poor "
                           "(1 out of 3).")
    assert "at least adequate (2 out of 3)" in text
    assert not MACHINE_WORDS.search(text), text
    due = TODAY + timedelta(days=28)
    assert fields.getlist("conditions-0-due_on") == day(due)


def test_the_commissioners_own_words_and_dates_are_the_conditions(app, awaiting_decision,
                                                                  decider):
    journey = awaiting_decision
    fields = form_fields(decider.get(decision_url(journey)).text)
    fields["outcome"] = "accredited_with_conditions"
    fields["reasons"] = "Meets the standard, with damp to treat."
    fields["conditions-0-title"] = "Treat the damp in the back bedroom"
    fields["conditions-0-text"] = "Find the cause of the damp in the back bedroom and fix it."
    fields.setlist("conditions-0-due_on", day(TODAY + timedelta(days=10)))
    response = send(decider, decision_url(journey), fields)
    assert response.status_code == 302, visible(response.text)

    case = db.session.get(Case, journey.case.id)
    assert case.status is CaseStatus.ACCREDITED
    first, second = case.conditions
    assert first.item_title == "Treat the damp in the back bedroom"
    assert first.description == "Find the cause of the damp in the back bedroom and fix it."
    assert first.due_on == TODAY + timedelta(days=10)
    assert first.item_id == "damp_and_mould"
    assert second.due_on == TODAY + timedelta(days=28)

    letter = visible(decider.get(f"/cases/{case.id}/letter").text)
    assert "Find the cause of the damp in the back bedroom and fix it." in letter
    assert "Treat the damp in the back bedroom" in letter
    assert not MACHINE_WORDS.search(letter), letter

    for person in (journey.deciding_commissioner, journey.provider):
        browser = app.test_client()
        browser.sign_in(person)
        page = visible(browser.get(f"/cases/{case.id}").text)
        assert "Find the cause of the damp in the back bedroom and fix it." in page
        assert "Accredited with conditions" in page
        assert not MACHINE_WORDS.search(page)
    provider = app.test_client()
    provider.sign_in(journey.provider)
    page = visible(provider.get("/provider/conditions").text)
    assert "Find the cause of the damp in the back bedroom and fix it." in page


def test_a_condition_can_be_added_and_one_removed_before_deciding(app, awaiting_decision,
                                                                  decider):
    journey = awaiting_decision
    url = decision_url(journey)
    fields = form_fields(decider.get(url).text)
    fields["outcome"] = "accredited_with_conditions"
    fields["reasons"] = "Meets the standard."
    second_title = fields["conditions-1-title"]

    response = send(decider, url, MultiDict([*fields.items(multi=True),
                                              ("add_condition", "Add another condition")]))
    assert response.status_code == 200
    fields = form_fields(response.text)
    assert fields["conditions-2-title"] == ""
    assert fields["outcome"] == "accredited_with_conditions"  # nothing typed is lost
    fields["conditions-2-title"] = "Fire risk assessment"
    fields["conditions-2-text"] = "Send us the fire risk assessment for every property."
    fields.setlist("conditions-2-due_on", day(TODAY + timedelta(days=14)))

    response = send(decider, url, MultiDict([*fields.items(multi=True), ("remove", "0")]))
    assert response.status_code == 200
    fields = form_fields(response.text)
    assert fields["conditions-0-title"] == second_title
    assert fields["conditions-1-title"] == "Fire risk assessment"
    assert "conditions-2-title" not in fields
    assert db.session.get(Case, journey.case.id).status is CaseStatus.AWAITING_DECISION

    response = send(decider, url, fields)
    assert response.status_code == 302, visible(response.text)
    case = db.session.get(Case, journey.case.id)
    assert {c.item_title for c in case.conditions} == {second_title, "Fire risk assessment"}
    [added] = [c for c in case.conditions if c.item_title == "Fire risk assessment"]
    assert added.item_id is None and added.property_id is None
    assert last_event("case.accredit").details["conditions"] == 2


@pytest.mark.parametrize("change, message", [
    ({"conditions-1-text": ""}, "Enter what the provider must do for condition 2"),
    ({"conditions-0-title": ""}, "Enter a title for condition 1"),
    ({"conditions-0-title": "x" * 121}, "The title of condition 1 must be 120 characters or "
                                         "fewer"),
    ({"conditions-1-text": "x" * 2001}, "What the provider must do for condition 2 must be "
                                         "2000 characters or fewer"),
    ({"conditions-0-due_on": day(TODAY)}, "The date condition 1 is due must be in the future"),
    ({"conditions-0-due_on": ["31", "2", "2027"]}, "The date condition 1 is due must be a real "
                                                   "date"),
    ({"conditions-0-due_on": ["", "", ""]}, "Enter the date condition 1 is due"),
])
def test_a_condition_that_is_not_complete_is_refused_by_name(app, awaiting_decision, decider,
                                                            change, message):
    journey = awaiting_decision
    fields = form_fields(decider.get(decision_url(journey)).text)
    fields["outcome"] = "accredited_with_conditions"
    fields["reasons"] = "Meets the standard."
    for key, value in change.items():
        fields.setlist(key, value if isinstance(value, list) else [value])
    response = send(decider, decision_url(journey), fields)
    assert response.status_code == 400
    summary = visible(response.text.partition("govuk-error-summary")[2][:3000])
    assert message in summary
    assert db.session.get(Case, journey.case.id).status is CaseStatus.AWAITING_DECISION


def test_accrediting_without_conditions_ignores_the_offered_ones(app, awaiting_decision,
                                                                  decider):
    journey = awaiting_decision
    fields = form_fields(decider.get(decision_url(journey)).text)
    fields["outcome"] = "accredited"
    fields["reasons"] = "Meets the standard."
    response = send(decider, decision_url(journey), fields)
    assert response.status_code == 302, visible(response.text)
    case = db.session.get(Case, journey.case.id)
    assert case.conditions == []
    assert case.decisions[-1].outcome is DecisionOutcome.ACCREDITED


def test_with_conditions_and_none_left_asks_for_one(app, awaiting_decision, decider):
    journey = awaiting_decision
    fields = form_fields(decider.get(decision_url(journey)).text)
    fields = MultiDict([(key, value) for key, value in fields.items(multi=True)
                        if not key.startswith("conditions-")])
    fields["outcome"] = "accredited_with_conditions"
    fields["reasons"] = "Meets the standard."
    response = send(decider, decision_url(journey), fields)
    assert response.status_code == 400
    assert "Add at least one condition, or accredit without conditions" in visible(response.text)


def test_the_status_says_with_conditions_until_every_condition_is_met(app, awaiting_decision):
    journey = awaiting_decision
    due = TODAY + timedelta(days=28)
    case = journey.accredit(outcome=DecisionOutcome.ACCREDITED_WITH_CONDITIONS, conditions=[
        operations.NewCondition("damp_and_mould", "Damp", "Treat the damp.", due)])
    assert case.status_label == "Accredited with conditions"
    [condition] = case.conditions
    operations.respond_to_condition(journey.provider, condition, response="Treated.")
    operations.confirm_condition(journey.inspector, condition)
    assert db.session.get(Case, case.id).status_label == "Accredited"
