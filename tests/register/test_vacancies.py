"""Vacancies: providers keep them current for their own properties, at any time (also while
their application is being assessed), from the property page or their own systems through
the JSON API; the register says how fresh they are."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from accreditation.api.openapi import document
from accreditation.audit import AuditEvent
from accreditation.auth.models import Role
from accreditation.auth.tokens import create_token
from accreditation.cases import operations as case_operations
from accreditation.errors import NotFound, NotPermitted, ValidationFailed
from accreditation.extensions import db
from accreditation.providers.models import Property
from accreditation.register.operations import set_vacancies, vacancies_age_text

from ..factories import PropertyFactory, UserFactory, user_with_role
from ..providers.factories import complete_application_data

TODAY = date(2026, 11, 22)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("accreditation.clock.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def provider(app, today):
    return UserFactory(provider=True)


@pytest.fixture
def home(provider):
    return PropertyFactory(organisation=provider.organisation, name="Albion House",
                           bed_spaces=4)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.seq)))


def reloaded(property_: Property) -> Property:
    db.session.expire_all()
    return db.session.get(Property, property_.id)


def bearer(user) -> dict:
    _, token = create_token(user, "Housing system")
    return {"Authorization": f"Bearer {token}"}


# --- how fresh: the words the register shows ---------------------------------------------------

@pytest.mark.parametrize("updated, expected", [
    (None, "never updated"),
    (datetime(2026, 11, 22, 0, 5, tzinfo=UTC), "updated today"),
    (datetime(2026, 11, 22, 23, 50, tzinfo=UTC), "updated today"),
    (datetime(2026, 11, 21, 23, 59, tzinfo=UTC), "updated 1 day ago"),
    (datetime(2026, 11, 10, 9, 0, tzinfo=UTC), "updated 12 days ago"),
    (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "updated today"),  # clock skew: never "-1 days"
])
def test_vacancies_age_text(updated, expected):
    home = Property(name="Albion House", bed_spaces=2, vacancies_updated_at=updated)
    assert vacancies_age_text(home, TODAY) == expected


@given(days=st.integers(min_value=2, max_value=3000))
def test_vacancies_age_text_counts_whole_days(days):
    home = Property(vacancies_updated_at=datetime(2026, 11, 22, 12, tzinfo=UTC)
                    - timedelta(days=days))
    assert vacancies_age_text(home, TODAY) == f"updated {days} days ago"


# --- the operation -------------------------------------------------------------------------------

@given(vacancies=st.integers(min_value=-5, max_value=12))
def test_vacancies_are_kept_only_between_0_and_the_bed_spaces(home, provider, vacancies):
    before = reloaded(home).vacancies
    if 0 <= vacancies <= 4:
        set_vacancies(provider, reloaded(home), vacancies)
        assert reloaded(home).vacancies == vacancies
    else:
        with pytest.raises(ValidationFailed, match="between 0 and 4"):
            set_vacancies(provider, reloaded(home), vacancies)
        db.session.rollback()
        assert reloaded(home).vacancies == before


def test_updating_vacancies_records_the_time_and_an_audit_event(home, provider):
    set_vacancies(provider, home, 3)
    home = reloaded(home)
    assert home.vacancies == 3
    assert home.vacancies_updated_at is not None
    assert vacancies_age_text(home) == "updated today"
    [event] = events("property.vacancies_updated")
    assert event.actor_id == provider.id
    assert (event.subject_type, event.subject_id) == ("property", str(home.id))
    assert event.details["vacancies"] == 3 and event.details["previous"] == 0


def test_the_same_number_again_confirms_it_is_still_right(home, provider):
    set_vacancies(provider, home, 2)
    first = reloaded(home).vacancies_updated_at
    set_vacancies(provider, reloaded(home), 2)
    assert reloaded(home).vacancies_updated_at >= first
    assert len(events("property.vacancies_updated")) == 2


def test_a_provider_cannot_set_another_providers_vacancies(provider):
    theirs = PropertyFactory(bed_spaces=3)
    with pytest.raises(NotFound):
        set_vacancies(provider, theirs, 1)
    assert reloaded(theirs).vacancies == 0
    [denial] = events("access.denied")
    assert denial.actor_id == provider.id and denial.subject_id == str(theirs.id)


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.INSPECTOR, Role.SOCIAL_WORKER],
                         ids=lambda role: role.value)
def test_only_providers_set_vacancies(home, role):
    with pytest.raises(NotPermitted):
        set_vacancies(user_with_role(role), home, 1)


@pytest.fixture
def being_assessed(provider):
    complete_application_data(provider.organisation)
    case = case_operations.start_application(provider)
    case_operations.submit_application(provider, case, expected_version=case.version)
    return case


def test_vacancies_can_change_while_the_application_is_being_assessed(
        client, provider, being_assessed):
    home = provider.organisation.properties[0]
    client.sign_in(provider)
    page = client.get(f"/provider/properties/{home.id}")
    assert "Your application is being assessed" in page.text  # the rest is frozen...
    response = client.submit(f"/provider/properties/{home.id}/vacancies", {"vacancies": "1"},
                             form_page=f"/provider/properties/{home.id}")
    assert response.status_code == 302  # ...but vacancies are not application data
    assert reloaded(home).vacancies == 1


# --- the provider's pages ----------------------------------------------------------------------

def test_the_provider_updates_vacancies_from_the_property_page(client, provider, home):
    client.sign_in(provider)
    page = client.get(f"/provider/properties/{home.id}")
    assert "How many vacancies does Albion House have now?" in page.text
    assert "never updated" in page.text
    response = client.submit(f"/provider/properties/{home.id}/vacancies", {"vacancies": " 2 "},
                             form_page=f"/provider/properties/{home.id}",
                             follow_redirects=True)
    assert response.status_code == 200
    assert "Vacancies at Albion House: 2." in response.text
    assert "updated today" in response.text  # the properties list says how fresh it is
    assert reloaded(home).vacancies == 2


@pytest.mark.parametrize("typed, message", [
    ("", "Enter how many vacancies Albion House has now, or 0 if it is full"),
    ("two", "The number of vacancies must be a whole number, like 2"),
    ("5", "The number of vacancies must be between 0 and 4, the number of bed spaces at "
          "Albion House"),
    ("-1", "The number of vacancies must be between 0 and 4"),
])
def test_wrong_vacancies_are_explained_on_the_page(client, provider, home, typed, message):
    client.sign_in(provider)
    response = client.submit(f"/provider/properties/{home.id}/vacancies", {"vacancies": typed},
                             form_page=f"/provider/properties/{home.id}")
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert message in response.text
    assert 'href="#vacancies"' in response.text  # the error summary links to the box
    assert reloaded(home).vacancies == 0
    assert events("property.vacancies_updated") == []


def test_the_vacancies_form_needs_its_csrf_token(client, provider, home):
    client.sign_in(provider)
    response = client.post(f"/provider/properties/{home.id}/vacancies", data={"vacancies": "1"})
    assert response.status_code == 400
    assert reloaded(home).vacancies == 0


def test_another_providers_property_answers_404_on_the_page(client, provider):
    theirs = PropertyFactory(bed_spaces=3, name="Their House")
    client.sign_in(provider)
    response = client.submit(f"/provider/properties/{theirs.id}/vacancies", {"vacancies": "1"},
                             form_page="/provider/properties")
    assert response.status_code == 404
    assert "Their House" not in response.text
    assert reloaded(theirs).vacancies == 0


# --- the JSON API ------------------------------------------------------------------------------

def test_a_providers_system_updates_vacancies_through_the_api(client, provider, home):
    response = client.put(f"/api/v1/properties/{home.id}/vacancies", json={"vacancies": 3},
                          headers=bearer(provider))
    assert response.status_code == 200, response.text
    spec = document()
    Draft202012Validator({**spec["components"]["schemas"]["Vacancies"],
                          "components": spec["components"]},
                         format_checker=Draft202012Validator.FORMAT_CHECKER
                         ).validate(response.json)
    assert response.json["vacancies"] == 3 and response.json["bed_spaces"] == 4
    assert reloaded(home).vacancies == 3
    [event] = events("property.vacancies_updated")
    assert event.details["via"] == "api"


def test_the_api_refuses_another_providers_property_as_missing(client, provider):
    theirs = PropertyFactory(bed_spaces=3)
    response = client.put(f"/api/v1/properties/{theirs.id}/vacancies", json={"vacancies": 1},
                          headers=bearer(provider))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    missing = client.put("/api/v1/properties/99999/vacancies", json={"vacancies": 1},
                         headers=bearer(provider))
    assert missing.status_code == 404
    assert response.json["detail"] == missing.json["detail"]  # no hint that it exists
    assert reloaded(theirs).vacancies == 0
    assert len(events("access.denied")) == 1


@pytest.mark.parametrize("body", [
    {"vacancies": 5}, {"vacancies": -1}, {"vacancies": "2"}, {"vacancies": True},
    {"vacancies": 1.5}, {}, {"vacancies": 1, "extra": 2}, [1],
])
def test_the_api_refuses_a_wrong_body_with_a_problem(client, provider, home, body):
    response = client.put(f"/api/v1/properties/{home.id}/vacancies", json=body,
                          headers=bearer(provider))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 400
    assert reloaded(home).vacancies == 0


def test_the_api_needs_a_providers_token(client, home):
    url = f"/api/v1/properties/{home.id}/vacancies"
    assert client.put(url, json={"vacancies": 1}).status_code == 401
    commissioner = UserFactory(commissioner=True)
    assert client.put(url, json={"vacancies": 1},
                      headers=bearer(commissioner)).status_code == 403
    client.sign_in(home.organisation.users[0] if home.organisation.users else
                   UserFactory(provider=True, organisation=home.organisation))
    assert client.put(url, json={"vacancies": 1}).status_code == 401  # a session is not enough
    assert reloaded(home).vacancies == 0
