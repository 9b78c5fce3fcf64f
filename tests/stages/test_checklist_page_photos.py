"""The property checklist page's photos go through the inspection's one door for item photos
(``inspection_drafts.add_item_photo``), the one the tablet and the API use."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from accreditation.evidence.models import Evidence, EvidencePurpose
from accreditation.extensions import db

from ..evidence import samples


def photos() -> list[Evidence]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Evidence).where(
        Evidence.purpose == EvidencePurpose.PHOTO).order_by(Evidence.id)))


@pytest.fixture
def inspector(client, inspection):
    client.sign_in(inspection.case.inspector)
    return inspection.case.inspector


def page_address(link) -> str:
    return f"/cases/{link.case_id}/properties/{link.id}/inspection"


def photo_form(client, link, item_id: str) -> tuple[str, dict]:
    """The photo form the page shows for ``item_id``: where it posts, and its hidden fields."""
    page = client.get(page_address(link)).text
    for form in re.findall(r"<form [^>]*multipart/form-data.*?</form>", page, re.S):
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))
        if fields.get("item_id") == item_id:
            return re.search(r'action="([^"]+)"', form).group(1), fields
    raise AssertionError(f"no photo form for {item_id}")


def send(client, link, action: str, fields: dict, filename: str = "door.jpg"):
    return client.post(action, data={**fields, "file": (io.BytesIO(samples.jpeg()), filename)},
                       content_type="multipart/form-data",
                       headers={"Referer": f"https://localhost{page_address(link)}"})


def test_the_pages_photo_form_posts_to_the_inspection_and_keeps_the_question(
        client, inspector, inspection):
    action, fields = photo_form(client, inspection, "fire_doors")
    assert action == page_address(inspection) + "/photos"
    response = send(client, inspection, action, fields)
    assert response.status_code == 303
    assert response.headers["Location"] == page_address(inspection)
    [photo] = photos()
    assert (photo.case_id, photo.item_id, photo.property_id) == (
        inspection.case_id, "fire_doors", inspection.property_id)
    assert "door.jpg has been uploaded" in client.get(page_address(inspection)).text


def test_the_same_form_sent_twice_is_one_photo(client, inspector, inspection):
    action, fields = photo_form(client, inspection, "fire_doors")
    send(client, inspection, action, fields)
    send(client, inspection, action, fields)
    assert len(photos()) == 1


def test_a_question_not_on_the_checklist_is_refused_and_nothing_kept(
        client, inspector, inspection):
    action, fields = photo_form(client, inspection, "fire_doors")
    response = send(client, inspection, action, {**fields, "item_id": "not_a_question"})
    assert response.status_code == 303
    page = client.get(page_address(inspection)).text
    assert "&#39;not_a_question&#39; is not a question of this property&#39;s inspection " \
        "checklist." in page
    assert photos() == []


def test_a_closed_inspection_takes_no_more_photos(client, inspector, inspection, journey):
    action, fields = photo_form(client, inspection, "fire_doors")
    journey.inspect_properties()
    send(client, inspection, action, fields)
    page = client.get(page_address(inspection)).text
    assert "This inspection is closed" in page
    assert photos() == []
