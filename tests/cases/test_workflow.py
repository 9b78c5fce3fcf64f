"""The case lifecycle through its operations: guards, permissions, conflicts, audit."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from accreditation import workflow
from accreditation.audit import AuditEvent
from accreditation.cases import operations
from accreditation.cases.models import (
    Case,
    ConditionStatus,
    DecisionOutcome,
    InspectionOutcome,
    ProposalKind,
)
from accreditation.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    NotPermitted,
    ValidationFailed,
)
from accreditation.extensions import db
from accreditation.stages.file_sampling import draw_file_samples, redraw, samples_for
from accreditation.workflow import CaseStatus

from ..factories import UserFactory
from .journey import TODAY, best_answers


def case_events(case) -> list[str]:
    return list(db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.subject_type == "accreditation_case",
                                           AuditEvent.subject_id == str(case.id),
                                           AuditEvent.action.like("case.%"))
        .order_by(AuditEvent.seq)))


def test_the_whole_journey_to_accreditation(journey):
    case = journey.all_the_way()
    assert case.status is CaseStatus.ACCREDITED
    assert case.accredited_on == TODAY
    assert case.expires_on == date(2027, 11, 22)
    assert all(link.accredited for link in case.properties)
    # Exactly one audit event per transition (plus the start, which is not a transition).
    assert case_events(case) == [
        "case.started", "case.submit", "case.pass_due_diligence", "case.complete_file_sampling",
        "case.complete_property_inspections", "case.accredit"]


def test_only_properties_that_passed_are_accredited(journey):
    case = journey.all_the_way(failing_properties=1)
    outcomes = {(link.outcome, link.accredited) for link in case.properties}
    assert outcomes == {(InspectionOutcome.FAILED, False), (InspectionOutcome.PASSED, True)}
    assert len(case.accredited_properties) == 1


def test_submitting_an_incomplete_application_names_what_is_missing(app, today, checklists):
    provider = UserFactory(provider=True)
    case = operations.start_application(provider)
    with pytest.raises(ValidationFailed,
                       match="complete organisation details; complete properties"):
        operations.submit_application(provider, case, expected_version=case.version)
    assert db.session.get(Case, case.id).status is CaseStatus.DRAFT


def test_one_open_application_at_a_time(journey):
    journey.submit()
    with pytest.raises(InvalidTransition, match="already has an application"):
        operations.start_application(journey.provider)


@pytest.mark.parametrize("stage, advance", [
    (CaseStatus.DUE_DILIGENCE, lambda j: None),
    (CaseStatus.FILE_SAMPLING, lambda j: j.pass_due_diligence()),
    (CaseStatus.PROPERTY_INSPECTION, lambda j: (j.pass_due_diligence(),
                                                j.complete_file_sampling())),
])
def test_a_return_at_each_stage_goes_back_to_that_stage(journey, stage, advance):
    case = journey.submit()
    advance(journey)
    assert case.status is stage
    actor = journey.commissioner if stage is CaseStatus.DUE_DILIGENCE else journey.inspector
    operations.return_to_provider(actor, case, message="Send the lease for Albion House.",
                                  due_on=TODAY + timedelta(days=14),
                                  expected_version=case.version)
    assert case.status is workflow.RETURNED[stage]
    operations.resubmit(journey.provider, case, response="Lease uploaded.",
                        expected_version=case.version)
    assert case.status is stage
    assert case.return_message is None


@pytest.mark.parametrize("message, due_on, error", [
    ("", TODAY + timedelta(days=14), "Say what the provider needs to send"),
    ("Send the lease.", TODAY, "The deadline must be in the future"),
])
def test_a_return_needs_a_message_and_a_future_deadline(journey, message, due_on, error):
    case = journey.submit()
    with pytest.raises(ValidationFailed, match=error):
        operations.return_to_provider(journey.commissioner, case, message=message,
                                      due_on=due_on, expected_version=case.version)
    assert case.status is CaseStatus.DUE_DILIGENCE


@pytest.mark.parametrize("days", [0, -1])
def test_a_reassessment_is_due_on_a_future_date(journey, days):
    """A due date already reached would make the accreditation overdue at once (the nightly
    tick suspends it) before the provider could do anything."""
    case = journey.all_the_way()
    with pytest.raises(ValidationFailed, match="The date the reassessment is due by must be "
                                               "in the future") as raised:
        operations.require_reassessment(journey.commissioner, case, reason="Annual check.",
                                        due_by=TODAY + timedelta(days=days),
                                        expected_version=case.version)
    assert raised.value.field == "due_on"
    db.session.rollback()
    assert db.session.get(Case, case.id).status is CaseStatus.ACCREDITED


def test_an_illegal_transition_is_refused_and_changes_nothing(journey):
    case = journey.submit()
    version = case.version
    with pytest.raises(InvalidTransition, match="at the due diligence stage, so you cannot"):
        workflow.fire(case, "accredit", actor=journey.commissioner)
    assert (case.status, case.version) == (CaseStatus.DUE_DILIGENCE, version)
    db.session.rollback()
    assert db.session.get(Case, case.id).status is CaseStatus.DUE_DILIGENCE


@pytest.mark.parametrize("role", ["provider", "inspector", "social_worker"])
def test_only_commissioners_pass_due_diligence(journey, role):
    case = journey.submit()
    actor = journey.provider if role == "provider" else UserFactory(**{role: True})
    with pytest.raises((NotPermitted, NotFound)):
        operations.pass_due_diligence(actor, case, inspector=journey.inspector,
                                      expected_version=case.version)
    assert case.status is CaseStatus.DUE_DILIGENCE


def test_a_stale_version_is_a_conflict_not_an_overwrite(journey):
    case = journey.submit()
    seen = case.version
    operations.return_to_provider(journey.commissioner, case, message="Send the lease.",
                                  due_on=TODAY + timedelta(days=7), expected_version=seen)
    with pytest.raises(Conflict, match="changed by someone else"):
        operations.propose(journey.commissioner, case, kind=ProposalKind.REFUSAL,
                           reasons="Not fit.", expected_version=seen)
    assert case.status is CaseStatus.RETURNED_AT_DUE_DILIGENCE


def test_a_concurrent_update_is_detected_by_the_version_counter(app, journey):
    from sqlalchemy.orm import Session

    case = journey.submit()
    # This worker has the case in hand (as loaded at the start of its request)...
    db.session.commit()
    assert case.status is CaseStatus.DUE_DILIGENCE
    db.session.expunge(case)
    db.session.rollback()  # its read transaction is over; its copy of the case is not reloaded
    # ...when another worker, in its own session, changes it first.
    with Session(db.engine) as other:
        theirs = other.get(Case, case.id)
        theirs.return_message = "changed elsewhere"
        other.commit()
    db.session.add(case)
    with pytest.raises(Conflict, match="at the same moment"):
        operations.withdraw_application(journey.provider, case, expected_version=None)
    assert db.session.get(Case, case.id).status is CaseStatus.DUE_DILIGENCE


def test_nobody_decides_on_their_own_inspection(journey):
    journey.submit()
    journey.pass_due_diligence()
    journey.inspector = journey.deciding_commissioner = journey.commissioner
    journey.case.inspector_id = journey.commissioner.id
    db.session.commit()
    journey.complete_file_sampling()
    journey.inspect_properties()
    with pytest.raises(NotPermitted, match="another commissioner must decide"):
        journey.accredit()
    assert journey.case.status is CaseStatus.AWAITING_DECISION


def test_accreditation_needs_a_passed_property(journey):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties(failing=2)
    with pytest.raises(ValidationFailed, match="can only be refused"):
        journey.accredit()


def test_conditions_are_corrective_actions_the_provider_answers(journey):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    condition = operations.NewCondition("damp_and_mould", "Damp and mould",
                                     "Treat the mould in bedroom 2.", TODAY + timedelta(days=28))
    journey.accredit(outcome=DecisionOutcome.ACCREDITED_WITH_CONDITIONS, conditions=[condition])
    (action,) = journey.case.conditions
    operations.respond_to_condition(journey.provider, action, response="Treated and repainted.")
    assert action.status is ConditionStatus.RESPONDED
    operations.confirm_condition(journey.inspector, action)
    assert action.status is ConditionStatus.CONFIRMED


def test_refusal_sets_a_cooling_off_period(journey):
    case = journey.submit()
    journey.adverse(ProposalKind.REFUSAL, reasons="Accounts overdue.")
    assert case.status is CaseStatus.REFUSED
    assert case.reapply_from == TODAY + timedelta(days=90)
    with pytest.raises(InvalidTransition, match="apply again from 20 February 2027"):
        operations.start_application(journey.provider)


def test_suspend_reinstate_and_revoke(journey):
    case = journey.all_the_way()
    operations.suspend(journey.commissioner, case, reason="Safeguarding concern.",
                       expected_version=case.version)
    assert case.status is CaseStatus.SUSPENDED
    operations.make_representations(journey.provider, case, text="It is resolved.")
    operations.decide_proposal(journey.deciding_commissioner, case,
                               decision=operations.ProposalDecision.WITHDRAW,
                               consideration="Resolved.", expected_version=case.version)
    assert case.status is CaseStatus.ACCREDITED
    operations.suspend(journey.commissioner, case, reason="Concern again.",
                       expected_version=case.version)
    operations.make_representations(journey.provider, case, text="Again resolved.")
    operations.decide_proposal(journey.deciding_commissioner, case,
                               decision=operations.ProposalDecision.CONFIRM,
                               consideration="Not resolved.", expected_version=case.version)
    journey.adverse(ProposalKind.REVOCATION, reasons="Concern upheld.")
    assert case.status is CaseStatus.REVOKED
    assert not case.accredited_properties


def test_withdrawal_by_the_provider(journey):
    case = journey.submit()
    operations.withdraw_application(journey.provider, case, expected_version=case.version)
    assert case.status is CaseStatus.WITHDRAWN
    with pytest.raises(InvalidTransition):
        operations.withdraw_application(journey.provider, case, expected_version=case.version)


def test_a_provider_cannot_act_on_another_providers_case(journey):
    case = journey.submit()
    stranger = UserFactory(provider=True)
    with pytest.raises(NotFound):
        operations.withdraw_application(stranger, case, expected_version=case.version)
    assert case.status is CaseStatus.DUE_DILIGENCE
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "access.denied", AuditEvent.actor_id == stranger.id)) == 1


def test_the_sample_is_reproducible_and_survives_roster_changes(journey):
    from accreditation.providers.models import RosterEntry

    journey.submit()
    journey.pass_due_diligence()
    (staff, young_people) = draw_file_samples(journey.inspector, journey.case)
    assert staff.size == 5 and young_people.size == 2  # at least 5; all if fewer
    chosen = [sampled.reference for sampled in staff.files]
    assert redraw(staff) == chosen
    # The provider changes its roster after the draw: the sample and its proof stand.
    db.session.execute(sa.delete(RosterEntry).where(RosterEntry.reference == chosen[0]))
    db.session.commit()
    assert [sampled.reference for sampled in samples_for(journey.case)[0].files] == chosen
    assert redraw(samples_for(journey.case)[0]) == chosen
    with pytest.raises(InvalidTransition, match="cannot be drawn again"):
        draw_file_samples(journey.inspector, journey.case)


def test_file_sampling_cannot_complete_with_a_failing_file(journey):
    journey.submit()
    journey.pass_due_diligence()
    journey.sample_files(failing={"S-000", "S-001", "S-002", "S-003", "S-004", "S-005"})
    with pytest.raises(ValidationFailed, match="did not pass"):
        operations.complete_file_sampling(journey.inspector, journey.case,
                                          expected_version=journey.case.version)


def test_only_the_assigned_inspector_inspects(journey):
    journey.submit()
    journey.pass_due_diligence()
    other = UserFactory(inspector=True)
    with pytest.raises(NotPermitted, match="assigned"):
        draw_file_samples(other, journey.case)


def test_actions_offered_are_read_from_the_machine():
    from accreditation.auth.models import Role

    assert workflow.actions_for(CaseStatus.AWAITING_DECISION, Role.COMMISSIONER) == [
        "accredit", "refuse"]
    assert workflow.actions_for(CaseStatus.DRAFT, Role.PROVIDER) == ["submit", "withdraw"]
    # A revoked case only goes back, through a review that overturns the decision.
    assert workflow.actions_for(CaseStatus.REVOKED, Role.COMMISSIONER) == [
        "restore_accredited", "restore_reassessment_due", "restore_suspended"]
    assert workflow.actions_for(CaseStatus.WITHDRAWN, Role.COMMISSIONER) == []


def test_due_diligence_must_pass_before_file_sampling(journey):
    from accreditation.standards.operations import record_assessment

    case = journey.submit()
    answers = best_answers("due_diligence")
    first = next(iter(answers))
    with pytest.raises(ValidationFailed, match="Complete the due diligence checklist"):
        operations.pass_due_diligence(journey.commissioner, case, inspector=journey.inspector,
                                      expected_version=case.version)
    record_assessment(journey.commissioner, kind="due_diligence",
                      organisation=journey.organisation, case=case, assessed_on=TODAY,
                      answers={**answers, **{item: "no" for item, value in answers.items()
                                             if value == "yes"}})
    with pytest.raises(ValidationFailed, match="did not pass"):
        operations.pass_due_diligence(journey.commissioner, case, inspector=journey.inspector,
                                      expected_version=case.version)
    assert first


def test_a_property_added_while_returned_joins_the_application(journey):
    from accreditation.providers.models import Tenure

    from ..factories import PropertyFactory, attach_required_evidence

    case = journey.submit()
    operations.return_to_provider(journey.commissioner, case, message="Add Albion House too.",
                                  due_on=TODAY + timedelta(days=14),
                                  expected_version=case.version)
    added = PropertyFactory(organisation=journey.organisation, name="Albion House",
                            tenure=Tenure.OWNED)
    attach_required_evidence(journey.provider)  # the new property's certificates
    operations.resubmit(journey.provider, case, response="Added.",
                        expected_version=case.version)
    assert added.id in {link.property_id for link in case.properties}


def test_an_inspector_is_assigned_only_while_the_application_is_assessed(journey):
    """The operation keeps the rule the case page's action list shows: not on a draft, nor on
    a decided application."""
    other = UserFactory(inspector=True)
    journey.submit()
    operations.assign_inspector(journey.commissioner, journey.case, other)
    assert journey.case.inspector_id == other.id
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    journey.accredit()
    with pytest.raises(InvalidTransition):
        operations.assign_inspector(journey.commissioner, journey.case, other)
    db.session.expire_all()
    assert journey.case.inspector_id == journey.inspector.id
