"""A provider's whole application, through the pages, as a person would make it."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from accreditation.cases import operations as case_operations
from accreditation.cases.models import Case, CaseProperty, ConditionStatus, ProposalKind
from accreditation.extensions import db
from accreditation.providers.models import (
    KEY_POLICIES,
    FileType,
    Organisation,
    PersonRole,
    Property,
    Tenure,
)
from accreditation.workflow import CaseStatus

from ..factories import TEST_PASSWORD, UserFactory
from ..test_registration import confirmation_link
from .conftest import TODAY, actions, day, last_event
from .factories import ConditionFactory, complete_application_data

PROPERTY = {
    "name": "Albion House", "address_line_1": "12 Albion Road", "address_line_2": "",
    "town": "London", "postcode": "n1 9gu", "category": "single_occupancy",
    "bed_spaces": "4", "age_min": "16", "age_max": "21", "who_for": "Care leavers",
}


def test_register_start_fill_every_task_and_submit(client, today, council):
    response = client.submit("/register-organisation", {
        "organisation_name": "Safe Homes Ltd", "company_number": "12345678",
        "full_name": "Pat Provider", "email": "pat@safehomes.example",
        "password": TEST_PASSWORD, "confirm_password": TEST_PASSWORD})
    assert response.status_code == 302
    # The link in the e-mail, with the password chosen, makes the account and signs in.
    response = client.submit(confirmation_link("pat@safehomes.example"),
                             {"password": TEST_PASSWORD})
    assert response.status_code == 302
    home = client.get("/provider/")
    assert "Start an application" in home.text
    assert "Due diligence" in home.text and "File sampling" in home.text

    response = client.submit("/provider/application/start", form_page="/provider/")
    assert response.headers["Location"] == "/provider/application"
    tasks = client.get("/provider/application").text
    assert "govuk-task-list" in tasks
    assert tasks.count("Incomplete") == 5
    assert "Continue your application" in client.get("/provider/").text

    # Organisation details and people.
    assert client.submit("/provider/organisation", {
        "registered_office": "1 High Street\nLondon N1 1AA",
        "ico_registration_number": "ZA123456"}).status_code == 302
    for name, role in (("Dana Director", "director"), ("Manny Manager", "registered_manager")):
        response = client.submit("/provider/organisation/people", {
            "full_name": name, "role": role, "appointed_on": day(TODAY - timedelta(days=400))},
            form_page="/provider/organisation")
        assert response.status_code == 302, response.text
    # Properties, with landlord arrangements for each.
    assert client.submit("/provider/properties/new", {
        **PROPERTY, "local_authority_id": str(council.id)}).status_code == 302
    assert client.submit("/provider/properties/new", {
        **PROPERTY, "name": "Bridge Flat", "postcode": "EC1A1BB",
        "category": "supported_lodgings", "bed_spaces": "1",
        "local_authority_id": str(council.id)}).status_code == 302
    albion, bridge = db.session.scalars(sa.select(Property).order_by(Property.name)).all()
    assert albion.postcode == "N1 9GU" and bridge.postcode == "EC1A 1BB"
    assert client.submit(f"/provider/properties/{albion.id}/landlord", {
        "tenure": "owned"}).status_code == 302
    assert client.submit(f"/provider/properties/{bridge.id}/landlord", {
        "tenure": "leased", "landlord_name": "Bridge Estates",
        "lease_ends_on": day(TODAY + timedelta(days=800)),
        "landlord_consent": "yes"}).status_code == 302
    # Insurance and policies.
    assert client.submit("/provider/insurance-and-policies", {
        "insurer": "Example Mutual", "public_liability_millions": "5",
        "professional_indemnity_millions": "2",
        "employers_liability_millions": "10",
        "insurance_expires_on": day(TODAY + timedelta(days=300)),
        **{f"policy_{name}": day(TODAY - timedelta(days=30)) for name in KEY_POLICIES},
    }).status_code == 302
    # Files.
    for file_type, reference, role in (("staff", "STAFF-001", "Support worker"),
                                       ("staff", "staff-002", "Night worker"),
                                       ("young_person", "YP-2026-01", "Care leaver")):
        response = client.submit("/provider/files", {
            "file_type": file_type, "reference": reference, "role": role,
            "started_on": day(TODAY - timedelta(days=90))})
        assert response.status_code == 302, response.text

    # Every answer is given, but not the files each section needs: submitting names each.
    tasks = client.get("/provider/application").text
    assert tasks.count("Completed") == 2 and tasks.count("Incomplete") == 3
    case = db.session.scalars(sa.select(Case)).one()
    refused = client.submit("/provider/application/submit",
                            {"expected_version": str(case.version)})
    assert refused.status_code == 400
    summary = refused.text[refused.text.index("govuk-error-summary__list"):]
    needed = re.findall(r'<a href="(/evidence/[^"]+)">Upload the ([^<]+)</a>',
                        summary[:summary.index("</ul>")])
    assert len(needed) == 7 + 3 * 2 + 1  # insurance, policies; each property's; a lease
    assert (f"/evidence/properties/{bridge.id}/required/lease",
            "lease or management agreement for Bridge Flat") in needed
    for address, _ in needed:
        response = upload_file(client, address)
        assert response.status_code == 303, response.text

    tasks = client.get("/provider/application").text
    assert "Incomplete" not in tasks
    assert tasks.count("Completed") == 5

    check = client.get("/provider/application/submit")
    assert check.status_code == 200
    assert "Dana Director" in check.text and "Albion House" in check.text
    case = db.session.scalars(sa.select(Case)).one()
    response = client.submit("/provider/application/submit",
                             {"expected_version": str(case.version)})
    assert response.headers["Location"] == "/provider/application/submitted"
    confirmation = client.get("/provider/application/submitted").text
    assert "Application submitted" in confirmation and case.reference in confirmation

    case = db.session.scalars(sa.select(Case)).one()
    assert case.status is CaseStatus.DUE_DILIGENCE
    assert case.submitted_at is not None
    linked = db.session.scalars(sa.select(CaseProperty.property_id)).all()
    assert sorted(linked) == sorted([albion.id, bridge.id])

    organisation = db.session.scalars(sa.select(Organisation)).one()
    assert organisation.registered_office == "1 High Street\nLondon N1 1AA"
    assert {p.role for p in organisation.people} == set(PersonRole)
    assert sorted(e.reference for e in organisation.roster) == [
        "STAFF-001", "STAFF-002", "YP-2026-01"]
    bridge = db.session.get(Property, bridge.id)
    assert (bridge.tenure, bridge.landlord_name, bridge.landlord_consent) == (
        Tenure.LEASED, "Bridge Estates", True)
    assert actions() == [
        "registration.requested", "registration.verified", "organisation.registered",
        "case.started", "organisation.details_updated",
        "organisation.person_added", "organisation.person_added", "property.added",
        "property.added", "property.landlord_arrangements_set",
        "property.landlord_arrangements_set", "organisation.insurance_and_policies_set",
        "roster.entry_added", "roster.entry_added", "roster.entry_added",
        *["evidence.uploaded"] * 14, "case.submit"]

    home = client.get("/provider/").text
    assert "Due diligence" in home
    assert f"/cases/{case.id}" in home
    assert "Start an application" not in home


def upload_file(client, address: str):
    """Choose a PDF with the page's file picker and upload it."""
    from ..evidence.conftest import multipart_body
    from ..evidence.samples import pdf

    body, content_type = multipart_body({"csrf_token": client.csrf_token(address)},
                                        {"file": ("document.pdf", pdf())})
    return client.post(address, data=body, content_type=content_type,
                       headers={"Referer": f"https://localhost{address}"})


def test_no_personal_data_in_the_audit_trail(signed_in, council):
    signed_in.submit("/provider/organisation/people", {
        "full_name": "Dana Director", "role": "director"}, form_page="/provider/organisation")
    signed_in.submit("/provider/properties/new", {**PROPERTY,
                                                  "local_authority_id": str(council.id)})
    for action in ("organisation.person_added", "property.added"):
        stored = str(last_event(action).details)
        for secret in ("Dana", "Albion", "N1 9GU"):
            assert secret not in stored


def test_submitting_an_incomplete_application_says_what_is_missing(signed_in, organisation):
    case = case_operations.start_application(organisation.users[0])
    response = signed_in.submit("/provider/application/submit",
                                {"expected_version": str(case.version)})
    assert response.status_code == 400
    assert '<a href="/provider/organisation">Complete organisation details</a>' in response.text
    assert db.session.get(Case, case.id).status is CaseStatus.DRAFT


def test_submitting_a_page_that_is_out_of_date_is_refused(signed_in, organisation, provider):
    complete_application_data(organisation)
    case = case_operations.start_application(provider)
    response = signed_in.submit("/provider/application/submit",
                                {"expected_version": str(case.version + 1)})
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert db.session.get(Case, case.id).status is CaseStatus.DRAFT


def _returned_case(provider, organisation):
    complete_application_data(organisation)
    case = case_operations.start_application(provider)
    case_operations.submit_application(provider, case, expected_version=case.version)
    commissioner = UserFactory(commissioner=True)
    case_operations.return_to_provider(
        commissioner, case, message="Send your insurance schedule for 2027.",
        due_on=TODAY + timedelta(days=14), expected_version=case.version)
    return db.session.get(Case, case.id)


def test_a_returned_application_shows_the_request_and_takes_an_answer(signed_in, provider,
                                                                     organisation):
    case = _returned_case(provider, organisation)
    assert case.status is CaseStatus.RETURNED_AT_DUE_DILIGENCE
    page = signed_in.get("/provider/application").text
    assert "govuk-notification-banner" in page
    assert "Send your insurance schedule for 2027." in page
    assert "6 December 2026" in page
    assert "Send the information asked for" in page
    assert "See what we have asked for" in signed_in.get("/provider/").text

    # While returned, the provider can change answers: that is how they reply.
    response = signed_in.submit("/provider/insurance-and-policies", {
        "insurer": "Better Mutual", "public_liability_millions": "10",
        "professional_indemnity_millions": "2.5",
        "employers_liability_millions": "10",
        "insurance_expires_on": day(TODAY + timedelta(days=400)),
        **{f"policy_{name}": day(TODAY) for name in KEY_POLICIES}})
    assert response.status_code == 302

    response = signed_in.submit("/provider/application/resubmit", {
        "response": "Uploaded the new schedule and updated the insurer.",
        "expected_version": str(case.version)}, form_page="/provider/application")
    assert response.status_code == 302
    case = db.session.get(Case, case.id)
    assert case.status is CaseStatus.DUE_DILIGENCE
    assert case.return_message is None
    assert "case.resubmit_due_diligence" in actions()
    assert db.session.get(Organisation, organisation.id).insurer == "Better Mutual"


def test_an_empty_answer_to_a_return_is_refused(signed_in, provider, organisation):
    case = _returned_case(provider, organisation)
    response = signed_in.submit("/provider/application/resubmit", {
        "response": "  ", "expected_version": str(case.version)},
        form_page="/provider/application")
    assert response.status_code == 400
    assert 'href="#response">Say what you have sent or changed' in response.text
    assert db.session.get(Case, case.id).status is CaseStatus.RETURNED_AT_DUE_DILIGENCE


def test_withdrawing_an_application(signed_in, provider, organisation):
    complete_application_data(organisation)
    case = case_operations.start_application(provider)
    case_operations.submit_application(provider, case, expected_version=case.version)
    page = signed_in.get("/provider/application/withdraw")
    assert page.status_code == 200
    assert "You cannot undo this" in page.text
    version = re.search(r'name="expected_version" type="hidden" value="(\d+)"', page.text)
    response = signed_in.submit("/provider/application/withdraw",
                                {"expected_version": version.group(1)})
    assert response.status_code == 302
    assert db.session.get(Case, case.id).status is CaseStatus.WITHDRAWN
    assert actions()[-1] == "case.withdraw"
    home = signed_in.get("/provider/").text
    assert "Your application has been withdrawn." in home
    assert "Start an application" in home
    # Nothing left to withdraw: the page sends the provider home.
    assert signed_in.get("/provider/application/withdraw").status_code == 302


def test_a_refused_provider_is_told_when_it_can_apply_again(signed_in, provider, organisation):
    complete_application_data(organisation)
    case = case_operations.start_application(provider)
    case_operations.submit_application(provider, case, expected_version=case.version)
    case_operations.propose(UserFactory(commissioner=True), case, kind=ProposalKind.REFUSAL,
                            reasons="Insolvency history.", expected_version=case.version)
    case_operations.make_representations(provider, case, text="We disagree.")
    case_operations.decide_proposal(UserFactory(commissioner=True), case,
                                    decision=case_operations.ProposalDecision.CONFIRM,
                                    consideration="Considered.", expected_version=case.version)
    response = signed_in.submit("/provider/application/start", form_page="/provider/")
    assert response.headers["Location"] == "/provider/"
    home = signed_in.get("/provider/").text
    assert "You can apply again from" in home
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def test_responding_to_a_condition(signed_in, organisation):
    action = ConditionFactory(case__organisation=organisation)
    assert "Conditions of your accreditation" in signed_in.get("/provider/").text
    page = signed_in.get("/provider/conditions").text
    assert action.item_title in page and "31 January 2027" in page
    field = f"condition-{action.id}-response"
    response = signed_in.submit(f"/provider/conditions/{action.id}/respond", {field: ""},
                                form_page="/provider/conditions")
    assert response.status_code == 400
    assert f'href="#{field}">Say what you have done' in response.text

    response = signed_in.submit(f"/provider/conditions/{action.id}/respond",
                                {field: "Fire doors fitted on 3 December."},
                                form_page="/provider/conditions")
    assert response.status_code == 302
    db.session.refresh(action)
    assert action.status is ConditionStatus.RESPONDED
    assert action.response == "Fire doors fitted on 3 December."
    assert actions()[-1] == "condition.responded"


def test_a_response_over_the_stated_limit_is_refused_not_kept(signed_in, organisation):
    action = ConditionFactory(case__organisation=organisation)
    field = f"condition-{action.id}-response"
    page = signed_in.get("/provider/conditions").text
    assert 'data-maxlength="4000"' in page  # the page says how much may be written
    response = signed_in.submit(f"/provider/conditions/{action.id}/respond",
                                {field: "x" * 10_000}, form_page="/provider/conditions")
    assert response.status_code == 400
    assert f'href="#{field}">What you have done must be 4,000 characters or fewer' \
        in response.text
    db.session.refresh(action)
    assert (action.status, action.response) == (ConditionStatus.OPEN, None)
    response = signed_in.submit(f"/provider/conditions/{action.id}/respond",
                                {field: "x" * 4000}, form_page="/provider/conditions")
    assert response.status_code == 302


def test_an_answer_to_a_return_over_the_stated_limit_is_refused(signed_in, provider,
                                                               organisation):
    case = _returned_case(provider, organisation)
    assert 'data-maxlength="4000"' in signed_in.get("/provider/application").text
    response = signed_in.submit("/provider/application/resubmit", {
        "response": "x" * 4001, "expected_version": str(case.version)},
        form_page="/provider/application")
    assert response.status_code == 400
    assert 'href="#response">What you have sent or changed must be 4,000 characters or fewer' \
        in response.text
    assert db.session.get(Case, case.id).status is CaseStatus.RETURNED_AT_DUE_DILIGENCE


def test_staff_and_young_people_files_are_listed_apart(signed_in, organisation):
    from .factories import RosterEntryFactory

    RosterEntryFactory(organisation=organisation, reference="STAFF-9")
    RosterEntryFactory(organisation=organisation, reference="YP-9",
                       file_type=FileType.YOUNG_PERSON)
    page = signed_in.get("/provider/files").text
    staff, young = page.split('id="young_person-files"')
    assert "STAFF-9" in staff and "YP-9" not in staff
    assert "YP-9" in young
