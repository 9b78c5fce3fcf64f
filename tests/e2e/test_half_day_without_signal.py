"""An inspector's half day in a building without signal, played whole on fresh tablets.

A property is re-inspected a year after a visit where its heating failed. The inspector
prepares as the documentation says (signs in on a fresh tablet and waits on *Your
inspections* until it says the inspection is saved), loses the signal, answers and
photographs every item; meanwhile a colleague's tablet, online, answers two of the same items
differently. The inspector signs out without signal, signs in again once the signal is back,
settles one disagreement each way, has the provider's representative sign, and submits. Every
answer on the service is the one the inspector chose, given once, and the report shows the
repeat finding and the signature. Each page on the way is checked with axe and for what a
person would notice is wrong."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from accreditation.audit import AuditEvent
from accreditation.evidence.models import Evidence
from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.stages.models import ChangeLogEntry

from ..cases.journey import Journey
from ..factories import TEST_PASSWORD, publish_first_checklists
from ..stages.reinspection import reinspection
from .conftest import screenshot, sign_in
from .inspection_helpers import (
    TABLET,
    answer,
    answers_for,
    eventually,
    jpeg,
    open_inspection,
    server_counts,
    wait_until_sent,
)
from .seams import page_problems
from .test_accessibility import serious_violations
from .test_inspector_day_offline import prepare_as_documented
from .test_photos_and_acknowledgement import drag

# Answered on both tablets: the colleague's answer arrives first. The inspector keeps the
# colleague's answer for the first and their own for the second.
BOTH = {"manager_named": ("yes", "no"), "fire_risk_assessment": ("yes", "no")}
CHOSEN = {"manager_named": "no", "fire_risk_assessment": "yes"}
STILL_FAILING = {"heating": "no"}  # failed last year too: a repeat finding


@pytest.fixture
def reinspected(e2e_db):
    publish_first_checklists()
    journey = Journey(properties=1, staff_files=5, young_people_files=1)
    link = reinspection(journey, on_tablet=False)
    e2e_db.session.commit()
    return journey, link


def looks_right(page, name: str, *, after_sending: bool = False) -> None:
    problems = serious_violations(page) + page_problems(page, after_sending=after_sending)
    assert problems == [], f"{name}: {problems}"


def test_a_half_day_without_signal_loses_nothing_and_counts_each_answer_once(
        reinspected, new_page):
    journey, link = reinspected
    chosen = {**answers_for(link), **STILL_FAILING, **CHOSEN}
    photo_items = [item.id for item in inspection_drafts.checklist_for(link)[1]
                   if item.photo_required]
    assert photo_items

    # Preparing as the documentation says, on a fresh tablet with a connection.
    mine = new_page(viewport=TABLET, for_axe=True)  # a fresh tablet
    prepare_as_documented(mine, journey, "1 inspection saved on this tablet")
    looks_right(mine, "your inspections")

    # In the building: no signal. The saved inspection opens and takes every answer.
    mine.context.set_offline(True)
    mine.click(f"a:has-text('{link.home.name}')")
    mine.wait_for_selector(f"[data-inspection='{link.id}']")
    expect(mine.get_by_role("heading", name="You are offline")).to_have_count(0)
    expect(mine.get_by_role("heading", name="To check again")).to_be_visible()
    expect(mine.locator("#item-heating")).to_contain_text("Failed last time")
    looks_right(mine, "the checklist, offline")
    for item_id, value in chosen.items():
        answer(mine, item_id, BOTH[item_id][0] if item_id in BOTH else value)
    mine.fill("#heating-note", "Radiators still cold in two bedrooms.")
    mine.locator("#heating-note").blur()
    for number, item_id in enumerate(photo_items):
        mine.locator(f"#item-{item_id}").get_by_label(
            re.compile(r"^Photo \(required for this item\)")).set_input_files(
            files=[jpeg(colour=("teal", "olive", "navy", "maroon")[number % 4])])
        expect(mine.locator(f"#item-{item_id} li:visible img.app-photo")).to_have_count(1)
    expect(mine.locator("[data-sync-status]")).to_contain_text("You are offline")
    assert server_counts(link)["drafts"] == 0
    screenshot(mine, "half-day-offline")

    # A colleague's tablet, with signal, answers two of the same items first.
    theirs = new_page(viewport=TABLET)
    open_inspection(theirs, journey, link)
    for item_id, (_, value) in BOTH.items():
        answer(theirs, item_id, value)
    wait_until_sent(theirs)
    assert eventually(lambda: server_counts(link)["drafts"] == len(BOTH))
    theirs.context.close()

    # Signing out without signal: signed out on the tablet, nothing unsent is lost.
    mine.click(".app-sign-out button")
    expect(mine.locator("[data-sign-out-warning]")).to_contain_text("not been sent yet")
    mine.click("button:has-text('Sign out anyway')")
    expect(mine.get_by_role("heading", name="You have signed out on this tablet")) \
        .to_be_visible()
    looks_right(mine, "signed out on this tablet")
    signed_out = sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "auth.signed_out", AuditEvent.actor_id == journey.inspector.id)
    db.session.commit()
    assert db.session.scalar(signed_out) == 0

    # The signal comes back: the service ends the session; signing in again sends the rest.
    mine.context.set_offline(False)
    mine.wait_for_url("**/inspections/signed-out")
    db.session.commit()
    assert db.session.scalar(signed_out) == 1
    sign_in(mine, journey.inspector.email, TEST_PASSWORD)
    mine.goto(f"/inspections/{link.id}")
    mine.wait_for_selector(f"[data-inspection='{link.id}']")
    wait_until_sent(mine, timeout=60_000)
    assert eventually(lambda: server_counts(link)["conflicts"] == len(BOTH))
    mine.reload()
    mine.wait_for_selector(f"[data-inspection='{link.id}']")
    expect(mine.locator("[data-sync-status]")).to_contain_text(
        "2 answers changed on another device")
    looks_right(mine, "answers changed on another device")
    screenshot(mine, "half-day-conflicts")

    # One settled each way; the next edit keeps what was chosen.
    mine.click("#item-manager_named button:has-text('Keep this one')")
    mine.wait_for_selector("text=The other device's answer was kept")
    mine.click("#item-fire_risk_assessment button:has-text('Keep yours')")
    mine.wait_for_selector("text=Your answer was kept")
    mine.fill("#manager_named-note", "Named on the notice board, not in the handbook.")
    mine.locator("#manager_named-note").blur()
    wait_until_sent(mine)
    assert "changed on another device" not in mine.inner_text("[data-sync-status]")
    for item_id, value in CHOSEN.items():
        expect(mine.locator(f"#item-{item_id} input[value='{value}']")).to_be_checked()

    # The provider's representative signs; the inspection is submitted.
    mine.get_by_role("link", name="Check answers and submit").first.click()
    mine.wait_for_selector("text=Check your answers before submitting")
    expect(mine.locator("[data-repeat-findings]")).to_contain_text("Repeat findings (1)")
    looks_right(mine, "check your answers")
    mine.get_by_role("link", name="Ask the provider's representative to sign").click()
    mine.get_by_label("Name of the provider's representative").fill("Sam Patel")
    mine.get_by_label("Their role").fill("House manager")
    drag(mine, mine.locator("canvas[data-signature-pad]"),
         [(0.1, 0.6), (0.3, 0.3), (0.5, 0.7), (0.7, 0.3)], touch=True)
    expect(mine.get_by_text("Signature drawn.")).to_be_visible()
    looks_right(mine, "the acknowledgement")
    mine.get_by_role("button", name="Save the acknowledgement").click()
    mine.wait_for_selector("text=Check your answers before submitting")
    wait_until_sent(mine)
    mine.get_by_role("button", name="Submit inspection").click()
    mine.wait_for_selector("text=inspection submitted")
    looks_right(mine, "submitted", after_sending=True)

    # On the service: each answer the one chosen, each given once, one photo an item, one
    # signature.
    db.session.commit()
    db.session.refresh(link)
    assert link.assessment is not None
    assert {item: link.assessment.answers[item] for item in chosen} == chosen
    drafts = inspection_drafts.drafts_for(link)
    assert (drafts["heating"].value, drafts["heating"].note) == (
        "no", "Radiators still cold in two bedrooms.")
    once = [item for item in chosen if item not in BOTH and item != "heating"]
    assert {item: drafts[item].revision for item in once} == dict.fromkeys(once, 1)
    sent = db.session.scalars(
        sa.select(ChangeLogEntry.item_id).where(ChangeLogEntry.case_property_id == link.id,
                                                ChangeLogEntry.item_id.in_(once))).all()
    assert sorted(sent) == sorted(once)
    photos = db.session.scalars(sa.select(Evidence.item_id).where(
        Evidence.case_id == link.case_id, Evidence.property_id == link.property_id,
        Evidence.item_id.is_not(None), Evidence.withdrawn_at.is_(None))).all()
    assert sorted(photos) == sorted(photo_items)
    signed = inspection_drafts.acknowledgement_for(link)
    assert (signed.name, signed.role, signed.declined) == ("Sam Patel", "House manager", False)

    # The report shows the repeat finding and the signature.
    mine.goto(f"/cases/{journey.case.id}/properties/{link.id}/report")
    expect(mine.locator("[data-repeat-findings]")).to_contain_text(
        "1 repeat finding: this item also failed at the previous inspection")
    expect(mine.locator("tr", has_text="Repeat finding")).to_contain_text("Heating")
    signature = mine.get_by_role("img", name=re.compile(r"^Signature of Sam Patel, House manager"))
    expect(signature).to_be_visible()
    assert signature.evaluate("image => image.complete && image.naturalWidth > 0")
    looks_right(mine, "the report")
    screenshot(mine, "half-day-report")
