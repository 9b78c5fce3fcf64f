"""Factories for a provider's own records and for cases as the provider's pages meet them.

Kept here rather than in ``tests/factories.py`` while the staff side is built in parallel;
they use the same base (committed rows).
"""

from __future__ import annotations

from datetime import date

import factory

from accreditation.auth.models import Role
from accreditation.cases.models import Case, Condition
from accreditation.providers.models import (
    KEY_POLICIES,
    FileType,
    OrganisationPerson,
    PersonRole,
    Policy,
    RosterEntry,
    Tenure,
)
from accreditation.workflow import CaseStatus

from ..factories import (
    BaseFactory,
    OrganisationFactory,
    PropertyFactory,
    UserFactory,
    attach_required_evidence,
)


class OrganisationPersonFactory(BaseFactory):
    class Meta:
        model = OrganisationPerson

    organisation = factory.SubFactory(OrganisationFactory)
    full_name = factory.Sequence(lambda n: f"Person {n}")
    role = PersonRole.DIRECTOR


class PolicyFactory(BaseFactory):
    class Meta:
        model = Policy

    organisation = factory.SubFactory(OrganisationFactory)
    name = "safeguarding"
    last_reviewed_on = date(2026, 6, 1)


class RosterEntryFactory(BaseFactory):
    class Meta:
        model = RosterEntry

    organisation = factory.SubFactory(OrganisationFactory)
    file_type = FileType.STAFF
    reference = factory.Sequence(lambda n: f"S-{n:03d}")
    role = "Support worker"
    started_on = date(2025, 1, 1)


class AccreditedCaseFactory(BaseFactory):
    """An accredited case, set straight into that state: the provider's pages only read it
    (tests/cases walks the real route to a decision)."""

    class Meta:
        model = Case

    organisation = factory.SubFactory(OrganisationFactory)
    status = CaseStatus.ACCREDITED
    accredited_on = date(2026, 10, 1)
    expires_on = date(2027, 10, 1)


class ConditionFactory(BaseFactory):
    class Meta:
        model = Condition

    case = factory.SubFactory(AccreditedCaseFactory)
    item_id = factory.Sequence(lambda n: f"item-{n}")
    item_title = factory.Sequence(lambda n: f"Fire doors {n}")
    description = "Fit self-closing fire doors to every bedroom."
    due_on = date(2027, 1, 31)


def complete_application_data(organisation, *, properties: int = 2) -> None:
    """Everything the task list asks for, so the organisation can submit."""
    organisation.registered_office = "1 High Street, London N1 1AA"
    organisation.ico_registration_number = "ZA123456"
    organisation.insurer = "Example Mutual"
    organisation.professional_indemnity_pounds = 2_000_000
    organisation.public_liability_millions = 5
    organisation.employers_liability_millions = 10
    organisation.insurance_expires_on = date(2027, 9, 30)
    OrganisationPersonFactory(organisation=organisation, role=PersonRole.DIRECTOR)
    OrganisationPersonFactory(organisation=organisation, role=PersonRole.REGISTERED_MANAGER)
    for name in KEY_POLICIES:
        PolicyFactory(organisation=organisation, name=name)
    RosterEntryFactory(organisation=organisation, file_type=FileType.STAFF)
    RosterEntryFactory(organisation=organisation, file_type=FileType.YOUNG_PERSON,
                       reference="Y-001", role="Care leaver")
    for _ in range(properties):
        PropertyFactory(organisation=organisation, tenure=Tenure.OWNED)
    provider = next((user for user in organisation.users if user.role is Role.PROVIDER), None)
    attach_required_evidence(provider or UserFactory(provider=True, organisation=organisation))
