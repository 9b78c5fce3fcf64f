"""Checklist number answers are what their unit allows, on every way in: a negative age of a
DBS check, a room of -5 m², cover of "1e9" million are refused, naming the question; £2.5
million is kept exactly."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
from markupsafe import escape

from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.stages.file_sampling import draw_file_samples, samples_for
from accreditation.standards.models import Assessment

from ..api.test_api import bearer
from ..cases.journey import best_answers


@pytest.fixture
def staff_file(journey):
    journey.submit()
    journey.pass_due_diligence()
    draw_file_samples(journey.inspector, journey.case)
    return next(f for sample in samples_for(journey.case) for f in sample.files
                if sample.file_type.value == "staff")


@pytest.mark.parametrize("typed, message", [
    ("-5", "must be between £0 and £1,000 million"),
    ("1e9", "must be a number, like 2.5"),
    ("-1e9", "must be a number, like 2.5"),
    ("2.555", "can have up to 2 decimal places, like 2.5"),
])
def test_due_diligence_cover_that_is_not_an_amount_is_refused(client, journey, typed, message):
    journey.submit()
    client.sign_in(journey.commissioner)
    response = client.submit(f"/cases/{journey.case.id}/due-diligence",
                             {"item_public_liability_cover": typed})
    assert response.status_code == 400
    assert f'href="#item_public_liability_cover">' \
           f'{escape("Public liability insurance (£ million) " + message)}</a>' in response.text
    assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 0


def test_due_diligence_cover_of_two_and_a_half_million_is_kept_exactly(client, journey):
    journey.submit()
    client.sign_in(journey.commissioner)
    response = client.submit(f"/cases/{journey.case.id}/due-diligence",
                             {"item_public_liability_cover": "£2.5m",
                              "item_employers_liability_cover": "1,000"})
    assert response.status_code == 302, response.text
    answers = db.session.scalars(sa.select(Assessment.answers)).one()
    assert (answers["public_liability_cover"], answers["employers_liability_cover"]) == (2.5, 1000)
    page = client.get(f"/cases/{journey.case.id}/due-diligence").text
    assert re.search(r'<input[^>]* name="item_public_liability_cover"[^>]* value="2.5"', page)


@pytest.mark.parametrize("typed, message", [
    ("-3", "Age of DBS check must be between 0 and 1,200 months"),
    ("2.5", "Age of DBS check must be a whole number, like 12"),
    ("3e1", "Age of DBS check must be a whole number, like 12"),
])
def test_a_negative_or_part_month_is_refused_on_the_file_page(client, journey, staff_file,
                                                               typed, message):
    client.sign_in(journey.inspector)
    response = client.submit(f"/cases/{journey.case.id}/files/{staff_file.id}",
                             {"item_dbs_age_months": typed})
    assert response.status_code == 400
    assert f'href="#item_dbs_age_months">{escape(message)}</a>' in response.text
    assert staff_file.assessment is None


def test_a_negative_age_is_refused_on_the_tablet_page(client, journey, staff_file):
    client.sign_in(journey.inspector)
    page = f"/inspections/files/{staff_file.id}"
    response = client.submit(f"{page}/items/dbs_age_months", {"value": "-3", "base_revision": "0"},
                             form_page=page)
    # Without JavaScript the page comes back with the answer as typed and the message.
    assert response.status_code == 400
    assert "Age of DBS check must be between 0 and 1,200 months" in response.text
    assert 'value="-3"' in response.text
    assert inspection_drafts.drafts_for(staff_file) == {}


def test_the_api_refuses_a_negative_room_naming_the_item(client, journey):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    link = journey.case.properties[0]
    answers = best_answers("property_inspection", category=link.home.category.value)
    answers["bedroom_size"] = -5
    response = client.post(
        f"/api/v1/cases/{journey.case.id}/properties/{link.id}/inspection",
        headers=bearer(journey.inspector), json={"answers": answers})
    assert response.status_code == 400
    assert "Bedroom size" in response.get_json()["detail"]
    assert "from 0 to 10,000 m²" in response.get_json()["detail"]
    db.session.refresh(link)
    assert link.assessment_id is None


def test_a_tablet_sending_a_negative_age_has_it_rejected(client, journey, staff_file):
    response = client.post(
        f"/api/v1/inspections/files/{staff_file.id}/answers", headers=bearer(journey.inspector),
        json={"device_id": "tablet-1", "changes": [{
            "client_id": str(uuid.uuid4()), "item_id": "dbs_age_months", "value": -3,
            "note": None, "base_revision": 0}]})
    assert response.status_code == 200, response.text
    [result] = response.get_json()["results"]
    assert result["status"] == "rejected"
    assert "Age of DBS check: expected a whole number from 0 to 1,200 months" in \
        result["message"]
    assert inspection_drafts.drafts_for(staff_file) == {}
