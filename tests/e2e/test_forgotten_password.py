"""Through the browser, on the demo data: a provider who has forgotten their password asks for a
link, reads it in the e-mail the demo prints, chooses a new password and signs in with it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accreditation import demo
from accreditation.extensions import db

from ..conftest import reset_database

PROVIDER = "provider@demo.example.org"
NEW_PASSWORD = "three unrelated words and a river"
LINK = re.compile(r"https?://[^/\s]+(/reset-password/\S+)")


@pytest.fixture
def demo_site(e2e_app, live_server):
    """The demo consortium, loaded as ``make demo`` loads it, on the live server's database."""
    live_server.wait_until_idle()
    with e2e_app.app_context():
        reset_database()
        demo.load()
        db.session.commit()
        db.session.remove()
    yield live_server
    live_server.wait_until_idle()


def printed_emails(app) -> str:
    """What ``accreditation notifications send`` prints on the demo (no SMTP host)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["notifications", "send"])
        db.session.remove()
    assert result.exit_code == 0, result.output
    return result.output


def test_a_provider_resets_a_forgotten_password_and_signs_in(demo_site, e2e_app, new_page):
    page = new_page()
    page.goto("/sign-in")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("Email address").fill(PROVIDER)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert "If an account exists for the address you gave" in page.inner_text("main")

    demo_site.wait_until_idle()
    printed = printed_emails(e2e_app)
    assert f"To: {PROVIDER}" in printed
    (link,) = LINK.findall(printed)

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password").fill("too short")
    page.get_by_label("Confirm password").fill("too short")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Password must be between")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "Your password has been changed" in page.inner_text("main")

    page.get_by_label("Email address").fill(PROVIDER)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter a correct email address and password")
    page.get_by_label("Email address").fill(PROVIDER)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()

    # The link worked once; the e-mail saying the password changed was printed too.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    demo_site.wait_until_idle()
    assert "Your password for" in printed_emails(e2e_app)
