"""An inspector's private calendar link: made on their account page, shown once, withdrawn or
replaced; the feed it opens, read with ``icalendar`` as a calendar app reads it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from accreditation.admin.operations import deactivate_account
from accreditation.audit import AuditEvent, AuditRepeat
from accreditation.auth.models import CalendarLink
from accreditation.extensions import db
from accreditation.secret_paths import redact
from accreditation.stages.visits import plan_visit

from ..cases.journey import TODAY
from ..factories import UserFactory


def make_link(client, *, with_addresses: bool) -> str:
    response = client.submit("/account/calendar", {"with_addresses": "y"} if with_addresses
                             else {}, form_page="/account")
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    address = re.search(r'<code id="calendar-link">([^<]+)</code>', response.text).group(1)
    base = client.application.config["BASE_URL"].rstrip("/")
    assert address.startswith(f"{base}/calendar/cal_") and address.endswith(".ics")
    return address.removeprefix(base)


def events(client, path) -> list[icalendar.Event]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    return sorted(calendar.walk("VEVENT"), key=lambda event: event.decoded("dtstart"))


def refusals() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "access.calendar_refused")))


@pytest.fixture
def planned(journey, inspection):
    """Two visits: the first property on the test's today at 9:30am (summer time does not
    apply in November, so UTC), the second on 1 June 2027 at 2pm for 90 minutes (British
    Summer Time: 13:00 UTC)."""
    first, second = journey.case.properties
    plan_visit(journey.commissioner, first, visit_on=TODAY, starts=datetime(1, 1, 1, 9, 30)
               .time(), minutes=None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("accreditation.clock.today", lambda: datetime(2027, 1, 1).date())
        plan_visit(journey.commissioner, second, visit_on=datetime(2027, 6, 1).date(),
                   starts=datetime(1, 1, 1, 14).time(), minutes=90)
    return first, second


def test_the_feed_lists_the_inspectors_visits_without_addresses(client, journey, planned):
    first, second = planned
    client.sign_in(journey.inspector)
    path = make_link(client, with_addresses=False)
    feed = events(client, path)
    assert [str(event["summary"]) for event in feed] == [
        f"Inspection: {first.home.name}", f"Inspection: {second.home.name}"]
    assert feed[0].decoded("dtstart") == datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    assert feed[0].decoded("dtend") == datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    assert feed[1].decoded("dtstart") == datetime(2027, 6, 1, 13, 0, tzinfo=UTC)
    assert feed[1].decoded("dtend") - feed[1].decoded("dtstart") == timedelta(minutes=90)
    base = client.application.config["BASE_URL"].rstrip("/")
    assert str(feed[0]["url"]) == f"{base}/inspections/{first.id}"
    assert all("location" not in event for event in feed)
    body = client.get(path).text
    for link in planned:
        assert link.home.postcode not in body and link.home.address_line_1 not in body

    # The UID stays when a visit moves, so calendars move the event rather than add one.
    uid = str(feed[0]["uid"])
    plan_visit(journey.commissioner, first, visit_on=TODAY + timedelta(days=1),
               starts=datetime(1, 1, 1, 11).time(), minutes=None)
    moved = events(client, path)
    assert [str(event["uid"]) for event in moved].count(uid) == 1
    assert next(event for event in moved if str(event["uid"]) == uid).decoded("dtstart") \
        == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


def test_addresses_only_when_the_inspector_chose_them(client, journey, planned):
    client.sign_in(journey.inspector)
    path = make_link(client, with_addresses=True)
    feed = events(client, path)
    assert [str(event["location"]) for event in feed] == [
        ", ".join(link.home.address_lines) for link in planned]
    [made] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "calendar_link.created")).all()
    assert made.actor_id == journey.inspector.id and made.details["with_addresses"] is True


def test_only_a_hash_is_kept_and_a_new_link_replaces_the_old(client, journey, planned):
    client.sign_in(journey.inspector)
    old = make_link(client, with_addresses=False)
    token = old.removeprefix("/calendar/").removesuffix(".ics")
    [stored] = db.session.scalars(sa.select(CalendarLink)).all()
    assert token not in stored.token_hash
    new = make_link(client, with_addresses=False)
    assert client.get(new).status_code == 200
    response = client.get(old)
    assert response.status_code == 404 and response.text == "Not found\n"
    assert [event.details["reason"] for event in refusals()] == ["withdrawn"]


def test_a_wrong_or_withdrawn_link_is_a_404_with_no_hint_and_is_audited(
        client, journey, planned):
    client.sign_in(journey.inspector)
    path = make_link(client, with_addresses=False)
    wrong = client.get("/calendar/cal_" + "x" * 43 + ".ics")
    client.submit("/account/calendar/withdraw", form_page="/account")
    withdrawn = client.get(path)
    assert (wrong.status_code, withdrawn.status_code) == (404, 404)
    assert wrong.text == withdrawn.text == "Not found\n"
    assert [event.details["reason"] for event in refusals()] == ["unknown link", "withdrawn"]
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    every_detail = " ".join(str(event.details) for event in db.session.scalars(
        sa.select(AuditEvent)))
    every_detail += " ".join(str(repeat.__dict__) for repeat in db.session.scalars(
        sa.select(AuditRepeat)))
    assert token not in every_detail
    assert "Withdraw the calendar link" not in client.get("/account").text

    # Asked for again and again: counted, not each chained.
    for _ in range(5):
        assert client.get(path).status_code == 404
    assert len(refusals()) == 2


def test_a_deactivated_inspectors_feed_stops(client, journey, planned):
    client.sign_in(journey.inspector)
    path = make_link(client, with_addresses=False)
    deactivate_account(journey.commissioner, journey.inspector)
    assert client.application.test_client().get(path).status_code == 404
    assert refusals()[-1].details["reason"] == "withdrawn"


def test_only_inspectors_make_calendar_links(client, journey):
    client.sign_in(journey.commissioner)
    assert "Calendar of your visits" not in client.get("/account").text
    response = client.submit("/account/calendar", {}, form_page="/account")
    assert response.status_code == 403
    assert db.session.scalars(sa.select(CalendarLink)).all() == []


def test_another_inspectors_visits_are_not_in_the_feed(client, journey, planned):
    other = UserFactory(inspector=True)
    client.sign_in(other)
    assert events(client, make_link(client, with_addresses=True)) == []


def test_the_token_is_left_out_of_logged_addresses():
    token = "cal_" + "A" * 43
    line = f'GET /calendar/{token}.ics HTTP/1.1" 200 "https://x/calendar/{token}.ics"'
    assert token not in redact(line)
    assert "/calendar/[redacted]" in redact(line)


def test_no_log_line_holds_the_token(client, journey, planned, caplog):
    client.sign_in(journey.inspector)
    path = make_link(client, with_addresses=False)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    with caplog.at_level("DEBUG"):
        assert client.get(path).status_code == 200
        client.submit("/account/calendar/withdraw", form_page="/account")
        assert client.get(path).status_code == 404
    assert token not in caplog.text
