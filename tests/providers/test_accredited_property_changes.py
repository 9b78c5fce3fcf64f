"""What was inspected stays what is accredited: changes to an accredited property.

A provider may rename a property on the register or change its vacancies at once. A change to
what was inspected (address, local authority, category, bed spaces, ages, who it is for) waits
for a commissioner's approval; until then the register, its API and the decision letter show
what was accredited. The letter and the inspection report always show the property as it was
inspected, even after an approved change.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage
from accreditation.providers.models import Property, PropertyChange, PropertyChangeStatus

from ..cases.conftest import checklists, today  # noqa: F401 (fixtures for these tests)
from ..factories import UserFactory
from ..register.helpers import accredited_provider, council
from ..register.test_api import bearer

MOVED = {"address_line_1": "1 Far Lane", "town": "York", "postcode": "YO1 7HH",
         "bed_spaces": "50", "age_max": "25"}


@pytest.fixture
def accredited(app, today, checklists):  # noqa: F811 (fixtures)
    camden = council("Camden", "E09000007")
    york = council("York", "E06000014")
    journey = accredited_provider("Harbour Lights Housing Ltd", [
        {"name": "Harbour House", "address_line_1": "12 Quay Road", "town": "London",
         "postcode": "NW1 7AB", "local_authority": camden, "bed_spaces": 3, "age_min": 16,
         "age_max": 18, "who_for": "16 and 17 year olds"}])
    home = journey.organisation.properties[0]
    return SimpleNamespace(journey=journey, home=home, camden=camden, york=york,
                           worker=UserFactory(social_worker=True, council=camden))


def property_form(home: Property, **changes) -> dict:
    """The edit form as the browser sends it: every field, with ``changes`` typed over it."""
    return {"name": home.name, "address_line_1": home.address_line_1,
            "address_line_2": home.address_line_2 or "", "town": home.town,
            "postcode": home.postcode, "local_authority_id": str(home.local_authority_id),
            "category": home.category.value, "bed_spaces": str(home.bed_spaces),
            "age_min": str(home.age_min), "age_max": str(home.age_max),
            "who_for": home.who_for, **changes}


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def register_page(app, accredited) -> str:
    worker = app.test_client()
    worker.sign_in(accredited.worker)
    page = worker.get(f"/register/providers/{accredited.journey.organisation.id}")
    assert page.status_code == 200
    return visible(page.text)


def register_api_property(client, accredited) -> dict:
    body = client.get("/api/v1/register/properties",
                      headers=bearer(accredited.worker)).get_json()
    (item,) = [item for item in body["contents"] if item["id"] == accredited.home.id]
    return item


def letter(client, accredited) -> str:
    page = client.get(f"/cases/{accredited.journey.case.id}/letter")
    assert page.status_code == 200
    return visible(page.text)


def move_the_property(client, accredited):
    client.sign_in(accredited.journey.provider)
    url = f"/provider/properties/{accredited.home.id}/edit"
    return client.submit(url, property_form(
        accredited.home, **MOVED, local_authority_id=str(accredited.york.id)))


def pending_change(accredited) -> PropertyChange:
    return db.session.scalars(sa.select(PropertyChange).where(
        PropertyChange.property_id == accredited.home.id,
        PropertyChange.status == PropertyChangeStatus.PENDING)).one()


def test_moving_an_accredited_property_waits_for_approval_and_the_register_keeps_what_was_inspected(
        app, client, accredited):
    response = move_the_property(client, accredited)
    assert response.status_code == 302
    page = visible(client.get(response.location).text)
    assert "Your change is waiting for approval" in page
    assert "1 Far Lane" in page and "50" in page  # the provider sees what it asked for

    db.session.expire_all()
    home = db.session.get(Property, accredited.home.id)
    assert (home.address_line_1, home.bed_spaces, home.age_max, home.local_authority_id) == \
        ("12 Quay Road", 3, 18, accredited.camden.id)

    shown = register_page(app, accredited)
    assert "12 Quay Road" in shown and "1 Far Lane" not in shown
    assert "16 to 18" in shown
    item = register_api_property(client, accredited)
    assert item["bed_spaces"] == 3 and item["age_max"] == 18
    assert "12 Quay Road" in letter(client, accredited)

    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "property.change_requested")).one()
    assert sorted(event.details["fields"]) == sorted(
        ["address_line_1", "town", "postcode", "local_authority_id", "bed_spaces", "age_max"])
    assert "1 Far Lane" not in str(event.details)  # field names only, never what was typed


def test_an_approved_change_shows_on_the_register_and_the_letter_keeps_what_was_inspected(
        app, client, accredited):
    move_the_property(client, accredited)
    change = pending_change(accredited)

    commissioner = app.test_client()
    commissioner.sign_in(accredited.journey.commissioner)
    listing = visible(commissioner.get("/commissioner/property-changes").text)
    assert "Harbour House" in listing and "Harbour Lights Housing Ltd" in listing
    url = f"/commissioner/property-changes/{change.id}"
    review = visible(commissioner.get(url).text)
    assert "12 Quay Road" in review and "1 Far Lane" in review  # what was inspected, what is asked
    response = commissioner.submit(url, {"decision": "approve", "reasons": ""})
    assert response.status_code == 302

    shown = register_page(app, accredited)
    assert "1 Far Lane" in shown and "12 Quay Road" not in shown
    assert register_api_property(client, accredited)["bed_spaces"] == 50
    # The decision was about the property as inspected; so is the letter, and the report.
    kept = letter(client, accredited)
    assert "12 Quay Road" in kept and "1 Far Lane" not in kept
    assert "3 bed spaces" in kept and "16 to 18" in kept
    link = accredited.journey.case.properties[0]
    report = visible(client.get(
        f"/cases/{accredited.journey.case.id}/properties/{link.id}/report").text)
    assert "12 Quay Road" in report and "1 Far Lane" not in report

    assert db.session.get(PropertyChange, change.id).status is PropertyChangeStatus.APPROVED
    assert db.session.scalars(sa.select(OutboxMessage.subject).where(
        OutboxMessage.recipient == accredited.journey.provider.email)).all()[-1] == \
        "Harbour House: change approved"


def test_a_commissioner_refuses_a_change_with_reasons_and_nothing_changes(
        app, client, accredited):
    move_the_property(client, accredited)
    change = pending_change(accredited)
    commissioner = app.test_client()
    commissioner.sign_in(accredited.journey.commissioner)
    url = f"/commissioner/property-changes/{change.id}"

    without_reasons = commissioner.submit(url, {"decision": "refuse", "reasons": ""})
    assert without_reasons.status_code == 400
    assert "There is a problem" in without_reasons.text
    assert "Enter why the change is not approved" in visible(without_reasons.text)

    reasons = "A new address is a new property: add it and apply for it to be inspected."
    response = commissioner.submit(url, {"decision": "refuse", "reasons": reasons})
    assert response.status_code == 302
    assert "12 Quay Road" in register_page(app, accredited)
    page = visible(client.get(f"/provider/properties/{accredited.home.id}").text)
    assert "Your change was not approved" in page and reasons in page
    body = db.session.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.recipient == accredited.journey.provider.email)).all()[-1]
    assert reasons in body
    assert db.session.get(PropertyChange, change.id).status is PropertyChangeStatus.REFUSED
    # Decided once: deciding again is refused, not a second decision.
    again = commissioner.submit(url, {"decision": "approve", "reasons": ""},
                                form_page="/commissioner/property-changes")
    assert again.status_code == 409


def test_a_name_and_vacancies_change_at_once_on_an_accredited_property(app, client, accredited):
    client.sign_in(accredited.journey.provider)
    home = accredited.home
    response = client.submit(f"/provider/properties/{home.id}/edit",
                             property_form(home, name="Harbour View"))
    assert response.status_code == 302
    assert "Harbour View" in register_page(app, accredited)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PropertyChange)) == 0
    vacancies = client.submit(f"/provider/properties/{home.id}/vacancies", {"vacancies": "2"},
                              form_page=f"/provider/properties/{home.id}")
    assert vacancies.status_code == 302


def test_a_new_request_replaces_the_pending_one_and_the_provider_can_withdraw_it(
        client, accredited):
    move_the_property(client, accredited)
    first = pending_change(accredited)
    home = accredited.home
    client.submit(f"/provider/properties/{home.id}/edit", property_form(home, bed_spaces="2"))
    second = pending_change(accredited)
    assert second.id != first.id and second.changes == {"bed_spaces": 2}
    assert db.session.get(PropertyChange, first.id).status is PropertyChangeStatus.WITHDRAWN

    response = client.submit(f"/provider/property-changes/{second.id}/withdraw",
                             form_page=f"/provider/properties/{home.id}")
    assert response.status_code == 302
    assert db.session.get(PropertyChange, second.id).status is PropertyChangeStatus.WITHDRAWN
    assert "waiting for approval" not in visible(
        client.get(f"/provider/properties/{home.id}").text)


def test_another_provider_cannot_withdraw_a_change(app, client, accredited):
    move_the_property(client, accredited)
    change = pending_change(accredited)
    stranger = app.test_client()
    stranger.sign_in(UserFactory(provider=True))
    token = stranger.csrf_token("/provider/properties")
    response = stranger.post(f"/provider/property-changes/{change.id}/withdraw",
                             data={"csrf_token": token},
                             headers={"Referer": "https://localhost/provider/properties"})
    assert response.status_code == 404
    assert db.session.get(PropertyChange, change.id).status is PropertyChangeStatus.PENDING


def test_a_property_not_on_the_register_is_changed_at_once(client, app, today, checklists):  # noqa: F811
    provider = UserFactory(provider=True)
    from ..factories import PropertyFactory
    home = PropertyFactory(organisation=provider.organisation, bed_spaces=3)
    client.sign_in(provider)
    response = client.submit(f"/provider/properties/{home.id}/edit",
                             property_form(home, bed_spaces="5"))
    assert response.status_code == 302
    assert db.session.get(Property, home.id).bed_spaces == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PropertyChange)) == 0
