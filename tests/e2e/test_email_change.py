"""Through the browser: a provider changes their e-mail address from their account page, as a
person does: a wrong password first, then the right one; the link is opened in another browser
(wherever the new inbox is read); the old address no longer signs in, the new one does."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from accreditation.notifications.outbox import OutboxMessage

from ..factories import TEST_PASSWORD, UserFactory
from .conftest import sign_in
from .seams import page_problems
from .test_accessibility import serious_violations

OLD, NEW = "ada@albion.example.org", "ada.new@albion.example.org"
LINK = re.compile(r"https?://[^/\s]+(/account/email/confirm/\S+)")


def newest_link(db, address: str) -> str:
    db.session.commit()  # see what the live server committed
    body = db.session.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.recipient == address).order_by(OutboxMessage.id.desc())).first()
    (path,) = LINK.findall(body)
    return path


def checked(page) -> str:
    """The page's main text, once nothing on it is markup, an unasked-for error or an axe
    violation."""
    assert page_problems(page) == []
    assert serious_violations(page) == []
    return page.inner_text("main")


def fresh_page(browser, live_server):
    # The CSP forbids injected scripts, as it should; this context lets axe in, for the test.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_a_provider_changes_their_email_address_in_the_browser(e2e_db, browser, live_server):
    UserFactory(provider=True, email=OLD)
    e2e_db.session.commit()
    laptop, page = fresh_page(browser, live_server)
    phone, inbox = fresh_page(browser, live_server)
    try:
        sign_in(page, OLD, TEST_PASSWORD)
        page.goto("/account")
        checked(page)
        page.get_by_role("link", name="Change email address").click()
        expect(page.get_by_role("heading", name="Change your email address")).to_be_visible()
        assert OLD in checked(page)

        page.get_by_label("New email address").fill(NEW)
        page.get_by_label("Your password").fill("not my password at all")
        page.get_by_role("button", name="Send a confirmation link").click()
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Your password is not correct")
        summary.get_by_role("link", name="Your password is not correct").click()
        expect(page.get_by_label("Your password")).to_be_focused()
        expect(page.get_by_label("New email address")).to_have_value(NEW)  # kept as typed
        assert serious_violations(page) == []

        page.get_by_label("Your password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Send a confirmation link").click()
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
        assert f"We have sent an email to {NEW}" in checked(page)

        inbox.goto(newest_link(e2e_db, NEW))
        expect(inbox.get_by_role("heading", name="Confirm your new email address")).to_be_visible()
        assert NEW in checked(inbox)
        inbox.get_by_role("button", name="Confirm my new email address").click()
        expect(inbox.get_by_role("heading", name="Sign in")).to_be_visible()
        assert f"Your email address is now {NEW}" in checked(inbox)

        inbox.get_by_label("Email address").fill(OLD)
        inbox.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        inbox.get_by_role("button", name="Sign in").click()
        expect(inbox.locator(".govuk-error-summary")).to_contain_text(
            "Enter a correct email address and password")
        inbox.get_by_label("Email address").fill(NEW)
        inbox.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        inbox.get_by_role("button", name="Sign in").click()
        expect(inbox.get_by_text("Signed in as")).to_be_visible()

        page.reload()  # the laptop's session carries on, with the new address shown
        assert NEW in checked(page)
    finally:
        laptop.close()
        phone.close()
