"""Random sequences of actions by random actors never break the workflow's promises.

- the stored status always equals the machine's (and the object's);
- no forbidden transition ever succeeds, and a refused one changes nothing;
- audit events for transitions equal successful transitions, one for one;
- nobody decides on their own inspection;
- an adverse decision is proposed first: while its notice waits the case stays as it was,
  and nobody who proposed it or inspected the case decides it; nobody involved reviews it;
- no provider reads or acts on another provider's case.
"""

import random
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from accreditation import workflow
from accreditation.audit import AuditEvent
from accreditation.auth.models import Role
from accreditation.cases import access, operations
from accreditation.cases.models import (
    Case,
    Decision,
    DecisionOutcome,
    Proposal,
    ProposalKind,
    ProposalOutcome,
    ReviewOutcome,
    ReviewRequest,
    open_proposal,
)
from accreditation.errors import DomainError, NotFound
from accreditation.extensions import db
from accreditation.stages.file_sampling import (
    draw_file_samples,
    record_file_assessment,
    samples_for,
)
from accreditation.stages.property_inspection import record_property_inspection
from accreditation.standards.models import Assessment
from accreditation.standards.operations import record_assessment

from ..conftest import reset_database
from ..factories import UserFactory, publish_first_checklists
from .journey import TODAY, Journey, best_answers, failing_answers

ACTIONS = [
    "start", "submit", "record_due_diligence", "pass_due_diligence", "return", "resubmit",
    "sample_and_assess_files", "complete_file_sampling", "inspect", "complete_inspections",
    "accredit", "accredit_with_conditions", "refuse", "fail", "withdraw", "suspend",
    "reinstate", "require_reassessment", "propose_refusal", "propose_suspension",
    "propose_revocation", "represent", "confirm_notice", "withdraw_notice", "suspend_instead",
    "ask_review", "overturn", "uphold",
]


class CaseWorkflowMachine(RuleBasedStateMachine):
    app = None  # set by the test

    @initialize()
    def set_up(self):
        reset_database()
        publish_first_checklists()
        self.journeys = [Journey(properties=1, staff_files=3, young_people_files=1)
                         for _ in range(2)]
        staff = [UserFactory(commissioner=True), UserFactory(inspector=True),
                 UserFactory(social_worker=True)]
        for journey in self.journeys:
            staff += [journey.commissioner, journey.deciding_commissioner, journey.inspector]
        self.actors = [journey.provider for journey in self.journeys] + staff
        self.transitions = {}  # case id -> successful transitions seen

    def _cases(self) -> list[Case]:
        return list(db.session.scalars(sa.select(Case).order_by(Case.id)))

    @rule(actor_index=st.integers(0, 8), case_index=st.integers(0, 3),
          action=st.sampled_from(ACTIONS), seed=st.integers(0, 2**16))
    def act(self, actor_index, case_index, action, seed):
        actor = self.actors[actor_index % len(self.actors)]
        cases = self._cases()
        case = cases[case_index % len(cases)] if cases else None
        if action == "start":
            self._attempt(actor, None, lambda: operations.start_application(actor))
            return
        if case is None:
            return
        before = (case.status, case.version)
        self._attempt(actor, case, lambda: self._do(action, actor, case, random.Random(seed)),
                      before)

    def _attempt(self, actor, case, call, before=None):
        try:
            result = call()
        except DomainError:
            db.session.rollback()
            if case is not None:
                reloaded = db.session.get(Case, case.id)
                assert (reloaded.status, reloaded.version) == before, "a refusal changed state"
            return
        if isinstance(result, Case):  # a new application
            self.transitions.setdefault(result.id, [])
            return
        if case is not None and before is not None and case.status != before[0]:
            allowed = [t for t in workflow.triggers_from(before[0])
                       if workflow.TRANSITIONS[t][1] is case.status]
            assert allowed, f"{before[0]} -> {case.status} is not a transition"
            assert workflow.may_fire(allowed[0], getattr(actor, "role", None)) or any(
                workflow.may_fire(t, actor.role) for t in allowed), "forbidden actor succeeded"
            if actor.role is Role.PROVIDER:
                assert case.organisation_id == actor.organisation_id, "cross-provider action"
            self.transitions.setdefault(case.id, []).append((before[0], case.status))

    def _do(self, action, actor, case, rng):
        version = case.version
        later = TODAY + timedelta(days=14)
        if action == "submit":
            return operations.submit_application(actor, case, expected_version=version)
        if action == "record_due_diligence":
            access.ensure_can_view(actor, case)
            return record_assessment(actor, kind="due_diligence",
                                     organisation=case.organisation, case=case,
                                     assessed_on=TODAY, answers=best_answers("due_diligence"))
        if action == "pass_due_diligence":
            inspector = next(a for a in self.actors if a.role is Role.INSPECTOR)
            return operations.pass_due_diligence(actor, case, inspector=inspector,
                                                 expected_version=version,
                                                 without_company_check=True)
        if action == "return":
            return operations.return_to_provider(actor, case, message="More, please.",
                                                 due_on=later, expected_version=version)
        if action == "resubmit":
            return operations.resubmit(actor, case, response="Sent.", expected_version=version)
        if action == "sample_and_assess_files":
            if not samples_for(case):
                draw_file_samples(actor, case)
            for sample in samples_for(case):
                for sampled in sample.files:
                    record_file_assessment(actor, sampled, best_answers(
                        "file_sampling", file_type=sample.file_type.value), TODAY)
            return None
        if action == "complete_file_sampling":
            return operations.complete_file_sampling(actor, case, expected_version=version)
        if action == "inspect":
            for link in case.properties:
                make = failing_answers if rng.random() < 0.3 else best_answers
                record_property_inspection(actor, link, make(
                    "property_inspection", category=link.home.category.value), TODAY)
            return None
        if action == "complete_inspections":
            return operations.complete_property_inspections(actor, case,
                                                            expected_version=version)
        if action in ("accredit", "accredit_with_conditions", "refuse"):
            outcome = {"accredit": DecisionOutcome.ACCREDITED,
                       "accredit_with_conditions": DecisionOutcome.ACCREDITED_WITH_CONDITIONS,
                       "refuse": DecisionOutcome.REFUSED}[action]
            conditions = [operations.NewCondition("damp_and_mould", "Damp and mould", "Fix it.",
                                               later)] if "conditions" in action else []
            return operations.decide_case(actor, case, outcome=outcome, reasons="Decided.",
                                          expected_version=version, conditions=conditions)
        if action == "fail":
            return operations.fail_at_stage(actor, case, reasons="Not fit.",
                                            expected_version=version)
        if action == "withdraw":
            return operations.withdraw_application(actor, case, expected_version=version)
        if action == "suspend":
            return operations.suspend(actor, case, reason="Concern.", expected_version=version)
        if action == "reinstate":
            return operations.reinstate(actor, case, expected_version=version)
        if action.startswith("propose_"):
            return operations.propose(actor, case, kind=ProposalKind(action[len("propose_"):]),
                                      reasons="Not fit.", expected_version=version)
        if action == "represent":
            return operations.make_representations(actor, case, text="We disagree.")
        if action in ("confirm_notice", "withdraw_notice", "suspend_instead"):
            decision = {"confirm_notice": operations.ProposalDecision.CONFIRM,
                        "withdraw_notice": operations.ProposalDecision.WITHDRAW,
                        "suspend_instead": operations.ProposalDecision.SUSPEND_INSTEAD}[action]
            return operations.decide_proposal(actor, case, decision=decision,
                                              consideration="Considered.",
                                              expected_version=version)
        if action == "ask_review":
            return operations.ask_for_review(actor, case, grounds="Look again.")
        if action in ("overturn", "uphold"):
            return operations.decide_review(
                actor, case, outcome=ReviewOutcome.OVERTURNED if action == "overturn"
                else ReviewOutcome.UPHELD, reasons="Reviewed.", expected_version=version)
        if action == "require_reassessment":
            return operations.require_reassessment(actor, case, reason="Checks.",
                                                   due_by=later, expected_version=version)
        raise AssertionError(action)

    @rule(journey_index=st.integers(0, 1), choice=st.integers(0, 2), seed=st.integers(0, 2**16))
    def advance(self, journey_index, choice, seed):
        """The natural next step, by the natural person: so random runs get deep too."""
        journey = self.journeys[journey_index]
        case = db.session.scalar(sa.select(Case).where(
            Case.organisation_id == journey.organisation.id).order_by(Case.id.desc()).limit(1))
        if case is None or case.status.is_closed:
            self._attempt(journey.provider, None,
                          lambda: operations.start_application(journey.provider))
            return
        S = workflow.CaseStatus
        inspector = case.inspector or journey.inspector
        reviewer = self.actors[len(self.journeys)]  # a commissioner of no journey
        notice = open_proposal(case)
        if notice is not None:
            plan = [(journey.provider, "represent"), (journey.deciding_commissioner, (
                "confirm_notice", "withdraw_notice", "suspend_instead")[choice])]
        elif operations.reviewable_proposal(case) is not None:
            plan = [(journey.provider, "ask_review"),
                    (reviewer, ("overturn", "uphold", "overturn")[choice])]
        else:
            plan = None
        plan = plan or {
            S.DRAFT: [(journey.provider, "submit")],
            S.DUE_DILIGENCE: [(journey.commissioner, "record_due_diligence"),
                              (journey.commissioner, "pass_due_diligence")],
            S.FILE_SAMPLING: [(inspector, "sample_and_assess_files"),
                              (inspector, "complete_file_sampling")],
            S.PROPERTY_INSPECTION: [(inspector, "inspect"), (inspector, "complete_inspections")],
            S.AWAITING_DECISION: [(journey.deciding_commissioner,
                                   ("accredit", "accredit_with_conditions", "refuse")[choice]),
                                  (journey.commissioner, "propose_refusal")],
            S.ACCREDITED: [(journey.commissioner, ("suspend", "require_reassessment",
                                                   "propose_revocation")[choice])],
            S.SUSPENDED: [(journey.commissioner, ("reinstate", "propose_revocation",
                                                  "reinstate")[choice])],
            S.REASSESSMENT_DUE: [(journey.commissioner, "suspend")],
        }.get(case.status, [(journey.provider, "resubmit")])
        for actor, action in plan:
            case = db.session.get(Case, case.id)
            before = (case.status, case.version)
            self._attempt(actor, case,
                          lambda a=actor, x=action, c=case: self._do(x, a, c, random.Random(seed)),
                          before)

    @rule(provider_index=st.integers(0, 1), case_index=st.integers(0, 3))
    def provider_reads_a_case(self, provider_index, case_index):
        provider = self.journeys[provider_index].provider
        cases = self._cases()
        if not cases:
            return
        case = cases[case_index % len(cases)]
        try:
            access.case_for(provider, case.id)
        except NotFound:
            assert case.organisation_id != provider.organisation_id
        else:
            assert case.organisation_id == provider.organisation_id

    @invariant()
    def stored_status_is_the_machines(self):
        if not hasattr(self, "journeys"):
            return
        for case in self._cases():
            stored = db.session.execute(sa.text(
                "SELECT status FROM accreditation_case WHERE id = :id"), {"id": case.id}).scalar()
            assert stored == case.status.value
            assert case.status in workflow.CaseStatus

    @invariant()
    def one_audit_event_per_transition(self):
        if not hasattr(self, "journeys"):
            return
        for case_id, seen in self.transitions.items():
            events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.subject_type == "accreditation_case",
                AuditEvent.subject_id == str(case_id),
                AuditEvent.action.in_([f"case.{t}" for t in workflow.TRANSITIONS])))
            assert events == len(seen)

    @invariant()
    def a_waiting_notice_changes_nothing_and_another_decides_it(self):
        if not hasattr(self, "journeys"):
            return
        for proposal in db.session.scalars(sa.select(Proposal)):
            case = proposal.case
            if proposal.is_open and not proposal.immediate:
                assert case.status is proposal.from_status, "a waiting notice moved the case"
            if proposal.outcome not in (None, ProposalOutcome.LAPSED):
                assert proposal.decided_by_id != proposal.proposed_by_id
                assert proposal.decided_by_id not in _inspected(case, proposal.decided_at)
        for review in db.session.scalars(sa.select(ReviewRequest).where(
                ReviewRequest.outcome.is_not(None))):
            proposal = review.proposal
            assert review.decided_by_id not in {proposal.proposed_by_id, proposal.decided_by_id,
                                                *_inspected(proposal.case, review.decided_at)}

    @invariant()
    def nobody_decided_on_their_own_inspection(self):
        if not hasattr(self, "journeys"):
            return
        for decision in db.session.scalars(sa.select(Decision)):
            assert decision.decided_by_id not in operations.inspected_by(decision.case)


def _inspected(case, when) -> set[int]:
    """Who had recorded an inspection on ``case`` by ``when``."""
    return set(db.session.scalars(sa.select(Assessment.assessor_id).where(
        Assessment.case_id == case.id, Assessment.recorded_at <= when,
        Assessment.kind.in_(("file_sampling", "property_inspection")))))


def test_random_sequences_of_actions_keep_the_workflows_promises(app, today):
    CaseWorkflowMachine.app = app
    state_machine_test = CaseWorkflowMachine.TestCase
    state_machine_test.settings = settings(max_examples=12, stateful_step_count=30,
                                           deadline=None)
    state_machine_test().runTest()
