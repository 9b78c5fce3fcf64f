"""An inspector's day on a tablet, played as the inspector plays it: preparing on a fresh
tablet as the documentation says, settling answers changed on another device, signing out
without signal, a connection that never answers, items that need a photo, and a long stretch
of answering without touching the rest of the service."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accreditation.extensions import db
from accreditation.stages import inspection_drafts

from ..factories import TEST_PASSWORD
from .conftest import screenshot, sign_in
from .inspection_helpers import (
    TABLET,
    answer,
    answers_for,
    eventually,
    inspection_ready,
    server_counts,
    wait_until_sent,
)


def _submit_all(journey, link) -> None:
    """Another property's inspection, answered and submitted on the server already."""
    changes = [inspection_drafts.AnswerChange(client_id=f"00000000-0000-4000-8000-{n:012d}",
                                              item_id=item_id, value=value, note=None,
                                              base_revision=0)
               for n, (item_id, value) in enumerate(answers_for(link).items())]
    inspection_drafts.save_answers(journey.inspector, link, changes)
    inspection_drafts.submit_inspection(journey.inspector, link)
    db.session.commit()


@pytest.fixture
def ready(e2e_db):
    return inspection_ready()


@pytest.fixture
def two_properties(e2e_db):
    """An application at property inspection with two properties, one already submitted."""
    journey, link = inspection_ready(properties=2)
    done = journey.case.properties[1]
    _submit_all(journey, done)
    return journey, link, done


def prepare_as_documented(page, journey, expected: str) -> None:
    """Sign in on the tablet while it has a connection, land on *Your inspections* and wait
    until it says the inspections are saved on the tablet."""
    sign_in(page, journey.inspector.email, TEST_PASSWORD)
    expect(page.get_by_role("heading", name="Your inspections")).to_be_visible()
    expect(page.locator("[data-offline-note]")).to_contain_text(expected, timeout=20_000)


def test_preparing_as_documented_saves_each_open_inspection_for_working_offline(
        two_properties, new_page):
    journey, link, done = two_properties
    page = new_page(viewport=TABLET, has_touch=True)
    prepare_as_documented(page, journey, "saved on this tablet")
    note = page.inner_text("[data-offline-note]")
    assert note.startswith("1 inspection saved on this tablet"), note  # not the submitted one

    page.context.set_offline(True)
    page.click(f"a:has-text('{link.home.name}')")
    page.wait_for_selector(f"[data-inspection='{link.id}']")
    assert "You are offline" not in page.inner_text("main")
    forms = page.locator("form[data-item]")
    assert forms.count() == len(inspection_drafts.checklist_for(link)[1])
    item_id, value = next(iter(answers_for(link).items()))
    answer(page, item_id, value)
    page.wait_for_selector("[data-sync-status][data-pending='1']", state="attached")
    screenshot(page, "tablet-prepared-offline")

    page.context.set_offline(False)
    wait_until_sent(page)
    assert eventually(lambda: server_counts(link)["drafts"] == 1)
