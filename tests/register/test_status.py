"""The one rule of who is on the register, and as what."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accreditation.cases import operations
from accreditation.cases.models import DecisionOutcome, ProposalKind
from accreditation.register.status import (
    CaseFacts,
    RegisterStatus,
    classify,
    deciding_case,
    organisations_on_register,
    property_on_register,
    provider_status,
    register_entry,
)
from accreditation.workflow import CaseStatus

from ..cases.journey import TODAY, Journey

DAY = date(2026, 11, 22)


def test_only_the_three_accredited_statuses_are_on_the_register():
    assert {status for status in RegisterStatus if status.on_register} == {
        RegisterStatus.ACCREDITED, RegisterStatus.ACCREDITED_WITH_CONDITIONS,
        RegisterStatus.REASSESSMENT_DUE}
    assert RegisterStatus.ACCREDITED_WITH_CONDITIONS.label == "Accredited with conditions"


@given(status=st.sampled_from(CaseStatus), days=st.integers(-400, 400),
       outcome=st.sampled_from([None, *DecisionOutcome]), conditions=st.integers(0, 3))
def test_a_case_not_in_force_never_puts_a_provider_on_the_register(status, days, outcome,
                                                                   conditions):
    result = classify(status, DAY + timedelta(days=days), outcome, conditions, DAY)
    in_force = status in {CaseStatus.ACCREDITED, CaseStatus.REASSESSMENT_DUE} and days >= 0
    assert result.on_register is in_force
    if status in {CaseStatus.SUSPENDED, CaseStatus.REVOKED}:
        assert result.value == status.value


def test_an_accreditation_past_its_expiry_counts_as_expired_before_tick_runs():
    assert classify(CaseStatus.ACCREDITED, DAY - timedelta(days=1), None, 0, DAY) is \
        RegisterStatus.EXPIRED
    assert classify(CaseStatus.ACCREDITED, DAY, None, 0, DAY) is RegisterStatus.ACCREDITED


def test_conditions_show_until_every_one_is_met_and_reassessment_wins():
    with_conditions = DecisionOutcome.ACCREDITED_WITH_CONDITIONS
    future = DAY + timedelta(days=100)
    assert classify(CaseStatus.ACCREDITED, future, with_conditions, 1, DAY) is \
        RegisterStatus.ACCREDITED_WITH_CONDITIONS
    assert classify(CaseStatus.ACCREDITED, future, with_conditions, 0, DAY) is \
        RegisterStatus.ACCREDITED
    assert classify(CaseStatus.REASSESSMENT_DUE, future, with_conditions, 2, DAY) is \
        RegisterStatus.REASSESSMENT_DUE


def test_a_newer_accreditation_in_force_decides_over_an_older_suspended_one():
    old = CaseFacts(1, CaseStatus.SUSPENDED, DAY - timedelta(days=300), DAY + timedelta(days=60))
    new = CaseFacts(2, CaseStatus.ACCREDITED, DAY - timedelta(days=10), DAY + timedelta(days=355))
    refused = CaseFacts(3, CaseStatus.REFUSED, None, None)
    assert deciding_case([old, new, refused], DAY) == new
    assert deciding_case([old, refused], DAY) == old
    assert deciding_case([refused], DAY) is None


def test_accredited_provider_is_on_the_register_with_its_passing_properties(journey):
    case = journey.all_the_way(failing_properties=1)
    entry = register_entry(journey.organisation)
    assert entry.status is RegisterStatus.ACCREDITED and entry.on_register
    assert entry.case == case
    assert entry.expires_on == case.expires_on
    passed = [link.home for link in case.properties if link.accredited]
    failed = [link.home for link in case.properties if not link.accredited]
    assert list(entry.properties) == passed and len(failed) == 1
    assert property_on_register(passed[0]) and not property_on_register(failed[0])
    assert organisations_on_register() == [journey.organisation]
    assert entry.snapshot()["status"] == "accredited"


@pytest.mark.parametrize("leave", ["suspend", "revoke", "expire"])
def test_suspended_revoked_or_expired_provider_is_never_accredited(journey, leave):
    case = journey.all_the_way()
    commissioner = journey.commissioner
    if leave == "revoke":
        journey.adverse(ProposalKind.REVOCATION, reasons="Not put right")
    else:
        operations.suspend(commissioner, case, reason="Safeguarding concern",
                           expected_version=case.version)
    if leave == "expire":
        operations.expire_accreditation(case, today=case.expires_on)
    entry = register_entry(journey.organisation)
    assert entry.status.value == {"suspend": "suspended", "revoke": "revoked",
                                  "expire": "expired"}[leave]
    assert not entry.on_register and entry.properties == ()
    assert not any(property_on_register(link.home) for link in case.properties)
    assert organisations_on_register() == []


def test_a_provider_never_accredited_has_no_entry(app, today, checklists):
    journey = Journey()
    journey.submit()
    assert register_entry(journey.organisation) is None
    assert provider_status(journey.organisation) is RegisterStatus.NOT_ACCREDITED


def test_accredited_with_conditions_until_the_conditions_are_met(journey):
    from accreditation.cases.operations import NewCondition

    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    case = journey.accredit(
        outcome=DecisionOutcome.ACCREDITED_WITH_CONDITIONS,
        conditions=[NewCondition("fire_doors", "Fire doors", "Fit self-closers.",
                              TODAY + timedelta(days=28))])
    assert provider_status(journey.organisation) is RegisterStatus.ACCREDITED_WITH_CONDITIONS
    action = case.conditions[0]
    operations.respond_to_condition(journey.provider, action, response="Fitted.")
    assert provider_status(journey.organisation) is RegisterStatus.ACCREDITED_WITH_CONDITIONS
    operations.confirm_condition(journey.inspector, action)
    assert provider_status(journey.organisation) is RegisterStatus.ACCREDITED
