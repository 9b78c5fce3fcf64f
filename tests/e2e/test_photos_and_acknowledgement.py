"""Through Debian's Chromium at an iPad's size, with touch: on a fresh tablet without signal, an
inspector photographs an item, sees the thumbnails, removes one, marks another up (an arrow with
the mouse, a circle with a finger), and the provider's representative signs for the findings on
the canvas; back online, everything arrives once, and the report shows the signature. Every page
visited is checked with axe (WCAG 2.2 AA)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from accreditation.evidence.models import Evidence
from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.stages.models import InspectionAcknowledgement

from ..cases.journey import photograph_required_items
from .conftest import screenshot
from .inspection_helpers import (
    TABLET,
    answers_for,
    eventually,
    inspection_ready,
    jpeg,
    open_inspection,
    wait_until_sent,
)
from .seams import page_problems
from .test_accessibility import serious_violations

OUTBOX = "/static/js/inspector/outbox.mjs"


@pytest.fixture
def ready(e2e_db):
    return inspection_ready()


@pytest.fixture
def tablet(browser, live_server):
    """A fresh tablet (axe may be added to its pages: the CSP is bypassed for the test only)."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, has_touch=True,
                                  viewport={"width": TABLET[0], "height": TABLET[1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def assert_fine(page, name: str, after_sending: bool = False) -> None:
    problems = serious_violations(page) + page_problems(page, after_sending=after_sending)
    assert problems == [], f"{name}: {problems}"


def drag(page, canvas, points, touch: bool = False) -> None:
    """Draw through ``points`` (fractions of the canvas) with the mouse, or with a finger."""
    box = canvas.bounding_box()
    at = [(box["x"] + box["width"] * x, box["y"] + box["height"] * y) for x, y in points]
    if not touch:
        page.mouse.move(*at[0])
        page.mouse.down()
        for point in at[1:]:
            page.mouse.move(*point, steps=4)
        page.mouse.up()
        return
    # A finger on the touch screen, as the browser's input (it makes the pointer events).
    cdp = page.context.new_cdp_session(page)
    touch_at = lambda x, y: [{"x": x, "y": y, "id": 1}]  # noqa: E731
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": touch_at(*at[0])})
    for x, y in at[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": touch_at(x, y)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def photos_on_server(link) -> list[Evidence]:
    db.session.commit()  # a new transaction sees what the live server committed since
    return list(db.session.scalars(sa.select(Evidence).where(
        Evidence.case_id == link.case_id, Evidence.item_id.is_not(None)).order_by(Evidence.id)))


def acknowledgements(link) -> list[InspectionAcknowledgement]:
    db.session.commit()
    return list(db.session.scalars(sa.select(InspectionAcknowledgement).where(
        InspectionAcknowledgement.case_property_id == link.id)))


def test_photos_and_the_acknowledgement_offline_arrive_once(ready, tablet):
    journey, link = ready
    page = tablet
    item = next(item for item in inspection_drafts.checklist_for(link)[1] if item.photo_required)
    open_inspection(page, journey, link)
    assert_fine(page, "checklist")

    page.context.set_offline(True)
    form = page.locator(f"#item-{item.id}")
    form.get_by_label(re.compile(r"^Photo \(required for this item\)")).set_input_files(
        files=[jpeg(colour="teal"), jpeg(colour="navy"), jpeg(colour="olive")])
    thumbnails = form.locator("li:visible img.app-photo")
    expect(thumbnails).to_have_count(3)
    for number in (1, 2, 3):
        expect(thumbnails.nth(number - 1)).to_have_attribute("alt", re.compile(
            rf"^Photo {number} of .+, taken \d{{1,2}}:\d\d[ap]m$"))
    expect(form).to_contain_text("Saved on this tablet, not sent yet.")
    assert_fine(page, "checklist with thumbnails")

    # Remove the second photo: asked first, in words.
    form.get_by_role("button", name=re.compile(r"^Remove photo 2 of ")).click()
    expect(form.get_by_text(re.compile(r"^Remove photo 2 of .+\? It will no longer count"))) \
        .to_be_visible()
    assert_fine(page, "asked to remove a photo")
    form.get_by_role("button", name="Yes, remove it").click()
    expect(thumbnails).to_have_count(2)
    expect(form.locator("[data-state]")).to_have_text("Photo removed.")

    # Mark up the first: an arrow with the mouse, a circle with a finger.
    form.get_by_role("button", name=re.compile(r"^Mark up photo 1 of ")).click()
    canvas = page.locator("canvas.app-markup__canvas")
    expect(canvas).to_be_visible()
    assert_fine(page, "marking up a photo")
    drag(page, canvas, [(0.2, 0.2), (0.4, 0.4), (0.6, 0.6)])
    page.get_by_label(re.compile("^A circle")).check()
    drag(page, canvas, [(0.5, 0.5), (0.6, 0.5), (0.7, 0.5)], touch=True)
    expect(page.get_by_text("2 marks drawn.")).to_be_visible()
    page.get_by_role("button", name="Save marked-up photo").click()
    expect(thumbnails).to_have_count(3, timeout=20_000)  # drawn again at full size: slow tablets
    expect(form.locator("[data-state]")).to_have_text("Marked-up photo saved on this tablet.")
    screenshot(page, "tablet-photos-offline")

    # The provider's representative signs, still without signal (the pages were saved).
    page.click("a:has-text('Check answers and submit') >> nth=0")
    page.get_by_role("link", name="Ask the provider's representative to sign").click()
    expect(page.get_by_role("heading", name="The provider's acknowledgement")).to_be_visible()
    assert_fine(page, "acknowledgement")
    page.get_by_role("button", name="Save the acknowledgement").click()
    # Problems shown as on every form of the service: an error summary that takes the focus,
    # each problem a link to its field, and the message beside the field.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    assert page.title().startswith("Error: ")
    expect(summary.get_by_role("link")).to_have_text([
        "Enter the name of the provider's representative", "Enter the representative's role"])
    summary.get_by_role("link", name="Enter the representative's role").click()
    expect(page.get_by_label("Their role")).to_be_focused()
    expect(page.locator("#role-error")).to_have_text("Error: Enter the representative's role")
    assert_fine(page, "acknowledgement with problems", after_sending=True)
    page.get_by_label("Name of the provider's representative").fill("Sam Patel")
    page.get_by_label("Their role").fill("House manager")
    pad = page.locator("canvas[data-signature-pad]")
    drag(page, pad, [(0.1, 0.6), (0.3, 0.3), (0.5, 0.7), (0.7, 0.3)])
    drag(page, pad, [(0.75, 0.5), (0.9, 0.5)], touch=True)
    expect(page.get_by_text("Signature drawn.")).to_be_visible()
    screenshot(page, "tablet-acknowledgement")
    page.get_by_role("button", name="Save the acknowledgement").click()
    expect(page.get_by_role("heading", name="Check your answers before submitting")) \
        .to_be_visible()
    expect(page.locator("[data-acknowledgement-status]")).to_contain_text(
        "Signed by Sam Patel, House manager. Saved on this tablet, not sent yet.")
    expect(page.locator("[data-sync-status]")).to_contain_text(
        "3 photos and the provider's acknowledgement saved on this tablet, not sent yet")
    assert_fine(page, "check answers, offline")
    assert photos_on_server(link) == [] and acknowledgements(link) == []

    # Back online: everything is sent, once.
    page.context.set_offline(False)
    wait_until_sent(page, timeout=60_000)
    photos = photos_on_server(link)
    assert len(photos) == 3, photos  # teal, olive and the marked-up copy; navy never left
    original, kept, copy = photos
    assert copy.marks_up_id == original.id and original.withdrawn_at is None
    [signed] = acknowledgements(link)
    assert (signed.name, signed.role, signed.declined) == ("Sam Patel", "House manager", False)
    assert signed.signature_png and signed.signature_png.startswith(b"\x89PNG")
    page.evaluate(f"import('{OUTBOX}').then((outbox) => outbox.sync())")
    assert len(photos_on_server(link)) == 3 and len(acknowledgements(link)) == 1

    # A photo already sent is removed too: withdrawn on the server, kept.
    page.goto(f"/inspections/{link.id}")
    form = page.locator(f"#item-{item.id}")
    expect(form.locator("li:visible img.app-photo")).to_have_count(3)
    form.get_by_role("link", name=re.compile(r"^Remove photo 2 of ")).click()
    form.get_by_role("button", name="Yes, remove it").click()
    expect(form.locator("li:visible img.app-photo")).to_have_count(2)
    wait_until_sent(page)
    assert eventually(lambda: db.session.get(Evidence, kept.id) is not None and (
        db.session.commit() or db.session.get(Evidence, kept.id).withdrawn_at is not None))
    assert len(photos_on_server(link)) == 3

    # Submitted (answers from the server's side), the report shows the signature.
    changes = [inspection_drafts.AnswerChange(client_id=f"00000000-0000-4000-8000-{n:012d}",
                                              item_id=item_id, value=value, note=None,
                                              base_revision=0)
               for n, (item_id, value) in enumerate(answers_for(link).items())]
    inspection_drafts.save_answers(journey.inspector, link, changes)
    photograph_required_items(journey.inspector, link)
    inspection_drafts.submit_inspection(journey.inspector, link)
    page.goto(f"/cases/{link.case_id}/properties/{link.id}/report")
    signature = page.get_by_role("img", name=re.compile(
        r"^Signature of Sam Patel, House manager, given on \d{1,2} \w+ \d{4} at "))
    expect(signature).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", signature.element_handle()) > 0
    assert_fine(page, "report")
    screenshot(page, "inspection-report-signature")
