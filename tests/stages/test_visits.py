"""Planning a property's visit: the date and time, as a commissioner or the application's
inspector types them; what the provider sees; the audit trail."""

from __future__ import annotations

import html
import re
from datetime import time, timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from accreditation.audit import AuditEvent
from accreditation.extensions import db
from accreditation.stages.visits import TIME_EXAMPLE, read_time, time_text

from ..cases.journey import TODAY
from ..factories import UserFactory


def visit_url(link) -> str:
    return f"/cases/{link.case_id}/properties/{link.id}/visit"


def plan(client, link, day, start, minutes=""):
    return client.submit(visit_url(link), {
        "visit_on": [str(day.day), str(day.month), str(day.year)] if day else ["", "", ""],
        "starts": start, "minutes": minutes})


def planned_events(link) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "visit.planned", AuditEvent.subject_type == "case_property",
        AuditEvent.subject_id == str(link.id)).order_by(AuditEvent.seq)))


@pytest.mark.parametrize("typed, read", [
    ("9:30am", time(9, 30)), ("9.30am", time(9, 30)), ("9:30 a.m.", time(9, 30)),
    ("14:30", time(14, 30)), ("2pm", time(14)), ("2 PM", time(14)), ("09.05", time(9, 5)),
    ("12pm", time(12)), ("12am", time(0)), ("midday", time(12)), ("12:15pm", time(12, 15)),
])
def test_times_are_read_as_people_write_them(typed, read):
    assert read_time(typed) == read


@pytest.mark.parametrize("typed", ["9", "930", "25:00", "13pm", "0am", "9:60", "nine",
                                   "9:30:00", "1e3", "٩:٣٠"])
def test_anything_else_is_not_a_time(typed):
    with pytest.raises(ValueError, match=TIME_EXAMPLE):
        read_time(typed)


@given(st.times().map(lambda moment: moment.replace(second=0, microsecond=0)))
def test_a_time_written_out_reads_back_as_itself(moment):
    assert read_time(time_text(moment)) == moment
    assert read_time(moment.strftime("%H:%M")) == moment


def test_a_commissioner_plans_a_visit_the_provider_sees_it_and_it_is_audited(
        client, journey, inspection):
    client.sign_in(journey.commissioner)
    day = TODAY + timedelta(days=3)
    response = plan(client, inspection, day, "9.30am", "90")
    assert response.status_code == 302
    assert response.location == f"/cases/{inspection.case_id}"
    page = client.get(response.location).text
    assert "visit planned for Wednesday 25 November 2026, 9:30am, about 1 hour 30 minutes" in page
    [event] = planned_events(inspection)
    assert event.actor_id == journey.commissioner.id
    assert event.details["visit_on"] == day.isoformat()
    assert event.details["starts"] == "09:30"
    assert event.details["minutes"] == 90

    # Moved: audited again, with what it replaced.
    assert plan(client, inspection, day, "14:00").status_code == 302
    moved = planned_events(inspection)[-1]
    assert moved.details["starts"] == "14:00"
    assert moved.details["replaced"]["starts"] == "09:30"

    client.submit("/sign-out", form_page=f"/cases/{inspection.case_id}")
    client.sign_in(journey.provider)
    page = client.get(f"/cases/{inspection.case_id}").text
    assert "Wednesday 25 November 2026, 2pm" in page
    assert "Plan visit" not in page and "Change visit" not in page


def test_the_assigned_inspector_plans_a_visit_from_their_list(client, journey, inspection):
    client.sign_in(journey.inspector)
    page = client.get("/inspections/").text
    assert visit_url(inspection) in page
    response = plan(client, inspection, TODAY, "2pm")
    assert response.status_code == 302 and response.location == "/inspections/"
    db.session.refresh(inspection)
    assert (inspection.visit_on, inspection.visit_starts) == (TODAY, time(14))


@pytest.mark.parametrize("day, start, minutes, messages", [
    (None, "", "", ["Enter the visit date", "Enter the start time"]),
    (None, "9:30", "", ["Enter the visit date"]),
    (TODAY, "half nine", "", [TIME_EXAMPLE]),
    (TODAY, "25:00", "", [TIME_EXAMPLE]),
    (TODAY - timedelta(days=1), "9:30", "", ["The visit date must be today or in the future"]),
    (TODAY + timedelta(days=400), "9:30", "",
     ["The visit date must be within a year from today"]),
    (TODAY, "9:30", "5", ["The expected length must be between 15 and 600 minutes"]),
    (TODAY, "9:30", "an hour", ["The expected length must be a whole number, like 12"]),
    (None, "nine", "1.5", ["Enter the visit date", TIME_EXAMPLE,
                           "The expected length must be a whole number, like 12"]),
])
def test_problems_are_shown_in_govuk_words_naming_the_field(
        client, journey, inspection, day, start, minutes, messages):
    client.sign_in(journey.commissioner)
    response = plan(client, inspection, day, start, minutes)
    assert response.status_code == 400
    summary = response.text.split('govuk-error-summary__list"')[1].split("</ul>")[0]
    for message in messages:
        assert message in summary
    assert summary.count("<li>") == len(messages)
    assert planned_events(inspection) == []


@pytest.mark.parametrize("typed, message", [
    (["31", "2", "2027"], "The visit date must be a real date"),
    (["", "2", "2027"], "The visit date must include a day"),
])
def test_a_date_that_is_not_real_is_refused(client, journey, inspection, typed, message):
    client.sign_in(journey.commissioner)
    response = client.submit(visit_url(inspection), {"visit_on": typed, "starts": "9:30"})
    assert response.status_code == 400
    assert message in response.text
    assert 'href="#visit_on-day"' in response.text


def test_another_inspector_is_refused_and_it_is_audited(client, journey, inspection):
    other = UserFactory(inspector=True)
    client.sign_in(other)
    assert client.get(visit_url(inspection)).status_code == 404
    denials = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "access.denied", AuditEvent.actor_id == other.id)).all()
    assert denials
    assert planned_events(inspection) == []


def test_a_visit_is_not_planned_once_the_application_has_moved_on(client, journey, inspection):
    journey.inspect_properties()
    client.sign_in(journey.commissioner)
    page = client.get(visit_url(inspection))
    assert page.status_code == 200
    assert "Visits are planned while an application is at file sampling" in page.text
    response = client.submit(visit_url(inspection), {
        "visit_on": [str(TODAY.day), str(TODAY.month), str(TODAY.year)], "starts": "9:30"},
        form_page=f"/cases/{inspection.case_id}")
    assert response.status_code == 409
    assert planned_events(inspection) == []


def test_your_inspections_lists_todays_visits_in_time_order_then_the_rest(
        client, journey, inspection):
    first, second = journey.case.properties
    client.sign_in(journey.commissioner)
    assert plan(client, second, TODAY, "9:15am").status_code == 302
    assert plan(client, first, TODAY, "14:30", "45").status_code == 302
    client.submit("/sign-out", form_page=f"/cases/{journey.case.id}")
    client.sign_in(journey.inspector)
    page = client.get("/inspections/").text
    today = page.split("data-today")[1].split("</ol>")[0]
    assert today.index("9:15am") < today.index(second.home.name) < today.index("2:30pm") \
        < today.index(first.home.name)
    assert "about 45 minutes" in today
    for home in (first.home, second.home):
        address = ", ".join(home.address_lines)
        assert address in today
        query = urlencode({"query": address})
        link = re.search(r'<a class="govuk-link" href="([^"]+)" target="_blank" '
                         r'rel="noopener noreferrer">Open in maps<span class="govuk-visually-'
                         rf'hidden"> for {re.escape(home.name)}</span> on OpenStreetMap<span '
                         r'class="govuk-visually-hidden"> \(opens in new tab\)</span></a>',
                         today)
        assert link and html.unescape(link.group(1)) == \
            f"https://www.openstreetmap.org/search?{query}"

    # Moved to another day: it comes up later, and one not planned is listed as such.
    client.submit("/sign-out", form_page="/inspections/")
    client.sign_in(journey.commissioner)
    assert plan(client, first, TODAY + timedelta(days=2), "10am").status_code == 302
    client.submit("/sign-out", form_page=f"/cases/{journey.case.id}")
    client.sign_in(journey.inspector)
    page = client.get("/inspections/").text
    assert first.home.name not in page.split("data-today")[1].split("</ol>")[0]
    assert "Tuesday 24 November, 10am" in page.split("data-upcoming")[1].split("</ol>")[0]


def test_with_nothing_planned_today_the_page_says_so(client, journey, inspection):
    client.sign_in(journey.inspector)
    page = client.get("/inspections/").text
    assert "Today, Sunday 22 November 2026" in page
    assert "You have no visits planned for today." in page
    unscheduled = page.split("data-unscheduled")[1].split("</ul>")[0]
    for link in journey.case.properties:
        assert link.home.name in unscheduled


def test_a_visit_whose_day_has_passed_is_to_be_planned_again(
        client, journey, inspection, monkeypatch):
    client.sign_in(journey.inspector)
    assert plan(client, inspection, TODAY, "10am").status_code == 302
    monkeypatch.setattr("accreditation.clock.today", lambda: TODAY + timedelta(days=2))
    page = client.get("/inspections/").text
    unscheduled = page.split("data-unscheduled")[1].split("</ul>")[0]
    assert "The visit was planned for Sunday 22 November 2026, 10am. Plan it again." \
        in unscheduled
    assert f"Change visit<span class=\"govuk-visually-hidden\"> to {inspection.home.name}" \
        in unscheduled
