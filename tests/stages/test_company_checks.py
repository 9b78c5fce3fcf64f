"""Every Companies House check leaves a trace: what was asked, where, when and what came back;
the company number can be put right; due diligence is not passed without a check by mistake."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.cases import operations as case_operations
from accreditation.cases.models import Case
from accreditation.companies import RegistryUnavailable
from accreditation.extensions import db
from accreditation.providers.models import Organisation
from accreditation.stages.models import CompanyCheck, CompanyCheckOutcome
from accreditation.workflow import CaseStatus

from ..cases.journey import TODAY, best_answers
from ..cases.test_pages import checklist_data
from ..factories import OrganisationFactory
from ..providers.conftest import last_event
from .test_declarations import visible


def due_diligence_page(client, case) -> str:
    response = client.get(f"/cases/{case.id}/due-diligence")
    assert response.status_code == 200
    return visible(response.text)


def check_companies_house(client, case):
    return client.submit(f"/cases/{case.id}/due-diligence/company-check",
                         form_page=f"/cases/{case.id}/due-diligence")


@pytest.fixture
def at_due_diligence(journey, client):
    journey.organisation.company_number = "05555556"  # not on the register
    db.session.commit()
    journey.submit()
    client.sign_in(journey.commissioner)
    return journey


def checks() -> list[CompanyCheck]:
    return list(db.session.scalars(sa.select(CompanyCheck).order_by(CompanyCheck.id)))


def test_never_checked_says_so_and_names_the_offline_register(app, at_due_diligence, client):
    page = due_diligence_page(client, at_due_diligence.case)
    assert "Not checked yet" in page
    assert "offline copy of the Companies House register" in page


def test_a_number_with_no_company_is_recorded_and_shown(app, at_due_diligence, client):
    case = at_due_diligence.case
    response = check_companies_house(client, case)
    assert response.status_code == 302
    [check] = checks()
    assert check.outcome is CompanyCheckOutcome.NOT_FOUND
    assert check.company_number == "05555556"
    assert not check.live
    assert check.checked_by_id == at_due_diligence.commissioner.id
    event = last_event("company_check.made")
    assert event.details["outcome"] == "not_found"

    page = due_diligence_page(client, case)
    assert "Not checked yet" not in page
    assert "There is no company with number 05555556" in page  # the message after checking
    history = page.partition("Checks made")[2]
    assert "05555556" in history
    assert "No company with this number" in history
    assert "Offline copy of the register" in history
    assert at_due_diligence.commissioner.full_name in history


def test_a_register_that_does_not_answer_is_recorded_too(app, at_due_diligence, client,
                                                          monkeypatch):
    class Down:
        source = "Companies House public data API (https://api.example)"
        live = True

        def company_profile(self, number):
            raise RegistryUnavailable("Companies House did not answer in time. Try again "
                                      "in a few minutes.")

    monkeypatch.setattr("accreditation.stages.due_diligence.registry_from_config",
                        lambda config: Down())
    case = at_due_diligence.case
    assert check_companies_house(client, case).status_code == 302
    [check] = checks()
    assert check.outcome is CompanyCheckOutcome.UNAVAILABLE
    assert check.live
    history = due_diligence_page(client, case).partition("Checks made")[2]
    assert "Companies House did not answer" in history
    assert "Companies House (live)" in history


def test_each_attempt_is_kept_in_order(app, journey, client):
    journey.organisation.company_number = "09876543"  # Harbour Lights: on the register
    db.session.commit()
    case = journey.submit()
    client.sign_in(journey.commissioner)
    check_companies_house(client, case)
    check_companies_house(client, case)
    assert [check.outcome for check in checks()] == [CompanyCheckOutcome.FOUND] * 2
    history = due_diligence_page(client, case).partition("Checks made")[2]
    assert history.count("Found: HARBOUR LIGHTS HOUSING LTD") == 2


# --- putting the number right -----------------------------------------------------------------

def returned(journey) -> Case:
    case_operations.return_to_provider(
        journey.commissioner, journey.case, expected_version=journey.case.version,
        message="We found no company with your number: check it.",
        due_on=TODAY + timedelta(days=14))
    return journey.case


def details(number: str) -> dict:
    return {"registered_office": "1 High Street, London N1 1AA",
            "ico_registration_number": "ZA123456", "company_number": number}


@pytest.fixture
def provider(app, journey):
    browser = app.test_client()
    browser.sign_in(journey.provider)
    return browser


def test_the_provider_corrects_the_number_while_due_diligence_is_returned(
        app, at_due_diligence, provider):
    journey = at_due_diligence
    returned(journey)
    page = visible(provider.get("/provider/organisation").text)
    assert "Company number" in page
    response = provider.submit("/provider/organisation", details(" 09876 543 "))
    assert response.status_code == 302, visible(response.text)
    assert db.session.get(Organisation, journey.organisation.id).company_number == "09876543"
    event = last_event("organisation.company_number_changed")
    assert (event.details["from"], event.details["to"]) == ("05555556", "09876543")
    assert event.actor_id == journey.provider.id


@pytest.mark.parametrize("number, message", [
    ("ABCD1234", "Enter a company number of 8 characters"),
    ("1234567890", "Enter a company number of 8 characters"),
])
def test_a_number_that_is_not_a_company_number_is_refused(app, at_due_diligence, provider,
                                                          number, message):
    returned(at_due_diligence)
    response = provider.submit("/provider/organisation", details(number))
    assert response.status_code == 400
    assert message in visible(response.text)
    assert db.session.get(Organisation, at_due_diligence.organisation.id).company_number == \
        "05555556"


def test_a_number_another_organisation_has_is_refused(app, at_due_diligence, provider):
    OrganisationFactory(company_number="09876543")
    returned(at_due_diligence)
    response = provider.submit("/provider/organisation", details("09876543"))
    assert response.status_code == 400
    assert "Another organisation is registered with company number 09876543" in \
        visible(response.text)


def test_after_due_diligence_only_the_commissioning_team_can_change_the_number(
        app, journey, provider):
    journey.submit()
    journey.pass_due_diligence()
    case_operations.return_to_provider(
        journey.inspector, journey.case, expected_version=journey.case.version,
        message="Send the missing references.", due_on=TODAY + timedelta(days=14))
    page = visible(provider.get("/provider/organisation").text)
    assert "only the commissioning team can change it" in page
    before = db.session.get(Organisation, journey.organisation.id).company_number
    response = provider.submit("/provider/organisation", details("09876543"))
    assert response.status_code in (400, 409)
    assert db.session.get(Organisation, journey.organisation.id).company_number == before


def test_a_commissioner_corrects_the_number(app, at_due_diligence, client):
    journey = at_due_diligence
    organisation = journey.organisation
    url = f"/commissioner/providers/{organisation.id}"
    response = client.submit(f"{url}/company-number", {"company_number": "9876543"},
                             form_page=url)
    assert response.status_code == 302
    assert db.session.get(Organisation, organisation.id).company_number == "09876543"
    event = last_event("organisation.company_number_changed")
    assert event.actor_id == journey.commissioner.id
    response = client.submit(f"{url}/company-number", {"company_number": "nonsense"},
                             form_page=url)
    assert response.status_code == 400
    assert "Enter a company number of 8 characters" in visible(response.text)


# --- passing without a check ------------------------------------------------------------------

def pass_due_diligence(client, case, journey, **extra):
    return client.submit(f"/cases/{case.id}/due-diligence/pass",
                         {"version": str(case.version), "inspector_id": str(journey.inspector.id),
                          **extra}, form_page=f"/cases/{case.id}/due-diligence")


def answered(client, case):
    response = client.submit(f"/cases/{case.id}/due-diligence",
                             checklist_data(best_answers("due_diligence")))
    assert response.status_code == 302


def test_passing_without_a_successful_check_asks_for_confirmation(app, at_due_diligence,
                                                                   client):
    case = at_due_diligence.case
    check_companies_house(client, case)  # finds nothing
    answered(client, case)
    assert "Companies House has not confirmed this company" in due_diligence_page(client, case)
    response = pass_due_diligence(client, case, at_due_diligence)
    assert response.status_code == 200
    page = visible(response.text)
    assert "Warning" in page and "Companies House has not confirmed this company" in page
    assert "No company with this number" in page
    assert db.session.get(Case, case.id).status is CaseStatus.DUE_DILIGENCE

    response = pass_due_diligence(client, case, at_due_diligence,
                                  without_company_check="confirmed")
    assert response.status_code == 302
    assert db.session.get(Case, case.id).status is CaseStatus.FILE_SAMPLING
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "case.pass_due_diligence")).one()
    assert event.details["without_company_check"] is True


def test_a_check_of_the_number_as_it_is_now_passes_without_a_question(app, journey, client):
    journey.organisation.company_number = "05555556"
    db.session.commit()
    case = journey.submit()
    client.sign_in(journey.commissioner)
    check_companies_house(client, case)
    url = f"/commissioner/providers/{journey.organisation.id}"
    client.submit(f"{url}/company-number", {"company_number": "09876543"}, form_page=url)
    page = due_diligence_page(client, case)
    assert "Companies House has not confirmed this company" in page
    check_companies_house(client, case)
    answered(client, case)
    response = pass_due_diligence(client, case, journey)
    assert response.status_code == 302
    assert db.session.get(Case, case.id).status is CaseStatus.FILE_SAMPLING
