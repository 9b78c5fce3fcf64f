"""Who may change what, and when: another organisation's records, an application being
assessed, forms without their CSRF token, and pages for an organisation with nothing yet."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.auth.models import Role
from accreditation.cases import operations as case_operations
from accreditation.cases.models import Case
from accreditation.extensions import db
from accreditation.providers.models import (
    Organisation,
    OrganisationPerson,
    PersonRole,
    Property,
    RosterEntry,
)
from accreditation.workflow import CaseStatus

from ..factories import OrganisationFactory, PropertyFactory, UserFactory, user_with_role
from .conftest import TODAY, actions, count, day
from .factories import (
    ConditionFactory,
    OrganisationPersonFactory,
    RosterEntryFactory,
    complete_application_data,
)
from .test_validation import FILE, INSURANCE, LEASE, PERSON, PROPERTY

# --- every page, for an organisation that has nothing yet --------------------------------------

PAGES = ["/provider/", "/provider/organisation", "/provider/properties",
         "/provider/properties/new", "/provider/landlord-arrangements",
         "/provider/insurance-and-policies", "/provider/files", "/provider/conditions"]
REDIRECTS_HOME = ["/provider/application", "/provider/application/submit",
                  "/provider/application/submitted", "/provider/application/withdraw"]


@pytest.mark.parametrize("path", PAGES)
def test_each_page_works_for_an_organisation_with_nothing_yet(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">' in response.text


@pytest.mark.parametrize("path", REDIRECTS_HOME)
def test_application_pages_send_an_organisation_without_one_home(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] in ("/provider/", "/provider/application")


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.COMMISSIONER, Role.SOCIAL_WORKER],
                         ids=lambda role: role.value)
@pytest.mark.parametrize("path", PAGES + ["/provider/application"])
def test_only_providers_reach_the_provider_pages(client, app, role, path):
    client.sign_in(user_with_role(role))
    assert client.get(path).status_code == 403


def test_the_home_page_follows_the_application(signed_in, provider, organisation):
    assert "Start an application" in signed_in.get("/provider/").text
    case = case_operations.start_application(provider)
    home = signed_in.get("/provider/").text
    assert "Continue your application" in home and "Start an application" not in home
    complete_application_data(organisation)
    case_operations.submit_application(provider, case, expected_version=case.version)
    home = signed_in.get("/provider/").text
    assert "Due diligence" in home and case.reference in home
    assert f'href="/cases/{case.id}"' in home
    assert "Continue your application" not in home


# --- another organisation's records ------------------------------------------------------------

def _others_records():
    other = OrganisationFactory(name="Someone Else Ltd")
    return {
        "property": PropertyFactory(organisation=other, name="Their House"),
        "person": OrganisationPersonFactory(organisation=other, full_name="Their Director"),
        "entry": RosterEntryFactory(organisation=other, reference="THEIRS-1"),
        "action": ConditionFactory(case__organisation=other),
    }


READS = [
    "/provider/properties/{property}", "/provider/properties/{property}/edit",
    "/provider/properties/{property}/landlord", "/provider/properties/{property}/remove",
]
WRITES = [
    ("/provider/properties/{property}/edit", PROPERTY),
    ("/provider/properties/{property}/landlord", LEASE),
    ("/provider/properties/{property}/remove", {}),
    ("/provider/organisation/people/{person}/remove", {}),
    ("/provider/files/{entry}/remove", {}),
    ("/provider/conditions/{action}/respond", {"condition-{action}-response": "Done."}),
]


def _fill(template: str, records: dict) -> str:
    return template.format(**{name: record.id for name, record in records.items()})


def _assert_denied(response, user, record):
    assert response.status_code == 404
    assert "Their House" not in response.text and "Their Director" not in response.text
    denial = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
    assert denial.actor_id == user.id
    assert denial.details["subject_id"] == str(record.id)


@pytest.mark.parametrize("path", READS)
def test_another_organisations_property_pages_are_not_found(signed_in, provider, path):
    records = _others_records()
    _assert_denied(signed_in.get(_fill(path, records)), provider, records["property"])


@pytest.mark.parametrize("path, data", WRITES, ids=[path for path, _ in WRITES])
def test_another_organisations_records_cannot_be_changed(signed_in, provider, path, data):
    records = _others_records()
    record = records[re.search(r"\{(\w+)\}", path).group(1)]
    before = {model: count(model) for model in (Property, OrganisationPerson, RosterEntry)}
    response = signed_in.submit(_fill(path, records),
                                {_fill(key, records): value for key, value in data.items()},
                                form_page="/provider/")
    _assert_denied(response, provider, record)
    assert {model: count(model) for model in before} == before
    assert db.session.get(Property, records["property"].id).name == "Their House"
    assert db.session.get(type(record), record.id) is not None


def test_operations_refuse_another_organisations_record_too(provider):
    """The operations check ownership themselves: the CLI and API call them without a view."""
    from accreditation.errors import NotFound
    from accreditation.providers import operations

    theirs = PropertyFactory()
    with pytest.raises(NotFound):
        operations.remove_property(provider, theirs)
    assert db.session.get(Property, theirs.id) is not None
    assert actions() == ["access.denied"]


# --- frozen while being assessed ---------------------------------------------------------------

@pytest.fixture
def submitted(provider, organisation):
    complete_application_data(organisation)
    case = case_operations.start_application(provider)
    case_operations.submit_application(provider, case, expected_version=case.version)
    return case


def _frozen_writes(organisation):
    home = organisation.properties[0]
    director = next(p for p in organisation.people if p.role is PersonRole.DIRECTOR)
    return [
        ("/provider/organisation", {"registered_office": "Somewhere else"}),
        ("/provider/organisation/people", PERSON),
        ("/provider/properties/new", {**PROPERTY, "local_authority_id":
                                      str(home.local_authority_id)}),
        (f"/provider/properties/{home.id}/edit", {**PROPERTY, "local_authority_id":
                                                  str(home.local_authority_id)}),
        (f"/provider/properties/{home.id}/landlord", LEASE),
        ("/provider/insurance-and-policies", {**INSURANCE, "insurer": "Other Mutual"}),
        ("/provider/files", {**FILE, "reference": "NEW-1"}),
        (f"/provider/organisation/people/{director.id}/remove", {}),
        (f"/provider/files/{organisation.roster[0].id}/remove", {}),
        (f"/provider/properties/{home.id}/remove", {}),
    ]


FROZEN = "Your application is being assessed"


def test_nothing_can_be_changed_while_the_application_is_assessed(signed_in, organisation,
                                                                 submitted):
    before = actions()
    snapshot = _snapshot(organisation)
    for path, data in _frozen_writes(organisation):
        response = signed_in.submit(path, data, form_page="/provider/",
                                    follow_redirects=True)
        assert FROZEN in response.text, path
        # Form pages answer 409 with the message in the error summary; buttons say it on
        # the page they return to.
        assert response.status_code in (200, 409), path
        assert "There is a problem" in response.text, path
    assert actions() == before
    assert _snapshot(organisation) == snapshot


def _snapshot(organisation) -> tuple:
    db.session.expire_all()
    organisation = db.session.get(Organisation, organisation.id)
    return (organisation.registered_office, organisation.insurer,
            sorted((p.full_name, p.role.value) for p in organisation.people),
            sorted((p.name, p.tenure) for p in organisation.properties),
            sorted(e.reference for e in organisation.roster))


@pytest.mark.parametrize("path", ["/provider/organisation", "/provider/properties",
                                  "/provider/properties/new", "/provider/files",
                                  "/provider/insurance-and-policies"])
def test_pages_say_why_they_cannot_be_changed_and_offer_no_form(signed_in, submitted, path):
    page = signed_in.get(path).text
    assert FROZEN in page
    assert '<form method="post" action="/provider' not in page
    assert 'name="save' not in page


def test_editing_is_open_again_when_the_application_is_returned(signed_in, organisation,
                                                                submitted):
    case_operations.return_to_provider(
        UserFactory(commissioner=True), submitted, message="Add your night staff.",
        due_on=TODAY.replace(day=30), expected_version=submitted.version)
    assert FROZEN not in signed_in.get("/provider/files").text
    response = signed_in.submit("/provider/files", {**FILE, "reference": "NIGHT-1"})
    assert response.status_code == 302
    assert "NIGHT-1" in {entry.reference for entry in db.session.scalars(
        sa.select(RosterEntry))}


def test_a_property_in_a_submitted_application_cannot_be_removed(signed_in, organisation,
                                                                 submitted, provider):
    case_operations.withdraw_application(provider, submitted,
                                         expected_version=submitted.version)
    home = organisation.properties[0]
    page = signed_in.get(f"/provider/properties/{home.id}/remove").text
    assert "is part of an application you have submitted" in page
    response = signed_in.submit(f"/provider/properties/{home.id}/remove", {},
                                form_page="/provider/")
    assert response.status_code == 400
    assert "is part of an application you have submitted" in response.text
    assert db.session.get(Property, home.id) is not None


def test_a_property_not_yet_in_an_application_can_be_removed(signed_in, organisation):
    home_id = PropertyFactory(organisation=organisation, name="Spare Flat").id
    page = signed_in.get(f"/provider/properties/{home_id}/remove")
    assert "Are you sure you want to remove Spare Flat?" in page.text
    response = signed_in.submit(f"/provider/properties/{home_id}/remove", {})
    assert response.headers["Location"] == "/provider/properties"
    assert db.session.get(Property, home_id) is None
    assert actions()[-1] == "property.removed"


# --- people ------------------------------------------------------------------------------------

def test_a_new_registered_manager_replaces_the_old_one(signed_in, organisation):
    old_id = OrganisationPersonFactory(organisation=organisation, full_name="Old Manager",
                                       role=PersonRole.REGISTERED_MANAGER).id
    response = signed_in.submit("/provider/organisation/people", {
        "full_name": "New Manager", "role": "registered_manager"},
        form_page="/provider/organisation")
    assert response.status_code == 302
    managers = db.session.scalars(sa.select(OrganisationPerson.full_name).where(
        OrganisationPerson.role == PersonRole.REGISTERED_MANAGER)).all()
    assert managers == ["New Manager"]
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "organisation.person_added")).one()
    assert event.details["replaced_person_id"] == old_id


def test_the_registered_manager_is_replaced_not_removed(signed_in, organisation):
    manager = OrganisationPersonFactory(organisation=organisation,
                                        role=PersonRole.REGISTERED_MANAGER)
    director_id = OrganisationPersonFactory(organisation=organisation,
                                            full_name="Dana Director").id
    page = signed_in.get("/provider/organisation").text
    assert f"/provider/organisation/people/{director_id}/remove" in page
    assert f"/provider/organisation/people/{manager.id}/remove" not in page
    response = signed_in.submit(f"/provider/organisation/people/{manager.id}/remove", {},
                                form_page="/provider/organisation", follow_redirects=True)
    assert "add the new registered manager" in response.text
    assert db.session.get(OrganisationPerson, manager.id) is not None
    response = signed_in.submit(f"/provider/organisation/people/{director_id}/remove", {},
                                form_page="/provider/organisation")
    assert response.status_code == 302
    assert db.session.get(OrganisationPerson, director_id) is None
    assert actions()[-1] == "organisation.person_removed"


def test_removing_a_file(signed_in, organisation):
    entry_id = RosterEntryFactory(organisation=organisation, reference="GONE-1").id
    response = signed_in.submit(f"/provider/files/{entry_id}/remove", {},
                                form_page="/provider/files")
    assert response.status_code == 302
    assert db.session.get(RosterEntry, entry_id) is None
    assert actions()[-1] == "roster.entry_removed"


# --- CSRF --------------------------------------------------------------------------------------

def _form_pages(organisation) -> list[str]:
    home = PropertyFactory(organisation=organisation)
    OrganisationPersonFactory(organisation=organisation)
    RosterEntryFactory(organisation=organisation)
    ConditionFactory(case__organisation=organisation)
    return ["/provider/", "/provider/organisation", "/provider/properties/new",
            f"/provider/properties/{home.id}/edit", f"/provider/properties/{home.id}/landlord",
            f"/provider/properties/{home.id}/remove", "/provider/insurance-and-policies",
            "/provider/files", "/provider/conditions"]


def test_every_form_carries_its_csrf_token(signed_in, organisation):
    pages = _form_pages(organisation)
    checked = 0
    for path in pages:
        page = signed_in.get(path).text
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", page, re.S):
            assert 'name="csrf_token"' in form, (path, form[:200])
            checked += 1
    assert checked >= len(pages) + 4  # remove buttons and the sign-out form as well


def test_the_application_forms_carry_their_csrf_token(signed_in, provider, organisation):
    complete_application_data(organisation)
    case_operations.start_application(provider)
    for path in ("/provider/application/submit", "/provider/application/withdraw"):
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", signed_in.get(path).text,
                           re.S)
        assert forms and all('name="csrf_token"' in form for form in forms)


@pytest.mark.parametrize("path", ["/provider/organisation", "/provider/files",
                                  "/provider/application/start",
                                  "/provider/insurance-and-policies"])
def test_a_form_without_its_csrf_token_is_refused(signed_in, path):
    response = signed_in.post(path, data=FILE, headers={"Referer": f"https://localhost{path}"})
    assert response.status_code == 400
    assert "Your form has expired" in response.text
    assert actions() == ["auth.signed_in", "access.denied"]  # the refusal, and nothing else
    assert count(Case) == 0


def test_withdrawing_needs_the_version_the_provider_saw(signed_in, provider, submitted):
    response = signed_in.submit("/provider/application/withdraw", {"expected_version": "999"})
    assert response.status_code == 409
    assert db.session.get(Case, submitted.id).status is CaseStatus.DUE_DILIGENCE
    response = signed_in.submit("/provider/application/withdraw", {"expected_version": ""})
    assert response.status_code == 400
    assert "This page was out of date" in response.text
    assert db.session.get(Case, submitted.id).status is CaseStatus.DUE_DILIGENCE


def test_the_insurance_page_dates_use_three_boxes(signed_in):
    page = signed_in.get("/provider/insurance-and-policies").text
    for part in ("day", "month", "year"):
        assert f'id="insurance_expires_on-{part}" name="insurance_expires_on"' in page


def test_submitted_page_shows_the_reference(signed_in, submitted):
    page = signed_in.get("/provider/application/submitted").text
    assert submitted.reference in page


def test_a_day_helper_matches_the_boxes():
    assert day(TODAY) == ["22", "11", "2026"]
