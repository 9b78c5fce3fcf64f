"""Through the browser: a provider asks to change an accredited property, a commissioner
decides, and the register keeps showing what was inspected until they approve."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ..cases.journey import Journey
from ..factories import TEST_PASSWORD, publish_first_checklists
from .conftest import sign_in
from .test_accessibility import serious_violations

MARKUP = re.compile(r"<\s*/?\s*[a-z][a-z0-9]*[\s>/]", re.IGNORECASE)


def person(browser, live_server):
    """A fresh browser (axe may be added to its pages)."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True,
                                  viewport={"width": 1024, "height": 1366})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def looks_right(page) -> None:
    """What a person sees: no markup as text, no serious accessibility failure."""
    text = page.inner_text("main")
    assert not MARKUP.search(text), text
    assert serious_violations(page) == []


def test_a_change_to_an_accredited_property_waits_for_a_commissioner(
        e2e_db, browser, live_server):
    publish_first_checklists()
    journey = Journey(properties=1, staff_files=5, young_people_files=1)
    journey.all_the_way()
    home = journey.organisation.properties[0]
    beds = home.bed_spaces
    e2e_db.session.commit()

    provider_context, provider = person(browser, live_server)
    commissioner_context, commissioner = person(browser, live_server)
    try:
        sign_in(provider, journey.provider.email, TEST_PASSWORD)
        provider.goto(f"/provider/properties/{home.id}")
        provider.click("a:has-text('Change')")
        expect(provider.locator("#accredited-notice")).to_be_visible()
        looks_right(provider)
        provider.fill("#bed_spaces", str(beds + 4))
        provider.click("button:has-text('Save property')")
        provider.wait_for_selector("text=Your change is waiting for approval")
        looks_right(provider)
        assert provider.is_visible("text=has been sent to the commissioning team")

        sign_in(commissioner, journey.commissioner.email, TEST_PASSWORD)
        commissioner.goto("/commissioner/")
        commissioner.click("a:has-text('Property changes to decide')")
        looks_right(commissioner)
        commissioner.click(f"#pending-changes a:has-text('{home.name}')")
        looks_right(commissioner)
        commissioner.check("input[name='decision'][value='refuse']")
        commissioner.click("button:has-text('Save decision')")
        summary = commissioner.locator(".govuk-error-summary")
        summary.wait_for()
        assert "Enter why the change is not approved" in summary.inner_text()
        looks_right(commissioner)
        commissioner.fill("#reasons", "More bed spaces need an inspection: add them to your "
                                      "next application.")
        commissioner.click("button:has-text('Save decision')")
        commissioner.wait_for_selector("text=is not approved")

        provider.reload()
        provider.wait_for_selector("text=Your change was not approved")
        assert provider.is_visible("text=More bed spaces need an inspection")
        assert provider.locator("dd", has_text=str(beds)).count() >= 1
        looks_right(provider)
    finally:
        provider_context.close()
        commissioner_context.close()
