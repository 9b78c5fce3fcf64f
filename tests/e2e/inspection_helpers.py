"""Helpers for the tablet inspection browser tests: an application ready for inspection, and
answering its checklist as an inspector taps it."""

from __future__ import annotations

import io
import time

import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from accreditation.evidence.models import Evidence
from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.stages.models import ChangeLogEntry, DraftAnswer

from ..cases.journey import Journey, best_answers
from ..factories import TEST_PASSWORD, publish_first_checklists
from .conftest import sign_in

TABLET = (820, 1180)  # an iPad Air in portrait


def _at_file_sampling(properties: int = 1) -> Journey:
    publish_first_checklists()
    journey = Journey(properties=properties, staff_files=5, young_people_files=1)
    journey.submit()
    journey.pass_due_diligence()
    return journey


def inspection_ready(properties: int = 1):
    """A new application at the property inspection stage; (journey, its first property)."""
    journey = _at_file_sampling(properties)
    journey.complete_file_sampling()
    db.session.commit()
    return journey, journey.case.properties[0]


def file_ready():
    """A new application at file sampling with its sample drawn; (journey, first file)."""
    from accreditation.stages.file_sampling import draw_file_samples, samples_for

    journey = _at_file_sampling()
    draw_file_samples(journey.inspector, journey.case)
    db.session.commit()
    return journey, samples_for(journey.case)[0].files[0]


def assert_answers_shown(page, answers) -> None:
    """Every (item, value) reads back on the page as given."""
    for item_id, value in answers:
        form = page.locator(f"#item-{item_id}")
        radio = form.locator(f"input[name='value'][value='{value}']")
        if radio.count():
            assert radio.is_checked(), item_id
        else:
            assert form.locator("[name='value']").input_value() == str(value), item_id


def answers_for(link) -> dict:
    """Every item's passing answer, in checklist order."""
    _, items = inspection_drafts.checklist_for(link)
    answers = best_answers("property_inspection", category=link.home.category.value)
    return {item.id: answers[item.id] for item in items if item.id in answers}


def answer(page, item_id: str, value) -> None:
    """Tap a one-tap answer, or type a number or text and move on; then wait until the tablet
    has kept it (the item says so), as a person sees the answer taken before the next one."""
    form = page.locator(f"#item-{item_id}")
    radio = form.locator(f"input[name='value'][value='{value}']")
    if radio.count():
        form.locator(f"label[for='{radio.get_attribute('id')}']").tap()
    else:
        field = form.locator("[name='value']")
        field.fill(str(value))
        field.blur()
    expect(form.locator("[data-state]")).not_to_have_text("")


def jpeg(width: int = 3000, height: int = 2000, colour: str = "teal") -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=90)
    return {"name": f"{colour}.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def wait_until_sent(page, timeout: int = 20_000) -> None:
    page.wait_for_selector("[data-sync-status][data-pending='0']", state="attached",
                           timeout=timeout)


def server_counts(link) -> dict:
    """What the server holds for this inspection, read straight from the database."""
    db.session.commit()  # a new transaction sees what the live server committed since
    count = lambda model, *where: db.session.scalar(  # noqa: E731
        sa.select(sa.func.count(model.id)).where(*where))
    return {
        "drafts": count(DraftAnswer, DraftAnswer.case_property_id == link.id),
        "changes": count(ChangeLogEntry, ChangeLogEntry.case_property_id == link.id),
        "photos": count(Evidence, Evidence.case_id == link.case_id,
                        Evidence.item_id.is_not(None)),
        "conflicts": len(inspection_drafts.open_conflicts(link)),
    }


def eventually(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def open_inspection(page, journey, link, inspector=None) -> None:
    """Sign in, let the list save the inspection for offline use, open its checklist."""
    sign_in(page, (inspector or journey.inspector).email, TEST_PASSWORD)
    page.goto("/inspections/")
    page.wait_for_selector("html[data-offline-ready]")
    page.click(f"a:has-text('{link.home.name}')")
    page.wait_for_selector(f"[data-inspection='{link.id}']")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
