"""The provider operations on their own: what the CLI and the API would call."""

from __future__ import annotations

import pytest

from accreditation.cases import operations as case_operations
from accreditation.errors import NotPermitted, ValidationFailed
from accreditation.extensions import db
from accreditation.providers import operations
from accreditation.providers.models import AccommodationCategory, Property
from accreditation.providers.operations import EditingFrozen, Problems, PropertyDetails

from ..factories import PropertyFactory, UserFactory
from .conftest import actions, last_event
from .factories import complete_application_data


@pytest.mark.parametrize("raw, normalised", [
    ("n1 9gu", "N1 9GU"), ("N19GU", "N1 9GU"), ("  sw1a  1aa ", "SW1A 1AA"),
    ("EC1A1BB", "EC1A 1BB"), ("W1A 0AX", "W1A 0AX"), ("M1 1AE", "M1 1AE"),
    ("B33 8TH", "B33 8TH"), ("CR2 6XH", "CR2 6XH"), ("DN55 1PT", "DN55 1PT"),
    ("GIR 0AA", "GIR 0AA"),
    ("", None), ("N1", None), ("9GU", None), ("N1 9G", None), ("NN1 9GUU", None),
    ("1N 9GU", None), ("N1 9GU X", None), ("N1-9GU", None), ("AI1 1AA", None),
])
def test_postcodes_are_checked_and_written_one_way(raw, normalised):
    assert operations.normalise_postcode(raw) == normalised


def _details(council, **changes) -> PropertyDetails:
    return PropertyDetails(**{
        "name": "Albion House", "address_line_1": "12 Albion Road", "town": "London",
        "postcode": "n1 9gu", "local_authority_id": council.id,
        "category": AccommodationCategory.SINGLE_OCCUPANCY, "bed_spaces": 3, "age_min": 16,
        "age_max": 25, "who_for": " Care leavers ", **changes})


def test_all_problems_come_together(provider, council):
    with pytest.raises(Problems) as raised:
        operations.add_property(provider, _details(council, name="", bed_spaces=0,
                                                   category=None, age_min=None))
    assert set(raised.value.problems) == {"name", "bed_spaces", "category", "age_min"}
    assert raised.value.field == "name"  # the first, for callers that show one


def test_a_property_is_stored_tidied(provider, council):
    home = operations.add_property(provider, _details(council))
    assert (home.postcode, home.who_for, home.address_line_2) == ("N1 9GU", "Care leavers", None)
    assert actions() == ["property.added"]


def test_an_update_audits_the_fields_that_changed_and_nothing_else(provider, council):
    home = operations.add_property(provider, _details(council))
    operations.update_property(provider, home, _details(council, bed_spaces=5,
                                                         town="Hackney"))
    assert last_event("property.updated").details["fields"] == ["town", "bed_spaces"]
    operations.update_property(provider, home, _details(council, bed_spaces=5,
                                                         town="Hackney"))
    assert actions().count("property.updated") == 1  # no change, no event


def test_bed_spaces_cannot_drop_below_the_vacancies_recorded(provider, council):
    home = PropertyFactory(organisation=provider.organisation, bed_spaces=4, vacancies=3,
                           local_authority=council)
    with pytest.raises(Problems) as raised:
        operations.update_property(provider, home, _details(council, bed_spaces=2))
    assert raised.value.problems == {
        "bed_spaces": "This property has 3 vacancies recorded, so it needs at least 3 bed "
                      "spaces"}
    db.session.rollback()
    assert db.session.get(Property, home.id).bed_spaces == 4


def test_only_providers_act_on_provider_records(app, council):
    commissioner = UserFactory(commissioner=True)
    with pytest.raises(NotPermitted):
        operations.add_property(commissioner, _details(council))
    with pytest.raises(NotPermitted):
        operations.update_organisation_details(commissioner, registered_office="1 Road")


def test_editing_is_refused_while_assessed_for_every_operation(provider, organisation, council):
    complete_application_data(organisation)
    case = case_operations.start_application(provider)
    case_operations.submit_application(provider, case, expected_version=case.version)
    home = organisation.properties[0]
    attempts = [
        lambda: operations.update_organisation_details(provider, registered_office="Elsewhere"),
        lambda: operations.add_person(provider, full_name="New Person",
                                      role=organisation.people[0].role),
        lambda: operations.remove_person(provider, organisation.people[0]),
        lambda: operations.add_property(provider, _details(council)),
        lambda: operations.update_property(provider, home, _details(council)),
        lambda: operations.remove_property(provider, home),
        lambda: operations.set_landlord_arrangements(provider, home, tenure=home.tenure),
        lambda: operations.set_insurance_and_policies(
            provider, insurer="X", public_liability_millions=1,
            employers_liability_millions=1, insurance_expires_on=None,
            policies_reviewed_on={}),
        lambda: operations.add_roster_entry(provider, file_type=None, reference="A-1",
                                            role="x", started_on=None),
        lambda: operations.remove_roster_entry(provider, organisation.roster[0]),
    ]
    for attempt in attempts:
        with pytest.raises(EditingFrozen, match="Your application is being assessed"):
            attempt()
    assert operations.editing_frozen_reason(organisation) is not None


def test_removing_a_registered_manager_is_refused_with_what_to_do(provider):
    manager = operations.add_person(provider, full_name="Manny Manager",
                                    role=operations.PersonRole.REGISTERED_MANAGER)
    with pytest.raises(ValidationFailed, match="add the new registered manager"):
        operations.remove_person(provider, manager)


def test_the_application_state_reads_the_machine(provider, organisation):
    state = operations.application_state(organisation)
    assert (state.case, state.can_start, state.can_withdraw) == (None, True, False)
    case = case_operations.start_application(provider)
    state = operations.application_state(organisation)
    assert state.case == case and state.is_draft and state.can_withdraw
    assert not state.can_start and not state.being_assessed
    complete_application_data(organisation)
    case_operations.submit_application(provider, case, expected_version=case.version)
    state = operations.application_state(organisation)
    assert state.being_assessed and state.can_withdraw and not state.is_draft
