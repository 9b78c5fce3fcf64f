"""WCAG 2.2 AA on the inspector's tablet pages and the sign-out warnings, as a person using a
keyboard, a screen reader or a zoomed-in browser meets them."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from ..factories import TEST_PASSWORD, UserFactory
from .conftest import sign_in
from .inspection_helpers import TABLET, answer, answers_for, inspection_ready, open_inspection

# Where the focused control sits against the sticky status line: [overlap in px, what, where].
FOCUS_UNDER_BAR = """() => {
  const bar = document.querySelector("[data-sync-status]");
  const focused = document.activeElement;
  if (!bar || bar.hidden || !focused || focused === document.body) return null;
  const b = bar.getBoundingClientRect();
  const f = focused.getBoundingClientRect();
  const sticky = getComputedStyle(bar).position === "sticky" && b.top <= 0.5;
  if (!sticky || f.height === 0) return [0, focused.id || focused.textContent.trim().slice(0, 40)];
  const overlap = Math.max(0, Math.min(b.bottom, f.bottom) - Math.max(b.top, f.top));
  return [overlap, focused.id || focused.name || focused.textContent.trim().slice(0, 40), f.top];
}"""


@pytest.fixture
def ready(e2e_db):
    journey, link = inspection_ready()
    e2e_db.session.commit()
    return journey, link


# A phone held upright, and a 1280 x 800 screen zoomed to 200%.
@pytest.mark.parametrize("viewport", [(320, 640), (640, 400), TABLET])
def test_the_status_line_never_hides_the_focused_control(ready, new_page, viewport):
    journey, link = ready
    page = new_page(viewport=viewport, has_touch=False)
    open_inspection(page, journey, link)
    page.locator("[data-sync-status]").wait_for()
    page.mouse.wheel(0, 2000)  # the bar is stuck to the top of the screen
    page.locator(f"#item-{next(iter(answers_for(link)))}").scroll_into_view_if_needed()
    page.locator("h1").focus()
    hidden = []
    for key in ["Tab"] * 60 + ["Shift+Tab"] * 60:  # down the page, then back up it
        page.keyboard.press(key)
        where = page.evaluate(FOCUS_UNDER_BAR)
        if where and where[0] > 0:
            hidden.append((key, *where))
    assert hidden == []


def test_each_note_and_photo_field_is_named_after_its_question(ready, new_page):
    journey, link = ready
    page = new_page(viewport=TABLET)
    open_inspection(page, journey, link)
    tree = page.locator("main").aria_snapshot()
    names = Counter(re.findall(r'(?:textbox|button) "([^"]*)"', tree))
    repeated = {name: count for name, count in names.items() if count > 1}
    assert repeated == {}
    assert any(name.startswith("Note") and "(optional)" in name and len(name) > 20
               for name in names)


def test_the_status_line_speaks_only_when_something_changes_in_uk_time(ready, new_page):
    journey, link = ready
    page = new_page(viewport=TABLET)
    page.clock.install()
    open_inspection(page, journey, link)
    item, value = next(iter(answers_for(link).items()))
    answer(page, item, value)
    status = page.locator("[data-sync-text]")
    expect(status).to_contain_text("Everything you entered has been sent.")
    expect(status).to_have_text(re.compile(r"Last sent at (1[0-2]|[1-9]):[0-5]\d(am|pm)\."))
    page.evaluate("""() => {
      window.spoken = [];
      new MutationObserver(() => window.spoken.push(document.querySelector("[data-sync-text]")
        .textContent)).observe(document.querySelector("[role=status]"),
                               {childList: true, characterData: true, subtree: true});
    }""")
    for _ in range(4):  # two minutes of the outbox checking every 30 seconds
        page.clock.run_for("00:31")
        page.wait_for_timeout(300)
    assert page.evaluate("window.spoken") == []


def test_focus_goes_back_to_sign_out_after_staying_signed_in(ready, new_page):
    journey, link = ready
    page = new_page(viewport=TABLET)
    open_inspection(page, journey, link)
    page.route("**/api/v1/inspections/*/answers", lambda route: route.abort())
    item, value = next(iter(answers_for(link).items()))
    answer(page, item, value)
    page.wait_for_selector("[data-sync-status][data-pending='1']", state="attached")
    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Enter")
    stay = page.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_visible()
    stay.focus()
    page.keyboard.press("Enter")
    expect(stay).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_focused()


def test_the_sign_out_warning_shows_only_the_buttons_it_offers(e2e_db, new_page):
    user = UserFactory(social_worker=True)
    e2e_db.session.commit()
    page = new_page(viewport=(1024, 768))
    page.clock.install()
    sign_in(page, user.email, TEST_PASSWORD)
    page.goto("/register/")
    page.clock.fast_forward("28:00")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_visible()
    expect(dialog.get_by_role("button", name="Sign out")).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_hidden()
    assert "Close" not in dialog.inner_text()


def test_the_vacancies_box_on_a_property_page_is_labelled(ready, new_page):
    journey, _ = ready
    page = new_page(viewport=(1024, 768))
    sign_in(page, journey.provider.email, TEST_PASSWORD)
    page.goto(f"/provider/properties/{journey.case.properties[0].property_id}")
    box = page.get_by_label(re.compile(r"How many vacancies does .* have now\?"))
    expect(box).to_be_editable()
    box.fill("1")
    page.get_by_role("button", name="Save vacancies").click()
    expect(page.locator("main")).to_contain_text("1 of")
