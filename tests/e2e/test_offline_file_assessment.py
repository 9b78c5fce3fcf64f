"""A sampled file assessed on a tablet at the provider's office with poor signal: answered
partly offline, reloaded offline with everything still there, sent exactly once."""

from __future__ import annotations

import sqlalchemy as sa

from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.stages.models import ChangeLogEntry, DraftAnswer

from ..cases.journey import best_answers
from ..factories import TEST_PASSWORD
from .conftest import screenshot, sign_in
from .inspection_helpers import (
    TABLET,
    answer,
    assert_answers_shown,
    eventually,
    file_ready,
    wait_until_sent,
)


def on_server(sampled) -> dict:
    db.session.commit()
    count = lambda model: db.session.scalar(  # noqa: E731
        sa.select(sa.func.count(model.id)).where(model.sampled_file_id == sampled.id))
    return {"drafts": count(DraftAnswer), "changes": count(ChangeLogEntry)}


def test_a_file_assessment_survives_going_offline_and_is_sent_once(e2e_db, new_page):
    journey, sampled = file_ready()
    _, items = inspection_drafts.checklist_for(sampled)
    best = best_answers("file_sampling", file_type=sampled.sample.file_type.value)
    answers = [(item.id, best[item.id]) for item in items if item.id in best]
    online, offline = answers[:2], answers[2:]
    page = new_page(viewport=TABLET, has_touch=True)
    sign_in(page, journey.inspector.email, TEST_PASSWORD)
    page.goto("/inspections/")
    page.wait_for_selector("html[data-offline-ready]")
    page.click(f"a:has-text('File {sampled.reference}')")
    page.wait_for_selector(f"[data-inspection='files/{sampled.id}']")
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    for item_id, value in online:
        answer(page, item_id, value)
    assert eventually(lambda: on_server(sampled)["drafts"] == 2)

    page.context.set_offline(True)
    for item_id, value in offline:
        answer(page, item_id, value)
    pending = str(len(offline))
    page.wait_for_selector(f"[data-sync-status][data-pending='{pending}']", state="attached")
    page.reload()
    page.wait_for_selector(f"[data-inspection='files/{sampled.id}']")
    page.wait_for_selector(f"[data-sync-status][data-pending='{pending}']", state="attached")
    assert_answers_shown(page, online + offline)
    screenshot(page, "tablet-file-offline-after-reload")
    assert on_server(sampled)["drafts"] == 2

    page.context.set_offline(False)
    wait_until_sent(page)
    assert on_server(sampled) == {"drafts": len(answers), "changes": len(answers)}
    page.click("a:has-text('Check answers and submit') >> nth=0")
    page.click("button:has-text('Submit inspection')")
    page.wait_for_selector("text=assessment submitted")
    db.session.commit()
    db.session.refresh(sampled)
    assert sampled.assessment is not None
    assert on_server(sampled) == {"drafts": len(answers), "changes": len(answers)}
