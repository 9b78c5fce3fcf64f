"""Each form's own messages, on the field they are about, with nothing written on error."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from markupsafe import escape

from accreditation.cases.operations import start_application
from accreditation.extensions import db
from accreditation.providers.models import (
    KEY_POLICIES,
    FileType,
    Organisation,
    OrganisationPerson,
    Policy,
    Property,
    RosterEntry,
    Tenure,
)

from ..factories import PropertyFactory
from .conftest import TODAY, actions, count, day
from .factories import RosterEntryFactory

TOMORROW, YESTERDAY = TODAY + timedelta(days=1), TODAY - timedelta(days=1)


def assert_refused(response, field: str, message: str) -> None:
    assert response.status_code == 400, response.text
    assert "There is a problem" in response.text
    href = f"{field}-day" if field in DATE_FIELDS else field
    assert f'href="#{href}">{escape(message)}</a>' in response.text


DATE_FIELDS = {"appointed_on", "lease_ends_on", "insurance_expires_on", "started_on",
               *(f"policy_{name}" for name in KEY_POLICIES)}


# --- organisation details and people -----------------------------------------------------------

@pytest.mark.parametrize("office, message", [
    ("", "Enter your registered office address"),
    ("   ", "Enter your registered office address"),
    ("x" * 301, "The registered office must be 300 characters or fewer"),
])
def test_registered_office(signed_in, organisation, office, message):
    response = signed_in.submit("/provider/organisation", {"registered_office": office})
    assert_refused(response, "registered_office", message)
    assert db.session.get(Organisation, organisation.id).registered_office is None
    assert actions() == ["auth.signed_in"]


PERSON = {"full_name": "Dana Director", "role": "director", "appointed_on": day(YESTERDAY)}


@pytest.mark.parametrize("changes, field, message", [
    ({"full_name": ""}, "full_name", "Enter the person's full name"),
    ({"full_name": "x" * 121}, "full_name", "Full name must be 120 characters or fewer"),
    ({"role": ""}, "role", "Select the person's role"),
    ({"role": "chair"}, "role", "Select the person's role"),
    ({"appointed_on": day(TOMORROW)}, "appointed_on",
     "The date they were appointed must be today or in the past"),
    ({"appointed_on": ["", "4", "2020"]}, "appointed_on",
     "The date they were appointed must include a day"),
    ({"appointed_on": ["30", "2", "2020"]}, "appointed_on",
     "The date they were appointed must be a real date"),
], ids=lambda value: str(value)[:30])
def test_adding_a_person(signed_in, changes, field, message):
    response = signed_in.submit("/provider/organisation/people", {**PERSON, **changes},
                                form_page="/provider/organisation")
    assert_refused(response, field, message)
    assert count(OrganisationPerson) == 0
    assert actions() == ["auth.signed_in"]


# --- properties --------------------------------------------------------------------------------

PROPERTY = {
    "name": "Albion House", "address_line_1": "12 Albion Road", "address_line_2": "",
    "town": "London", "postcode": "N1 9GU", "category": "single_occupancy",
    "bed_spaces": "4", "age_min": "16", "age_max": "25", "who_for": "Care leavers",
}
PROPERTY_PROBLEMS = [
    ({"name": ""}, "name", "Enter a name for the property"),
    ({"name": "x" * 121}, "name", "The property's name must be 120 characters or fewer"),
    ({"address_line_1": " "}, "address_line_1",
     "Enter address line 1, typically the building and street"),
    ({"address_line_2": "x" * 121}, "address_line_2",
     "Address line 2 must be 120 characters or fewer"),
    ({"town": ""}, "town", "Enter the town or city"),
    ({"postcode": ""}, "postcode", "Enter the postcode"),
    ({"postcode": "N1"}, "postcode", "Enter a full UK postcode, like N1 9GU"),
    ({"postcode": "12345"}, "postcode", "Enter a full UK postcode, like N1 9GU"),
    ({"postcode": "N1 9G U1"}, "postcode", "Enter a full UK postcode, like N1 9GU"),
    ({"local_authority_id": ""}, "local_authority_id",
     "Select the local authority the property is in"),
    ({"local_authority_id": "999999"}, "local_authority_id",
     "Select the local authority the property is in"),
    ({"category": ""}, "category", "Select the category of accommodation"),
    ({"category": "castle"}, "category", "Select the category of accommodation"),
    ({"bed_spaces": ""}, "bed_spaces", "Enter the number of bed spaces"),
    ({"bed_spaces": "0"}, "bed_spaces", "The number of bed spaces must be between 1 and 50"),
    ({"bed_spaces": "51"}, "bed_spaces", "The number of bed spaces must be between 1 and 50"),
    ({"bed_spaces": "four"}, "bed_spaces",
     "The number of bed spaces must be a whole number, like 4"),
    ({"bed_spaces": "2.5"}, "bed_spaces",
     "The number of bed spaces must be a whole number, like 4"),
    ({"bed_spaces": "1e1"}, "bed_spaces",
     "The number of bed spaces must be a whole number, like 4"),
    ({"bed_spaces": "1_0"}, "bed_spaces",
     "The number of bed spaces must be a whole number, like 4"),
    ({"bed_spaces": "\u0663"}, "bed_spaces",  # an Arabic-Indic 3
     "The number of bed spaces must be a whole number, like 4"),
    ({"bed_spaces": "-3"}, "bed_spaces", "The number of bed spaces must be between 1 and 50"),
    ({"age_min": ""}, "age_min", "Enter the youngest age the property is for"),
    ({"age_min": "15"}, "age_min", "The youngest age must be between 16 and 25"),
    ({"age_max": "26"}, "age_max", "The oldest age must be between 16 and 25"),
    ({"age_min": "21", "age_max": "18"}, "age_max",
     "The oldest age must be the same as or more than the youngest age"),
    ({"who_for": ""}, "who_for", "Enter who the property is for, like care leavers"),
    ({"who_for": "x" * 201}, "who_for", "Who the property is for must be 200 characters or fewer"),
]


@pytest.mark.parametrize("changes, field, message", PROPERTY_PROBLEMS,
                         ids=lambda value: str(value)[:30])
def test_adding_a_property(signed_in, council, changes, field, message):
    data = {**PROPERTY, "local_authority_id": str(council.id), **changes}
    response = signed_in.submit("/provider/properties/new", data)
    assert_refused(response, field, message)
    assert count(Property) == 0
    assert actions() == ["auth.signed_in"]


@pytest.mark.parametrize("changes, field, message", PROPERTY_PROBLEMS[:8],
                         ids=lambda value: str(value)[:30])
def test_changing_a_property(signed_in, organisation, council, changes, field, message):
    home = PropertyFactory(organisation=organisation, name="Old Name")
    data = {**PROPERTY, "local_authority_id": str(council.id), **changes}
    response = signed_in.submit(f"/provider/properties/{home.id}/edit", data)
    assert_refused(response, field, message)
    assert db.session.get(Property, home.id).name == "Old Name"
    assert actions() == ["auth.signed_in"]


def test_every_problem_is_shown_at_once_even_with_an_unreadable_number(signed_in, council):
    response = signed_in.submit("/provider/properties/new", {
        **PROPERTY, "name": "", "postcode": "nonsense", "bed_spaces": "lots",
        "local_authority_id": str(council.id)})
    assert_refused(response, "name", "Enter a name for the property")
    assert_refused(response, "postcode", "Enter a full UK postcode, like N1 9GU")
    assert_refused(response, "bed_spaces",
                   "The number of bed spaces must be a whole number, like 4")
    assert "Enter the number of bed spaces" not in response.text  # one message per field


def test_what_was_typed_is_kept_when_a_form_is_refused(signed_in, council):
    response = signed_in.submit("/provider/properties/new", {
        **PROPERTY, "name": "", "town": "Hackney", "local_authority_id": str(council.id)})
    assert 'value="Hackney"' in response.text
    assert f'<option value="{council.id}" selected>' in response.text


# --- landlord arrangements ---------------------------------------------------------------------

LEASE = {"tenure": "leased", "landlord_name": "Bridge Estates",
         "lease_ends_on": day(TODAY + timedelta(days=365)), "landlord_consent": "yes"}


@pytest.mark.parametrize("changes, field, message", [
    ({"tenure": ""}, "tenure", "Select who owns the property"),
    ({"tenure": "borrowed"}, "tenure", "Select who owns the property"),
    ({"landlord_name": ""}, "landlord_name", "Enter the landlord's name"),
    ({"landlord_name": "x" * 161}, "landlord_name",
     "The landlord's name must be 160 characters or fewer"),
    ({"lease_ends_on": ["", "", ""]}, "lease_ends_on",
     "Enter the date the lease or agreement ends"),
    ({"lease_ends_on": day(TODAY)}, "lease_ends_on",
     "The date the lease or agreement ends must be in the future"),
    ({"lease_ends_on": day(YESTERDAY)}, "lease_ends_on",
     "The date the lease or agreement ends must be in the future"),
    ({"lease_ends_on": ["1", "", "2028"]}, "lease_ends_on",
     "The date the lease or agreement ends must include a month"),
    ({"lease_ends_on": ["", "", "2028"]}, "lease_ends_on",
     "The date the lease or agreement ends must include a day and a month"),
    ({"lease_ends_on": ["31", "2", "2028"]}, "lease_ends_on",
     "The date the lease or agreement ends must be a real date"),
    ({"lease_ends_on": ["1", "March", "2028"]}, "lease_ends_on",
     "The date the lease or agreement ends must be a real date"),
    ({"lease_ends_on": ["1", "3", "28"]}, "lease_ends_on", "Year must include 4 numbers"),
    ({"landlord_consent": ""}, "landlord_consent",
     "Select whether the landlord has agreed to the property being used for young people"),
    ({"tenure": "management_agreement", "landlord_consent": ""}, "landlord_consent",
     "Select whether the landlord has agreed to the property being used for young people"),
], ids=lambda value: str(value)[:30])
def test_landlord_arrangements(signed_in, organisation, changes, field, message):
    home = PropertyFactory(organisation=organisation)
    response = signed_in.submit(f"/provider/properties/{home.id}/landlord", {**LEASE, **changes})
    assert_refused(response, field, message)
    assert db.session.get(Property, home.id).tenure is None
    assert actions() == ["auth.signed_in"]


def test_an_owned_property_keeps_no_landlord_answers(signed_in, organisation):
    """Without JavaScript the landlord fields are always shown: what is typed there for a
    property the provider owns is not kept."""
    home = PropertyFactory(organisation=organisation)
    response = signed_in.submit(f"/provider/properties/{home.id}/landlord",
                                {**LEASE, "tenure": "owned", "lease_ends_on": day(YESTERDAY)})
    assert response.status_code == 302
    home = db.session.get(Property, home.id)
    assert (home.tenure, home.landlord_name, home.lease_ends_on, home.landlord_consent) == (
        Tenure.OWNED, None, None, None)
    assert home.landlord_arrangements_complete


def test_a_landlord_who_has_not_consented_is_recorded(signed_in, organisation):
    home = PropertyFactory(organisation=organisation)
    response = signed_in.submit(f"/provider/properties/{home.id}/landlord",
                                {**LEASE, "landlord_consent": "no"})
    assert response.status_code == 302
    assert db.session.get(Property, home.id).landlord_consent is False


def test_the_landlord_fields_work_without_javascript(signed_in, organisation):
    home = PropertyFactory(organisation=organisation)
    page = signed_in.get(f"/provider/properties/{home.id}/landlord").text
    assert 'id="landlord-fields"' in page
    assert 'id="landlord-fields" hidden' not in page  # only the script hides them
    assert "Only if the property is leased from a landlord or managed for one" in page


# --- insurance and policies --------------------------------------------------------------------

INSURANCE = {
    "insurer": "Example Mutual", "public_liability_millions": "5",
    "employers_liability_millions": "10", "professional_indemnity_millions": "2",
    "insurance_expires_on": day(TOMORROW),
    **{f"policy_{name}": day(YESTERDAY) for name in KEY_POLICIES},
}


@pytest.mark.parametrize("changes, field, message", [
    ({"insurer": ""}, "insurer", "Enter the name of your insurer"),
    ({"insurer": "x" * 121}, "insurer", "The insurer's name must be 120 characters or fewer"),
    ({"public_liability_millions": ""}, "public_liability_millions",
     "Enter your public liability cover in millions of pounds"),
    ({"public_liability_millions": "0"}, "public_liability_millions",
     "Your public liability cover must be between £1 million and £1,000 million"),
    ({"public_liability_millions": "-5"}, "public_liability_millions",
     "Your public liability cover must be between £1 million and £1,000 million"),
    ({"public_liability_millions": "1e9"}, "public_liability_millions",
     "Public liability cover must be a number of millions, like 5 or 2.5"),
    ({"public_liability_millions": "2.555"}, "public_liability_millions",
     "Your public liability cover can have up to 2 decimal places, like 2.5"),
    ({"public_liability_millions": "\u0665"}, "public_liability_millions",  # an Arabic-Indic 5
     "Public liability cover must be a number of millions, like 5 or 2.5"),
    ({"employers_liability_millions": "ten"}, "employers_liability_millions",
     "Employer's liability cover must be a number of millions, like 10 or 7.5"),
    ({"employers_liability_millions": "5000"}, "employers_liability_millions",
     "Your employer's liability cover must be between £1 million and £1,000 million"),
    ({"insurance_expires_on": ["", "", ""]}, "insurance_expires_on",
     "Enter the date your insurance expires"),
    ({"insurance_expires_on": day(TODAY)}, "insurance_expires_on",
     "The date your insurance expires must be in the future"),
    ({"insurance_expires_on": ["12", "13", "2027"]}, "insurance_expires_on",
     "The date your insurance expires must be a real date"),
    ({"policy_safeguarding": day(TOMORROW)}, "policy_safeguarding",
     "The date your safeguarding policy was last reviewed must be today or in the past"),
    ({"policy_statement_of_purpose": ["1", "1", ""]}, "policy_statement_of_purpose",
     "The date your statement of purpose was last reviewed must include a year"),
], ids=lambda value: str(value)[:30])
def test_insurance_and_policies(signed_in, organisation, changes, field, message):
    response = signed_in.submit("/provider/insurance-and-policies", {**INSURANCE, **changes})
    assert_refused(response, field, message)
    assert db.session.get(Organisation, organisation.id).insurer is None
    assert count(Policy) == 0
    assert actions() == ["auth.signed_in"]


def test_a_policy_left_blank_is_not_recorded_and_a_cleared_one_is_removed(signed_in,
                                                                         organisation):
    data = {**INSURANCE, "policy_whistleblowing": ["", "", ""]}
    assert signed_in.submit("/provider/insurance-and-policies", data).status_code == 302
    names = set(db.session.scalars(sa.select(Policy.name)))
    assert names == set(KEY_POLICIES) - {"whistleblowing"}
    data = {**INSURANCE, "policy_whistleblowing": ["", "", ""], "policy_complaints": ["", "", ""]}
    assert signed_in.submit("/provider/insurance-and-policies", data).status_code == 302
    names = set(db.session.scalars(sa.select(Policy.name)))
    assert names == set(KEY_POLICIES) - {"whistleblowing", "complaints"}


@pytest.mark.parametrize("typed", ["2.5", "£2.5m", "2.50", "£2.5 million"])
def test_cover_of_two_and_a_half_million_is_kept_exactly(signed_in, provider, organisation,
                                                        typed):
    response = signed_in.submit("/provider/insurance-and-policies",
                                {**INSURANCE, "public_liability_millions": typed,
                                 "employers_liability_millions": "1,000"})
    assert response.status_code == 302, response.text
    stored = db.session.get(Organisation, organisation.id)
    assert (stored.public_liability_millions, stored.employers_liability_millions) == (
        Decimal("2.5"), Decimal("1000"))
    page = signed_in.get("/provider/insurance-and-policies").text
    assert re.search(r'<input[^>]* name="public_liability_millions"[^>]* value="2.5"', page)
    start_application(provider)
    assert "£2.5 million public liability, £1,000 million employer&#39;s liability" in \
        signed_in.get("/provider/application/submit").text


def test_the_insurance_page_shows_what_was_saved(signed_in, organisation):
    signed_in.submit("/provider/insurance-and-policies", INSURANCE)
    page = signed_in.get("/provider/insurance-and-policies").text
    assert 'value="Example Mutual"' in page
    assert f'id="insurance_expires_on-year" name="insurance_expires_on" type="text" ' \
           f'value="{TOMORROW.year}"' in page


# --- rosters -----------------------------------------------------------------------------------

FILE = {"file_type": "staff", "reference": "STAFF-014", "role": "Support worker",
        "started_on": day(YESTERDAY)}
NO_PERSONAL = "This service must not hold the names or contact details of staff or young people"


@pytest.mark.parametrize("changes, field, message", [
    ({"file_type": ""}, "file_type",
     "Select whether this is a staff file or a young person's file"),
    ({"reference": ""}, "reference", "Enter the file's reference, like STAFF-014"),
    ({"reference": "Jane Smith"}, "reference",
     "A reference can only include letters, numbers and hyphens, like STAFF-014, with no "
     f"spaces. {NO_PERSONAL}"),
    ({"reference": "jane.smith@example.org"}, "reference",
     f"Enter your own file reference, not an email address. {NO_PERSONAL}"),
    ({"reference": "Jane-Smith"}, "reference",
     "A reference must include at least one number, like STAFF-014, so that it cannot be a "
     f"person's name. {NO_PERSONAL}"),
    ({"reference": "JANE"}, "reference",
     "A reference must include at least one number, like STAFF-014, so that it cannot be a "
     f"person's name. {NO_PERSONAL}"),
    ({"reference": "S_014"}, "reference",
     "A reference can only include letters, numbers and hyphens, like STAFF-014, with no "
     f"spaces. {NO_PERSONAL}"),
    ({"reference": "S" * 39 + "12"}, "reference", "A reference must be 40 characters or fewer"),
    ({"reference": "staff-001"}, "reference",
     "You have already added a staff file with the reference STAFF-001"),
    ({"reference": "07700-900123"}, "reference",
     f"Enter your own file reference, not a phone number. {NO_PERSONAL}"),
    ({"role": ""}, "role", "Enter the role, like support worker or care leaver"),
    ({"role": "Jane Smith jane.smith@example.org"}, "role",
     f"Enter the role, like support worker or care leaver, not an email address. {NO_PERSONAL}"),
    ({"role": "Support worker, 07700 900123"}, "role",
     f"Enter the role, like support worker or care leaver, not a phone number. {NO_PERSONAL}"),
    ({"role": "x" * 81}, "role", "The role must be 80 characters or fewer"),
    ({"started_on": ["", "", ""]}, "started_on", "Enter the date they started"),
    ({"started_on": day(TOMORROW)}, "started_on",
     "The date they started must be today or in the past"),
], ids=lambda value: str(value)[:30])
def test_adding_a_file(signed_in, organisation, changes, field, message):
    RosterEntryFactory(organisation=organisation, reference="STAFF-001")
    response = signed_in.submit("/provider/files", {**FILE, **changes})
    assert_refused(response, field, message)
    assert count(RosterEntry) == 1
    assert actions() == ["auth.signed_in"]


def test_a_reference_may_repeat_across_file_types(signed_in, organisation):
    RosterEntryFactory(organisation=organisation, reference="F-001")
    response = signed_in.submit("/provider/files", {**FILE, "reference": "f-001",
                                                    "file_type": "young_person"})
    assert response.status_code == 302
    assert {(e.file_type, e.reference) for e in db.session.scalars(sa.select(RosterEntry))} == {
        (FileType.STAFF, "F-001"), (FileType.YOUNG_PERSON, "F-001")}


def test_another_organisations_references_do_not_count_as_duplicates(signed_in):
    RosterEntryFactory(reference="STAFF-014")
    assert signed_in.submit("/provider/files", FILE).status_code == 302
    assert count(RosterEntry) == 2
