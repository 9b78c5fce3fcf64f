"""The provider's acknowledgement on site: the representative reads the findings and signs
(name, role, a drawn signature), or the inspector records that they declined; the report
shows it."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import timedelta

import pypdf
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from accreditation.audit import AuditEvent
from accreditation.auth.tokens import create_token
from accreditation.database import utcnow
from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.stages.models import InspectionAcknowledgement
from accreditation.stages.reports import long_time

from ..cases.journey import best_answers, photograph_required_items
from ..factories import UserFactory
from ..pdfs import need_chromium, read_pdf


def bearer(user) -> dict:
    _, token = create_token(user, "test")
    return {"Authorization": f"Bearer {token}"}


def png(size=(300, 100)) -> bytes:
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    for x in range(20, 280):
        image.putpixel((x, 50), (0, 0, 0, 255))
    buffer = io.BytesIO()
    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
    info.add_text("Comment", "taken at 1 Secret Street")
    image.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def acknowledge(client, link, user, **body):
    body = {"client_id": str(uuid.uuid4()), "declined": False, **body}
    return client.post(f"/api/v1/inspections/{link.id}/acknowledgement", headers=bearer(user),
                       json=body)


def answer_all(client, link, user, failing: dict | None = None, notes: dict | None = None):
    answers = {**best_answers("property_inspection", category=link.home.category.value),
               **(failing or {})}
    response = client.post(f"/api/v1/inspections/{link.id}/answers", headers=bearer(user),
                           json={"device_id": "t", "changes": [
                               {"client_id": str(uuid.uuid4()), "item_id": item, "value": value,
                                "note": (notes or {}).get(item), "base_revision": 0}
                               for item, value in answers.items()]})
    assert response.status_code == 200, response.text


def yes_no_item(link):
    return next(item for item in inspection_drafts.checklist_for(link)[1]
                if item.answer_type == "yes_no" and item.scored)


def actions(name: str) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == name))


def stored() -> list[InspectionAcknowledgement]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(InspectionAcknowledgement)))


def submit(client, link, user):
    photograph_required_items(user, link)
    response = client.post(f"/api/v1/inspections/{link.id}/submit", headers=bearer(user),
                           json={"client_id": str(uuid.uuid4())})
    assert response.status_code == 201, response.text


# --- the API -------------------------------------------------------------------------------------

def test_a_signature_is_kept_with_the_findings_and_shown_on_the_report(
        client, journey, inspection):
    item = yes_no_item(inspection)
    answer_all(client, inspection, journey.inspector, failing={item.id: "no"},
               notes={item.id: "Fire door wedged open"})
    signed = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
    response = acknowledge(client, inspection, journey.inspector, name="Sam Patel",
                           role="House manager", signature_png=base64.b64encode(png()).decode(),
                           signed_at=signed.isoformat())
    assert response.status_code == 201, response.text
    assert response.get_json()["signed"] is True
    [record] = stored()
    assert record.findings == [{"item_id": item.id, "title": item.title,
                                "note": "Fire door wedged open"}]
    kept = Image.open(io.BytesIO(record.signature_png))
    assert kept.format == "PNG" and "Comment" not in kept.info  # re-encoded, nothing else kept
    assert actions("inspection.acknowledged") == 1

    submit(client, inspection, journey.inspector)
    client.sign_in(journey.provider)
    report = client.get(f"/cases/{inspection.case_id}/properties/{inspection.id}/report")
    assert report.status_code == 200
    text = report.text
    assert "Sam Patel" in text and "House manager" in text
    when = long_time(signed)  # in UK time, as GOV.UK writes it: 7 December 2026 at 10:14am
    assert when in text
    assert f'alt="Signature of Sam Patel, House manager, given on {when}"' in text
    assert "Fire door wedged open" in text
    image = client.get(f"/cases/{inspection.case_id}/properties/{inspection.id}/report/signature")
    assert (image.status_code, image.mimetype) == (200, "image/png")


def test_the_report_as_pdf_carries_the_acknowledgement_and_the_signature(
        client, journey, inspection):
    need_chromium()
    item = yes_no_item(inspection)
    answer_all(client, inspection, journey.inspector, failing={item.id: "no"})
    acknowledge(client, inspection, journey.inspector, name="Sam Patel", role="House manager",
                signature_png=base64.b64encode(png()).decode(),
                signed_at=utcnow().replace(microsecond=0).isoformat())
    submit(client, inspection, journey.inspector)
    client.sign_in(journey.provider)
    response = client.get(f"/cases/{inspection.case_id}/properties/{inspection.id}/report.pdf")
    assert response.status_code == 200
    pdf = read_pdf(response.data)
    assert "Sam Patel" in pdf.text and "No acknowledgement" not in pdf.text
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    (image,) = [image for page in reader.pages for image in page.images]
    assert image.image.size == (300, 100)  # the signature itself, not a broken image's icon


def test_declining_is_recorded_with_its_reason_and_shown_on_the_report(
        client, journey, inspection):
    answer_all(client, inspection, journey.inspector)
    response = acknowledge(client, inspection, journey.inspector, declined=True,
                           reason="Wants to speak to the director first")
    assert response.status_code == 201, response.text
    assert actions("inspection.acknowledgement_declined") == 1
    submit(client, inspection, journey.inspector)
    client.sign_in(journey.commissioner)
    text = client.get(f"/cases/{inspection.case_id}/properties/{inspection.id}/report").text
    assert "declined to sign" in text
    assert "Wants to speak to the director first" in text


@settings(max_examples=5, deadline=None)
@given(repeats=st.integers(min_value=1, max_value=3))
def test_an_acknowledgement_sent_again_is_stored_once(client, journey, inspection, repeats):
    client_id = str(uuid.uuid4())
    first = acknowledge(client, inspection, journey.inspector, client_id=client_id,
                        name="Sam", role="Manager")
    assert first.status_code == 201, first.text
    for _ in range(repeats):
        again = acknowledge(client, inspection, journey.inspector, client_id=client_id,
                            name="Sam", role="Manager")
        assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert sum(record.client_id == client_id for record in stored()) == 1


@pytest.mark.parametrize("body, message", [
    ({}, "Enter the name of the provider's representative"),
    ({"name": "Sam"}, "Enter the representative's role"),
    ({"name": "Sam", "role": "Manager", "signature_png": "not base64!"}, "base64"),
    ({"name": "Sam", "role": "Manager",
      "signature_png": base64.b64encode(b"GIF89a not a png").decode()},
     "The signature could not be read"),
    ({"declined": True, "signature_png": base64.b64encode(png()).decode()},
     "Clear the signature"),
    ({"name": "Sam", "role": "Manager", "reason": "Busy"}, "only when the representative"),
    ({"name": "Sam", "role": "Manager", "signed_at": "yesterday"}, "signed_at"),
    ({"name": "x" * 121, "role": "Manager"}, "name"),
])
def test_problems_are_400s_naming_the_field_and_nothing_is_stored(
        client, journey, inspection, body, message):
    response = acknowledge(client, inspection, journey.inspector, **body)
    assert response.status_code == 400
    assert message in response.get_json()["detail"]
    assert stored() == []


def test_a_signing_time_far_from_now_is_refused(client, journey, inspection):
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    response = acknowledge(client, inspection, journey.inspector, name="Sam", role="Manager",
                           signed_at=tomorrow)
    assert response.status_code == 400
    assert "tablet's clock" in response.get_json()["detail"]


def test_another_inspector_and_a_provider_are_refused_and_audited(client, journey, inspection):
    stranger = UserFactory(inspector=True)
    db.session.commit()
    before = actions("access.denied")
    assert acknowledge(client, inspection, stranger, name="Sam", role="M").status_code == 404
    assert acknowledge(client, inspection, journey.provider, name="Sam",
                       role="M").status_code == 403
    assert actions("access.denied") == before + 2
    assert stored() == []


def test_after_submission_an_acknowledgement_is_refused_with_409(client, journey, inspection):
    answer_all(client, inspection, journey.inspector)
    submit(client, inspection, journey.inspector)
    response = acknowledge(client, inspection, journey.inspector, name="Sam", role="Manager")
    assert response.status_code == 409
    assert "has been submitted" in response.get_json()["detail"]
    assert stored() == []


def test_the_signature_image_is_only_for_those_who_may_read_the_report(
        client, journey, inspection):
    acknowledge(client, inspection, journey.inspector, name="Sam", role="Manager",
                signature_png=base64.b64encode(png()).decode())
    other = UserFactory(provider=True)
    db.session.commit()
    client.sign_in(other)
    before = actions("access.denied")
    response = client.get(
        f"/cases/{inspection.case_id}/properties/{inspection.id}/report/signature")
    assert response.status_code == 404
    assert response.mimetype != "image/png"
    assert actions("access.denied") == before + 1


# --- the page without JavaScript ------------------------------------------------------------

@pytest.fixture
def inspector(client, journey):
    client.sign_in(journey.inspector)
    return client


def test_the_plain_form_lists_the_findings_and_keeps_name_and_role(
        inspector, journey, inspection):
    item = yes_no_item(inspection)
    answer_all(inspector, inspection, journey.inspector, failing={item.id: "no"},
               notes={item.id: "Wedged open"})
    summary = inspector.get(f"/inspections/{inspection.id}/summary").text
    assert "Ask the provider&#39;s representative to sign" in summary
    url = f"/inspections/{inspection.id}/acknowledgement"
    page = inspector.get(url)
    assert page.status_code == 200
    assert item.title in page.text and "Wedged open" in page.text
    refused = inspector.submit(url, {"name": "", "role": ""})
    assert refused.status_code == 400
    assert "Enter the name of the provider&#39;s representative" in refused.text
    assert 'href="#name"' in refused.text
    done = inspector.submit(url, {"name": "Sam Patel", "role": "House manager"},
                            follow_redirects=True)
    assert done.status_code == 200
    assert "The provider&#39;s acknowledgement has been saved." in done.text
    assert "Signed by Sam Patel, House manager" in done.text
    [record] = stored()
    assert record.signature_png is None and record.findings[0]["note"] == "Wedged open"


def test_the_plain_form_records_that_the_representative_declined(inspector, inspection):
    url = f"/inspections/{inspection.id}/acknowledgement"
    done = inspector.submit(url, {"declined": "y", "reason": "Not authorised to sign"},
                            follow_redirects=True)
    assert done.status_code == 200
    assert "declined to sign" in done.text
    [record] = stored()
    assert record.declined and record.reason == "Not authorised to sign"
