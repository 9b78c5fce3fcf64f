"""Through the browser: a commissioner raises the property inspection standard in the
service, a second commissioner approves and publishes it, and a provider who would fall short
sees it at once in "Coming standards" and has been e-mailed."""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from accreditation import clock
from accreditation.notifications.outbox import OutboxMessage

from ..factories import TEST_PASSWORD, PropertyFactory, UserFactory, publish_first_checklists
from ..standards.test_assessments_and_impact import good_answers, inspect
from .conftest import sign_in
from .test_accredited_property_change import looks_right, person

# After version 1's last step (5 July 2027): a new step is added after it.
TODAY = date(2027, 7, 20)
SIX_WEEKS_AHEAD = TODAY + timedelta(weeks=6)


def test_a_commissioner_raises_the_standard_and_a_second_one_publishes_it(
        e2e_db, browser, live_server):
    with clock.pretend(TODAY):
        publish_first_checklists()
        author = UserFactory(commissioner=True, full_name="Priya Shah")
        approver = UserFactory(commissioner=True, full_name="Tom Okafor")
        weak = PropertyFactory(name="Albion House")
        provider = UserFactory(provider=True, organisation=weak.organisation)
        inspect(weak, good_answers("single_occupancy", random.Random(3), 0.8),
                on=date(2026, 11, 2))
        e2e_db.session.commit()
        when = f"{SIX_WEEKS_AHEAD:%-d %B %Y}"

        context, page = person(browser, live_server)
        try:
            sign_in(page, author.email, TEST_PASSWORD)
            page.goto("/commissioner/checklists")
            looks_right(page)
            page.get_by_role("radio", name="A copy of property inspection version 1").check()
            page.get_by_role("button", name="Start a draft").click()
            page.get_by_role("heading", name="Property inspection – draft version 2").wait_for()
            assert "Nothing: it is the same as version 1" in page.inner_text("main")
            looks_right(page)
            # The forms for an item and a section, as a commissioner would open them.
            page.locator("#draft-sections ~ div a:has-text('Change')").nth(1).click()
            page.get_by_role("heading", name="Change the item").wait_for()
            assert "it does not change" in page.inner_text("main")
            looks_right(page)
            page.get_by_role("link", name="Back to the draft").click()
            page.get_by_role("link", name="Add a section").click()
            page.get_by_role("heading", name="Add a section").wait_for()
            looks_right(page)
            page.get_by_role("link", name="Back to the draft").click()

            page.get_by_role("link", name="Add a step").click()
            page.get_by_role("heading", name="Add a step").wait_for()
            looks_right(page)
            page.get_by_label("Day", exact=True).fill(str(SIX_WEEKS_AHEAD.day))
            page.get_by_label("Month", exact=True).fill(str(SIX_WEEKS_AHEAD.month))
            page.get_by_label("Year", exact=True).fill(str(SIX_WEEKS_AHEAD.year))
            page.get_by_label("Pass mark (%)").fill("90")
            page.get_by_role("button", name="Save").click()
            page.get_by_role("heading", name="What changes").wait_for()
            main = page.inner_text("main")
            assert f"The step from {when} is added (pass mark 90%)" in main
            assert "There is a problem" not in main
            looks_right(page)

            page.get_by_role("link", name=f"Preview impact of the step from {when}").click()
            page.get_by_role("heading", name=f"Impact of the step from {when}").wait_for()
            assert "Would fall below this step" in page.inner_text("main")
            looks_right(page)
            page.get_by_role("link", name="Back to the draft").click()

            page.get_by_role("button", name="Submit for approval").click()
            page.get_by_text("Submitted for approval.").wait_for()
            assert "Approve and publish" not in page.inner_text("main")
            looks_right(page)
        finally:
            context.close()

        context, page = person(browser, live_server)
        try:
            sign_in(page, approver.email, TEST_PASSWORD)
            page.goto("/commissioner/checklists")
            page.get_by_role("link", name="Property inspection – version 2").click()
            page.get_by_role("heading", name="Property inspection – draft version 2").wait_for()
            assert f"The step from {when} is added" in page.inner_text("main")
            looks_right(page)
            page.get_by_role("button", name="Approve and publish").click()
            page.get_by_text("Approved and published property inspection version 2").wait_for()
            assert "Property inspection – version 2" in page.inner_text("main")
            looks_right(page)
        finally:
            context.close()

        context, page = person(browser, live_server)
        try:
            sign_in(page, provider.email, TEST_PASSWORD)
            page.goto("/provider/gap-report")
            page.get_by_role("heading", name="Albion House").wait_for()
            main = page.inner_text("main")
            assert "Would not meet this step" in main
            assert f"step (version 2) from {when}" in main
            looks_right(page)
        finally:
            context.close()

        e2e_db.session.rollback()
        mail = e2e_db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == provider.email)).all()
        assert len(mail) == 1
        assert "/provider/gap-report" in mail[0].body
        assert when in mail[0].subject
