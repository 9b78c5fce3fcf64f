"""Through the browser: a photo added on a property's checklist page goes through the same
door as the tablet's and the API's (an item of this checklist, an open inspection)."""

from __future__ import annotations

import sqlalchemy as sa

from accreditation.evidence.models import Evidence, EvidencePurpose

from ..cases.journey import Journey
from ..evidence import samples
from ..factories import TEST_PASSWORD, publish_first_checklists
from .conftest import sign_in


def _photos(db) -> list[Evidence]:
    """The photos kept (the application's documents are evidence too)."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Evidence).where(
        Evidence.purpose == EvidencePurpose.PHOTO).order_by(Evidence.id)))


def test_a_checklist_photo_is_kept_against_its_question_and_refused_once_closed(
        e2e_db, new_page, tmp_path):
    publish_first_checklists()
    journey = Journey(properties=1)
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    link = journey.case.properties[0]
    address = f"/cases/{journey.case.id}/properties/{link.id}/inspection"
    photo = tmp_path / "fire-door.jpg"
    photo.write_bytes(samples.jpeg())

    page = new_page()
    sign_in(page, journey.inspector.email, TEST_PASSWORD)
    page.goto(address)
    page.get_by_label("Photo: Fire doors").set_input_files(str(photo))
    page.locator("form", has=page.get_by_label("Photo: Fire doors")).get_by_role(
        "button", name="Upload photo").click()
    page.wait_for_load_state()
    assert page.url.endswith(address)
    assert "fire-door.jpg has been uploaded" in page.inner_text("main")
    [kept] = _photos(e2e_db)
    assert (kept.case_id, kept.item_id, kept.property_id) == (
        journey.case.id, "fire_doors", link.property_id)
    assert kept.uploaded_by_id == journey.inspector.id

    # The inspection closes (submitted on another device) while this page is still open.
    journey.inspect_properties()
    page.get_by_label("Photo: Fire doors").set_input_files(str(photo))
    page.locator("form", has=page.get_by_label("Photo: Fire doors")).get_by_role(
        "button", name="Upload photo").click()
    page.wait_for_load_state()
    shown = page.inner_text("main")
    assert f"This inspection is closed: application {journey.case.reference} is awaiting a " \
        "decision." in shown
    assert "has been uploaded" not in shown and "<" not in shown  # no markup shown as text
    assert len(_photos(e2e_db)) == 1  # nothing more was kept
