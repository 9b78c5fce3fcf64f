"""An item's photos on the tablet: thumbnails for whoever carries out the inspection, and
taking a photo back before the inspection is submitted (the file and the record are kept)."""

from __future__ import annotations

import io
import re
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from accreditation.audit import AuditEvent
from accreditation.auth.tokens import create_token
from accreditation.evidence.models import Evidence, EvidenceKind
from accreditation.extensions import db
from accreditation.stages import inspection_drafts

from ..cases.journey import best_answers, photograph_required_items
from ..factories import UserFactory

ORIENTATION = 0x0112


def jpeg(size=(64, 48), orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def bearer(user) -> dict:
    _, token = create_token(user, "test")
    return {"Authorization": f"Bearer {token}"}


def required_item(link) -> str:
    return next(item.id for item in inspection_drafts.checklist_for(link)[1]
                if item.photo_required)


def send_photo(client, link, user, item_id, client_id=None, data=None):
    client_id = client_id or str(uuid.uuid4())
    response = client.post(f"/api/v1/inspections/{link.id}/photos", headers=bearer(user),
                           data={"client_id": client_id, "item_id": item_id,
                                 "file": (io.BytesIO(data or jpeg()), "photo.jpg")})
    assert response.status_code == 201, response.text
    return client_id, response.get_json()["evidence_id"]


def withdraw(client, link, user, client_id):
    return client.post(f"/api/v1/inspections/{link.id}/photos/{client_id}/withdraw",
                       headers=bearer(user))


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def denials() -> int:
    return len(events("access.denied"))


@pytest.fixture
def inspector(client, journey):
    client.sign_in(journey.inspector)
    return client


# --- thumbnails ---------------------------------------------------------------------------------

def test_each_sent_photo_shows_as_a_thumbnail_with_its_text_alternative(
        inspector, journey, inspection):
    item_id = required_item(inspection)
    title = next(item.title for item in inspection_drafts.checklist_for(inspection)[1]
                 if item.id == item_id)
    send_photo(inspector, inspection, journey.inspector, item_id)
    _, evidence_id = send_photo(inspector, inspection, journey.inspector, item_id)
    page = inspector.get(f"/inspections/{inspection.id}").text
    src = f"/inspections/{inspection.id}/photos/{evidence_id}"
    found = re.search(rf'<img class="app-photo" src="{src}" alt="([^"]+)"', page)
    assert found, "the second photo has no thumbnail"
    wanted = rf"Photo 2 of {re.escape(title[0].lower() + title[1:])}, taken \d{{1,2}}:\d\d[ap]m"
    assert re.fullmatch(wanted, found.group(1)), found.group(1)
    thumbnail = inspector.get(src)
    assert thumbnail.status_code == 200
    assert thumbnail.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumbnail.data)).size) <= 320


def test_a_thumbnail_is_the_right_way_up(inspector, journey, inspection):
    # Taken on its side: the camera says so in EXIF (6: turn 90 degrees clockwise).
    _, evidence_id = send_photo(inspector, inspection, journey.inspector,
                                required_item(inspection), data=jpeg((64, 48), orientation=6))
    thumbnail = inspector.get(f"/inspections/{inspection.id}/photos/{evidence_id}")
    assert thumbnail.status_code == 200
    image = Image.open(io.BytesIO(thumbnail.data))
    assert image.size == (48, 64)
    assert ORIENTATION not in image.getexif()


def test_a_commissioner_sees_the_thumbnail(client, journey, inspection):
    _, evidence_id = send_photo(client, inspection, journey.inspector, required_item(inspection))
    client.sign_in(journey.commissioner)
    assert client.get(f"/inspections/{inspection.id}/photos/{evidence_id}").status_code == 200


@pytest.mark.parametrize("who, status", [("other_inspector", 404), ("provider", 403),
                                         ("social_worker", 403)])
def test_nobody_else_sees_a_thumbnail_and_each_refusal_is_audited(
        client, journey, inspection, who, status):
    _, evidence_id = send_photo(client, inspection, journey.inspector, required_item(inspection))
    user = {"other_inspector": lambda: UserFactory(inspector=True),
            "provider": lambda: journey.provider,
            "social_worker": lambda: UserFactory(social_worker=True)}[who]()
    db.session.commit()
    client.sign_in(user)
    before = denials()
    response = client.get(f"/inspections/{inspection.id}/photos/{evidence_id}")
    assert response.status_code == status
    assert response.mimetype != "image/jpeg"
    assert denials() == before + 1


def test_a_document_of_the_application_is_no_thumbnail(inspector, journey, inspection):
    document = db.session.scalars(sa.select(Evidence).where(
        Evidence.case_id == inspection.case_id, Evidence.kind == EvidenceKind.DOCUMENT)).first()
    assert document is not None
    assert inspector.get(f"/inspections/{inspection.id}/photos/{document.id}").status_code == 404


# --- removing a photo (the API) ----------------------------------------------------------------

def test_a_withdrawn_photo_no_longer_counts_and_its_file_and_record_stay(
        client, journey, inspection):
    item_id = required_item(inspection)
    client_id, evidence_id = send_photo(client, inspection, journey.inspector, item_id)
    response = withdraw(client, inspection, journey.inspector, client_id)
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert (body["evidence_id"], body["item_id"], body["replayed"]) == (evidence_id, item_id, False)
    db.session.expire_all()
    record = db.session.get(Evidence, evidence_id)
    assert record is not None and record.withdrawn_at is not None
    assert inspection_drafts.photos_for(inspection).get(item_id) is None
    [event] = events("evidence.withdrawn")
    assert event.details["item_id"] == item_id
    # The inspection lists no photo for the item, and submitting asks for one again.
    listed = client.get("/api/v1/inspector/inspections", headers=bearer(journey.inspector))
    [mine] = [entry for entry in listed.get_json()["contents"]
              if entry.get("link_id") == inspection.id]
    assert item_id not in mine["photos"]
    answers = best_answers("property_inspection", category=inspection.home.category.value)
    client.post(f"/api/v1/inspections/{inspection.id}/answers",
                headers=bearer(journey.inspector),
                json={"device_id": "t", "changes": [
                    {"client_id": str(uuid.uuid4()), "item_id": item, "value": value,
                     "note": None, "base_revision": 0} for item, value in answers.items()]})
    refused = client.post(f"/api/v1/inspections/{inspection.id}/submit",
                          headers=bearer(journey.inspector), json={"client_id": str(uuid.uuid4())})
    assert refused.status_code == 400
    assert "No photo yet" in refused.get_json()["detail"]
    # Its thumbnail is gone for the page too.
    client.sign_in(journey.inspector)
    assert client.get(f"/inspections/{inspection.id}/photos/{evidence_id}").status_code == 404


@settings(max_examples=5, deadline=None)
@given(repeats=st.integers(min_value=1, max_value=4))
def test_a_removal_sent_again_changes_nothing(client, journey, inspection, repeats):
    client_id, _ = send_photo(client, inspection, journey.inspector, required_item(inspection))
    first = withdraw(client, inspection, journey.inspector, client_id).get_json()
    for _ in range(repeats):
        again = withdraw(client, inspection, journey.inspector, client_id)
        assert again.status_code == 200
        assert again.get_json() == {**first, "replayed": True}
    assert sum(e.details.get("client_id") == client_id
               for e in events("evidence.withdrawn")) == 1


def test_another_inspector_cannot_remove_a_photo_and_is_audited(client, journey, inspection):
    client_id, evidence_id = send_photo(client, inspection, journey.inspector,
                                        required_item(inspection))
    stranger = UserFactory(inspector=True)
    db.session.commit()
    before = denials()
    response = withdraw(client, inspection, stranger, client_id)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json" or response.is_json
    assert denials() == before + 1
    db.session.expire_all()
    assert db.session.get(Evidence, evidence_id).withdrawn_at is None


def test_a_provider_cannot_remove_a_photo(client, journey, inspection):
    client_id, evidence_id = send_photo(client, inspection, journey.inspector,
                                        required_item(inspection))
    response = withdraw(client, inspection, journey.provider, client_id)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Evidence, evidence_id).withdrawn_at is None


def test_only_whoever_took_a_photo_removes_it(client, journey, inspection):
    client_id, evidence_id = send_photo(client, inspection, journey.inspector,
                                        required_item(inspection))
    before = denials()
    response = withdraw(client, inspection, journey.commissioner, client_id)
    assert response.status_code == 403
    assert "Only whoever took a photo can remove it" in response.get_json()["detail"]
    assert denials() == before + 1


@pytest.mark.parametrize("client_id, status", [("not-a-uuid", 400),
                                               ("8f14e45f-ceea-467a-9b36-9a1f0e2a7c5d", 404)])
def test_an_unknown_or_malformed_photo_id_is_a_problem(client, journey, inspection, client_id,
                                                       status):
    response = withdraw(client, inspection, journey.inspector, client_id)
    assert response.status_code == status
    assert response.get_json()["status"] == status


def test_after_submission_removal_is_refused_with_409(client, journey, inspection):
    answers = best_answers("property_inspection", category=inspection.home.category.value)
    client.post(f"/api/v1/inspections/{inspection.id}/answers",
                headers=bearer(journey.inspector),
                json={"device_id": "t", "changes": [
                    {"client_id": str(uuid.uuid4()), "item_id": item, "value": value,
                     "note": None, "base_revision": 0} for item, value in answers.items()]})
    photograph_required_items(journey.inspector, inspection)
    photo = db.session.scalars(sa.select(Evidence).where(
        Evidence.kind == EvidenceKind.PHOTO)).first()
    submitted = client.post(f"/api/v1/inspections/{inspection.id}/submit",
                            headers=bearer(journey.inspector),
                            json={"client_id": str(uuid.uuid4())})
    assert submitted.status_code == 201, submitted.text
    response = withdraw(client, inspection, journey.inspector, photo.client_id)
    assert response.status_code == 409
    assert "has been submitted" in response.get_json()["detail"]
    assert len(events("evidence.withdraw_refused")) == 1
    db.session.expire_all()
    assert db.session.get(Evidence, photo.id).withdrawn_at is None


# --- removing a photo (the page without JavaScript) ----------------------------------------------

def test_the_page_asks_before_removing_and_then_says_so(inspector, journey, inspection):
    item_id = required_item(inspection)
    _, evidence_id = send_photo(inspector, inspection, journey.inspector, item_id)
    page = inspector.get(f"/inspections/{inspection.id}").text
    remove = f"/inspections/{inspection.id}/photos/{evidence_id}/remove"
    assert f'href="{remove}"' in page
    confirm = inspector.get(remove)
    assert confirm.status_code == 200
    assert "Remove this photo?" in confirm.text
    assert "no longer count" in confirm.text
    done = inspector.submit(remove, {}, follow_redirects=True)
    assert done.status_code == 200
    assert "photo removed" in done.text
    assert f"/photos/{evidence_id}" not in done.text
    db.session.expire_all()
    assert db.session.get(Evidence, evidence_id).withdrawn_at is not None


def test_an_inspection_photo_is_never_deleted_through_the_evidence_pages(
        inspector, journey, inspection):
    """The general "remove a file" action must not delete what an inspector photographed: a
    photo of an item is kept on record, and is taken back only from the inspection page."""
    item_id = required_item(inspection)
    _, evidence_id = send_photo(inspector, inspection, journey.inspector, item_id)
    files = inspector.get(f"/evidence/cases/{inspection.case_id}")
    assert f"/evidence/{evidence_id}/download" in files.text  # listed with the case's files
    assert f"/evidence/{evidence_id}/remove" not in files.text  # not offered
    refused = inspector.submit(f"/evidence/{evidence_id}/remove", {}, follow_redirects=True,
                               form_page=f"/inspections/{inspection.id}")
    assert "Remove it from the inspection page" in refused.text
    db.session.expire_all()
    record = db.session.get(Evidence, evidence_id)
    assert record is not None and record.withdrawn_at is None
    assert inspection_drafts.photos_for(inspection).get(item_id)
    assert events("evidence.removed") == []


# --- a marked-up copy -----------------------------------------------------------------------------

def test_a_marked_up_copy_is_a_new_photo_of_the_item_linked_to_the_original_which_stays(
        inspector, journey, inspection):
    item_id = required_item(inspection)
    original, original_id = send_photo(inspector, inspection, journey.inspector, item_id)
    response = inspector.post(f"/api/v1/inspections/{inspection.id}/photos",
                              headers=bearer(journey.inspector),
                              data={"client_id": str(uuid.uuid4()), "item_id": item_id,
                                    "marks_up": original,
                                    "file": (io.BytesIO(jpeg()), "marked.jpg")})
    assert response.status_code == 201, response.text
    assert response.get_json()["marks_up"] == original
    db.session.expire_all()
    copy = db.session.get(Evidence, response.get_json()["evidence_id"])
    assert copy.marks_up_id == original_id and copy.item_id == item_id
    assert [photo.id for photo in inspection_drafts.photos_for(inspection)[item_id]] == [
        original_id, copy.id]
    page = inspector.get(f"/inspections/{inspection.id}").text
    assert re.search(r'alt="Photo 2 of [^"]+, taken [^"]+, marked up"', page)


@pytest.mark.parametrize("which", ["unknown", "another item"])
def test_a_mark_up_of_no_photo_of_this_item_is_refused(client, journey, inspection, which):
    items = [item.id for item in inspection_drafts.checklist_for(inspection)[1]]
    original, _ = send_photo(client, inspection, journey.inspector, items[0])
    marks_up = str(uuid.uuid4()) if which == "unknown" else original
    response = client.post(f"/api/v1/inspections/{inspection.id}/photos",
                           headers=bearer(journey.inspector),
                           data={"client_id": str(uuid.uuid4()), "item_id": items[1],
                                 "marks_up": marks_up,
                                 "file": (io.BytesIO(jpeg()), "marked.jpg")})
    assert response.status_code == 400
    assert "marks_up" in response.get_json()["detail"]
