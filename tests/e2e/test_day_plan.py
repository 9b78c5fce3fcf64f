"""Through the browser: a commissioner plans two visits for today with the real date and time
boxes, and the inspector, signing in on a fresh tablet, finds them first on *Your
inspections*, in time order, each with its address and a link to it on a map, and still
there without signal."""

from __future__ import annotations

from datetime import time
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from accreditation import clock
from accreditation.stages.visits import plan_visit as schedule

from ..factories import TEST_PASSWORD
from .conftest import sign_in
from .inspection_helpers import TABLET, inspection_ready
from .seams import page_problems
from .test_accessibility import serious_violations


def person(browser, live_server, viewport=(1024, 1366), has_touch=False):
    """A fresh browser (axe may be added to its pages)."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True,
                                  has_touch=has_touch,
                                  viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def looks_right(page, *, after_sending: bool = False) -> None:
    assert page_problems(page, after_sending=after_sending) == []
    assert serious_violations(page) == []


def plan_visit(page, name: str, day, start: str, minutes: str = "") -> None:
    page.get_by_role("link", name=f"Plan visit to {name}").click()
    expect(page.get_by_role("heading", name=f"Plan the visit to {name}")).to_be_visible()
    looks_right(page)
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))
    page.get_by_label("Start time").fill(start)
    if minutes:
        page.get_by_label("Expected length in minutes (optional)").fill(minutes)
    page.get_by_role("button", name="Save visit").click()


def test_todays_visits_in_time_order_on_a_fresh_tablet(e2e_db, browser, live_server):
    journey, _ = inspection_ready(properties=2)
    first, second = journey.case.properties
    e2e_db.session.commit()
    today = clock.today()

    commissioner_context, commissioner = person(browser, live_server)
    inspector_context, tablet = person(browser, live_server, viewport=TABLET, has_touch=True)
    try:
        sign_in(commissioner, journey.commissioner.email, TEST_PASSWORD)
        commissioner.goto(f"/cases/{journey.case.id}")
        looks_right(commissioner)

        # A time nobody can read is refused, naming the field, and nothing is planned.
        plan_visit(commissioner, first.home.name, today, "half nine")
        summary = commissioner.locator(".govuk-error-summary")
        expect(summary).to_contain_text("Enter the time as, for example, 9:30am or 14:30")
        summary.get_by_role("link", name="Enter the time").click()
        expect(commissioner.get_by_label("Start time")).to_be_focused()
        looks_right(commissioner, after_sending=True)
        commissioner.get_by_label("Start time").fill("2pm")
        commissioner.get_by_role("button", name="Save visit").click()
        expect(commissioner.get_by_text(f"{first.home.name}: visit planned for")).to_be_visible()
        looks_right(commissioner, after_sending=True)

        plan_visit(commissioner, second.home.name, today, "9.30am", "45")
        expect(commissioner.get_by_text(f"{second.home.name}: visit planned for")).to_be_visible()
        table = commissioner.locator("table").filter(has_text=first.home.name).inner_text()
        assert f"{today.strftime('%A %-d %B %Y')}, 2pm" in table
        assert f"{today.strftime('%A %-d %B %Y')}, 9:30am, about 45 minutes" in table

        sign_in(tablet, journey.inspector.email, TEST_PASSWORD)
        tablet.goto("/inspections/")
        expect(tablet.get_by_role("heading", name=f"Today, {today.strftime('%A %-d %B %Y')}")
               ).to_be_visible()
        visits = tablet.locator("[data-today] > li")
        expect(visits).to_have_count(2)
        morning, afternoon = visits.nth(0), visits.nth(1)
        expect(morning).to_contain_text("9:30am")
        expect(morning).to_contain_text(second.home.name)
        expect(morning).to_contain_text(", ".join(second.home.address_lines))
        expect(afternoon).to_contain_text("2pm")
        expect(afternoon).to_contain_text(first.home.name)

        maps = morning.get_by_role(
            "link", name=f"Open in maps for {second.home.name} on OpenStreetMap (opens in new tab)")
        expect(maps).to_have_attribute("target", "_blank")
        href = maps.get_attribute("href")
        assert href.startswith("https://www.openstreetmap.org/search?")
        assert parse_qs(urlsplit(href).query)["query"] == [", ".join(second.home.address_lines)]
        looks_right(tablet)

        # Kept on the tablet: without signal the day's plan is still there, in order.
        expect(tablet.locator("[data-offline-note]")).to_contain_text("saved on this tablet",
                                                                      timeout=20_000)
        inspector_context.set_offline(True)
        tablet.reload()
        visits = tablet.locator("[data-today] > li")
        expect(visits).to_have_count(2)
        expect(visits.nth(0)).to_contain_text(second.home.name)
        expect(visits.nth(1)).to_contain_text(first.home.name)
        inspector_context.set_offline(False)
    finally:
        commissioner_context.close()
        inspector_context.close()


def test_an_inspector_makes_a_calendar_link_with_the_addresses(e2e_db, browser, live_server):
    journey, link = inspection_ready(properties=1)
    today = clock.today()
    schedule(journey.commissioner, link, visit_on=today, starts=time(11), minutes=None)
    e2e_db.session.commit()
    context, page = person(browser, live_server)
    try:
        sign_in(page, journey.inspector.email, TEST_PASSWORD)
        page.goto("/account")
        looks_right(page)
        page.get_by_role("checkbox", name="Include the properties' addresses in my calendar"
                         ).check()
        page.get_by_role("button", name="Make a calendar link").click()
        expect(page.get_by_role("heading", name="Your calendar link")).to_be_visible()
        looks_right(page, after_sending=True)
        address = page.locator("#calendar-link").inner_text()
        feed = page.request.get(urlsplit(address).path)
        assert feed.status == 200
        text = feed.text()
        assert f"SUMMARY:Inspection: {link.home.name}" in text
        assert link.home.postcode in text.replace("\r\n ", "")

        page.get_by_role("button", name="I have added the link – continue").click()
        page.get_by_role("button", name="Withdraw the calendar link").click()
        expect(page.get_by_text("Your calendar link has been withdrawn")).to_be_visible()
        looks_right(page, after_sending=True)
        assert page.request.get(urlsplit(address).path).status == 404
    finally:
        context.close()
