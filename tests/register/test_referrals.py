"""Referral checks: a social worker finds a provider on the register, records a check with
their own reference, and the audit trail proves what the register said at that moment."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from accreditation import audit
from accreditation.audit import AuditEvent
from accreditation.auth.models import Role
from accreditation.cases import operations as case_operations
from accreditation.errors import NotPermitted, ValidationFailed
from accreditation.extensions import db
from accreditation.personal_details import found_in
from accreditation.register.operations import (
    ACTION,
    clean_reference,
    get_check_for,
    record_referral_check,
)
from accreditation.register.status import RegisterStatus

from ..cases.conftest import checklists, today  # noqa: F401 (shared fixtures)
from ..cases.journey import Journey
from ..factories import OrganisationFactory, UserFactory, user_with_role


@pytest.fixture
def accredited(app, today, checklists):  # noqa: F811
    journey = Journey(properties=2)
    journey.organisation.name = "Harbour Lights Housing Ltd"
    journey.all_the_way(failing_properties=1)  # one property passes, one fails
    return journey


@pytest.fixture
def social_worker(app):
    return UserFactory(social_worker=True, full_name="Sam Social")


def check_events() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == ACTION)
                                   .order_by(AuditEvent.seq)))


def page_for(organisation) -> str:
    return f"/register/providers/{organisation.id}/referral-check"


# --- the reference -----------------------------------------------------------------------------

@pytest.mark.parametrize("typed, kept", [
    ("CN-2026/0042", "CN-2026/0042"), ("  ab 12  ", "ab 12"), ("A1", "A1"),
    ("x" * 39 + "1", "x" * 39 + "1"), ("case   77", "case 77"),
])
def test_good_references_are_kept(typed, kept):
    assert clean_reference(typed) == kept


@pytest.mark.parametrize("typed, message", [
    ("", "Enter your reference"), ("   ", "Enter your reference"),
    ("x" * 41, "40 characters or fewer"), ("jo@example.org", "only include letters"),
    ("O'Brien", "only include letters"), ("<script>", "only include letters"),
    ("12.5", "only include letters"), ("Zoë-1", "only include letters"),
])
def test_wrong_references_say_what_to_change(typed, message):
    with pytest.raises(ValidationFailed, match=message):
        clean_reference(typed)


@given(st.text(max_size=60))
def test_a_kept_reference_is_always_short_and_plain(typed):
    try:
        kept = clean_reference(typed)
    except ValidationFailed:
        return
    assert 1 <= len(kept) <= 40
    assert re.fullmatch(r"[A-Za-z0-9/\- ]+", kept) and kept == kept.strip()
    assert re.search(r"[0-9]", kept)  # never a name alone
    assert found_in(kept) is None  # nor a phone number


# --- the journey: find, check, prove -----------------------------------------------------------

def test_a_referral_check_records_the_register_status_at_that_moment(client, accredited,
                                                                     social_worker):
    organisation, case = accredited.organisation, accredited.case
    [passed] = [link.home for link in case.properties if link.accredited]
    client.sign_in(social_worker)
    page = client.get(page_for(organisation))
    assert page.status_code == 200
    assert "Harbour Lights Housing Ltd" in page.text and "Accredited" in page.text
    assert "do not refer" not in page.text
    response = client.submit(page_for(organisation),
                             {"reference": "CN-2026/0042", "property_id": str(passed.id)})
    assert response.status_code == 302

    [event] = check_events()
    assert event.actor_id == social_worker.id and event.actor_role == "social_worker"
    assert (event.subject_type, event.subject_id) == ("organisation", str(organisation.id))
    assert event.details["reference"] == "CN-2026/0042"
    assert event.details["property_id"] == passed.id
    register = event.details["register"]
    assert register["status"] == "accredited" and register["on_register"] is True
    assert register["case_id"] == case.id and register["case_reference"] == case.reference
    assert register["expires_on"] == case.expires_on.isoformat()
    assert register["property_ids"] == [passed.id]  # the failed property is not accredited
    assert {(c["kind"], c["version"]) for c in register["checklists"]} == {
        ("due_diligence", 1), ("file_sampling", 1), ("property_inspection", 1)}
    assert audit.verify().ok  # part of the hash chain: a later edit would be found

    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    assert "Referral check recorded" in confirmation.text
    assert "CN-2026/0042" in confirmation.text
    assert f"RC-{event.id:06d}-{event.hash[:8].upper()}" in confirmation.text
    assert event.occurred_at.strftime("%-d %B %Y at %H:%M UTC") in confirmation.text
    assert case.expires_on.strftime("%-d %B %Y") in confirmation.text
    assert passed.name in confirmation.text
    assert "do not refer" not in confirmation.text

    # What was recorded stays what it was, whatever happens to the provider later.
    case_operations.suspend(accredited.commissioner, case, reason="Safeguarding concern",
                            expected_version=case.version)
    again = client.get(response.headers["Location"])
    assert "Accredited" in again.text and "do not refer" not in again.text


def test_a_suspended_provider_is_not_offered_as_accredited(client, accredited, social_worker):
    organisation, case = accredited.organisation, accredited.case
    case_operations.suspend(accredited.commissioner, case, reason="Safeguarding concern",
                            expected_version=case.version)
    client.sign_in(social_worker)
    page = client.get(page_for(organisation))
    assert "Harbour Lights Housing Ltd is not accredited: do not refer." in page.text
    assert "Suspended" in page.text
    assert 'id="accredited-properties"' not in page.text
    response = client.submit(page_for(organisation), {"reference": "CN-77"},
                             follow_redirects=True)
    assert response.status_code == 200
    assert "Harbour Lights Housing Ltd is not accredited: do not refer." in response.text
    [event] = check_events()
    assert event.details["register"]["status"] == "suspended"
    assert event.details["register"]["on_register"] is False
    assert event.details["register"]["property_ids"] == []


def test_a_suspended_providers_property_cannot_be_named_in_a_check(accredited, social_worker):
    case = accredited.case
    [passed] = [link.home for link in case.properties if link.accredited]
    case_operations.suspend(accredited.commissioner, case, reason="Concern",
                            expected_version=case.version)
    with pytest.raises(ValidationFailed, match="accredited properties"):
        record_referral_check(social_worker, accredited.organisation, reference="CN-1",
                              property_id=passed.id)
    assert check_events() == []


def test_a_provider_never_accredited_is_recorded_with_a_warning(client, social_worker):
    organisation = OrganisationFactory(name="Fly By Night Ltd")
    client.sign_in(social_worker)
    response = client.submit(page_for(organisation), {"reference": "CN-5"},
                             follow_redirects=True)
    assert "Fly By Night Ltd is not accredited: do not refer." in response.text
    [event] = check_events()
    assert event.details["register"]["status"] == RegisterStatus.NOT_ACCREDITED.value
    assert event.details["register"]["case_id"] is None


@pytest.mark.parametrize("tampered", [False, True])
def test_a_property_that_is_not_accredited_is_refused(client, accredited, social_worker,
                                                      tampered):
    [failed] = [link.home for link in accredited.case.properties if not link.accredited]
    client.sign_in(social_worker)
    chosen = "\u00b2" if tampered else str(failed.id)  # a digit to Python, not a number
    response = client.submit(page_for(accredited.organisation),
                             {"reference": "CN-1", "property_id": chosen})
    assert response.status_code == 400
    assert "Select one of Harbour Lights Housing Ltd&#39;s accredited properties" in \
        response.text
    assert check_events() == []


@pytest.mark.parametrize("reference, message", [
    ("", "Enter your reference for this referral"),
    ("Jane Doe, 14, 1 High St", "can only include letters, numbers"),
    # A name is refused: a case or referral number has a number in it, a name never does.
    ("Jayden Smith", "Your reference must include a number, like your case number "
                     "CN-2026/0042, so that it cannot be the young person&#39;s name"),
    ("07700 900123", "Enter your case or referral number, not a phone number"),
    # Longer than the page says: refused with a message, never cut short.
    ("CN-2026/" + "1" * 33, "Your reference must be 40 characters or fewer"),
])
def test_a_wrong_reference_is_explained_and_nothing_recorded(client, social_worker, reference,
                                                             message):
    organisation = OrganisationFactory()
    client.sign_in(social_worker)
    page = client.get(page_for(organisation)).text
    assert "up to 40 characters" in page
    assert "maxlength" not in page  # a browser would cut a longer reference short, unseen
    response = client.submit(page_for(organisation), {"reference": reference})
    assert response.status_code == 400
    assert "There is a problem" in response.text and message in response.text
    assert 'href="#reference"' in response.text
    assert check_events() == []


def test_the_check_form_needs_its_csrf_token(client, social_worker):
    organisation = OrganisationFactory()
    client.sign_in(social_worker)
    response = client.post(page_for(organisation), data={"reference": "CN-1"})
    assert response.status_code == 400
    assert check_events() == []


def test_an_unknown_provider_answers_404(client, social_worker):
    client.sign_in(social_worker)
    assert client.get("/register/providers/999999/referral-check").status_code == 404


# --- who may check, and whose checks they see --------------------------------------------------

@pytest.mark.parametrize("role, allowed", [
    (Role.SOCIAL_WORKER, True), (Role.COMMISSIONER, True),
    (Role.INSPECTOR, False), (Role.PROVIDER, False),
], ids=lambda value: getattr(value, "value", value))
def test_social_workers_and_commissioners_record_checks(client, role, allowed):
    organisation = OrganisationFactory()
    client.sign_in(user_with_role(role))
    for path in (page_for(organisation), "/register/referral-checks"):
        assert client.get(path).status_code == (200 if allowed else 403)
    if not allowed:
        with pytest.raises(NotPermitted):
            record_referral_check(user_with_role(role), organisation, reference="CN-1")
        assert check_events() == []


@pytest.mark.parametrize("path", ["/register/referral-checks", "/register/referral-checks/1",
                                  "/register/providers/1/referral-check"])
def test_anonymous_people_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_a_social_worker_sees_only_their_own_checks(client, social_worker):
    colleague = UserFactory(social_worker=True)
    organisation = OrganisationFactory(name="Open Door Lodgings")
    mine = record_referral_check(social_worker, organisation, reference="MINE-1")
    theirs = record_referral_check(colleague, organisation, reference="THEIRS-1")
    client.sign_in(social_worker)
    listing = client.get("/register/referral-checks")
    assert "MINE-1" in listing.text and "THEIRS-1" not in listing.text
    assert f"/register/referral-checks/{mine.id}" in listing.text
    response = client.get(f"/register/referral-checks/{theirs.id}")
    assert response.status_code == 404
    assert "THEIRS-1" not in response.text
    denial = db.session.scalars(sa.select(AuditEvent)
                                .where(AuditEvent.action == "access.denied")).one()
    assert denial.actor_id == social_worker.id
    assert denial.details["subject_id"] == str(theirs.id)


def test_another_audit_event_is_not_a_check(client, social_worker):
    event = audit.record("something.else", actor=social_worker)
    db.session.commit()
    client.sign_in(social_worker)
    assert client.get(f"/register/referral-checks/{event.id}").status_code == 404


def test_past_checks_are_listed_newest_first_with_the_status_at_the_time(client, social_worker):
    organisation = OrganisationFactory(name="Open Door Lodgings")
    for number in range(30):
        record_referral_check(social_worker, organisation, reference=f"CN-{number:03d}")
    client.sign_in(social_worker)
    first = client.get("/register/referral-checks").text
    assert first.index("CN-029") < first.index("CN-005")
    assert "CN-004" not in first and "Not accredited" in first
    assert "Page 1 of 2" in first
    second = client.get("/register/referral-checks?page=2").text
    assert "CN-004" in second and "CN-029" not in second
    assert client.get("/register/referral-checks?page=abc").status_code == 200


def test_a_check_stores_no_personal_data_of_the_young_person(client, social_worker):
    organisation = OrganisationFactory()
    event = record_referral_check(social_worker, organisation, reference="CN-1")
    # Only the social worker's reference, the provider and what the register said (and the
    # address the request came from, as for every audit event).
    assert set(event.details) <= {"reference", "organisation_name", "property_id",
                                  "checked_on", "register", "client"}
    assert get_check_for(social_worker, event.id).reference == "CN-1"


def test_a_social_worker_finds_their_past_checks_from_the_navigation(client, social_worker):
    client.sign_in(social_worker)
    page = client.get("/register/").text
    assert 'href="/register/referral-checks"' in page
    assert "Your referral checks" in page
