"""The sign-out warning in a real browser (WCAG 2.2.1): it comes two minutes before an idle
session ends, 'Stay signed in' keeps the session going, and doing nothing ends it. The page's
clock is Playwright's, so half an hour passes in a moment."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..factories import TEST_PASSWORD, UserFactory
from .conftest import screenshot, sign_in
from .test_accessibility import serious_violations


@pytest.fixture
def checked_page(browser, live_server):
    """A page that axe can be added to (the service's CSP allows no inline script)."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_warning_comes_before_an_idle_sign_out_and_staying_keeps_the_session(e2e_db,
                                                                              checked_page):
    user = UserFactory(social_worker=True, full_name="Sam Worker")
    e2e_db.session.commit()
    page = checked_page
    page.clock.install()
    sign_in(page, user.email, TEST_PASSWORD)
    page.goto("/register/")
    dialog = page.locator("dialog[data-session-timeout]")
    expect(dialog).to_be_hidden()

    page.clock.fast_forward("27:00")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("01:00")  # two minutes before the 30 are up
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("you will be signed out in 2 minutes because you have not")
    expect(page.locator("[data-session-timeout-problem]")).to_be_hidden()
    expect(page.locator("[data-session-timeout-stay]")).to_be_focused()
    assert serious_violations(page) == []  # the open dialog too meets WCAG 2.2 AA
    screenshot(page, "session-timeout-warning")

    with page.expect_response("**/session/keep-alive") as answer:
        page.click("text=Stay signed in")
    assert answer.value.status == 200
    expect(dialog).to_be_hidden()
    # The page's forms now carry the fresh token that came back: they can still be sent later.
    fresh = answer.value.json()["csrf_token"]
    assert page.locator("form.app-sign-out input[name=csrf_token]").input_value() == fresh
    # The count starts again from what the server said.
    page.clock.fast_forward("27:00")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("01:00")
    expect(dialog).to_be_visible()

    # Nobody answers: when the time is up the page is asked for again, and the server (whose
    # clock has not moved here) decides whether the session has ended.
    with page.expect_navigation():
        page.clock.fast_forward("02:00")
    expect(page.locator("text=Signed in as Sam Worker")).to_be_visible()


def test_escape_also_keeps_the_session_and_other_tabs_hear_of_it(e2e_db, new_page):
    user = UserFactory(provider=True)
    e2e_db.session.commit()
    page = new_page()
    page.clock.install()
    sign_in(page, user.email, TEST_PASSWORD)
    other_tab = page.context.new_page()
    other_tab.goto("/provider/")
    dialog = page.locator("dialog[data-session-timeout]")
    page.clock.fast_forward("28:30")
    expect(dialog).to_be_visible()
    with page.expect_response("**/session/keep-alive"):
        page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # The other tab was told the session goes on: it does not warn at its old time.
    other_tab.clock.fast_forward("01:00")
    expect(other_tab.locator("dialog[data-session-timeout]")).to_be_hidden()


def test_offline_the_warning_says_so_and_the_page_stays(e2e_db, new_page):
    """A tablet without a connection cannot keep the session going: the warning says so, can
    be closed, and when the time is up the page stays where it is (answers wait on the
    tablet until its person signs in again)."""
    user = UserFactory(provider=True)
    e2e_db.session.commit()
    page = new_page()
    page.clock.install()
    sign_in(page, user.email, TEST_PASSWORD)
    dialog = page.locator("dialog[data-session-timeout]")
    page.context.set_offline(True)
    page.clock.fast_forward("28:00")
    expect(dialog).to_be_visible()
    page.click("text=Stay signed in")
    expect(page.locator("[data-session-timeout-problem]")).to_be_visible()
    page.click("[data-session-timeout-close]")
    expect(dialog).to_be_hidden()
    page.evaluate("window.stillThisPage = true")  # a reload would forget it
    page.clock.fast_forward("03:00")  # past the end: no reload while offline
    page.wait_for_timeout(300)
    assert page.evaluate("window.stillThisPage === true")
    expect(page.locator("text=Signed in as")).to_be_visible()
