"""Refusing, suspending and revoking: a notice first, representations, a decision by another
commissioner, and a review.

What a provider, a commissioner or the register would notice: the case's status, who may take
each step and when, the e-mails, the rows kept and the audit trail.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from accreditation.audit import AuditEvent
from accreditation.cases import operations
from accreditation.cases.actions import available
from accreditation.cases.models import (
    Case,
    DecisionOutcome,
    Proposal,
    ProposalKind,
    ProposalOutcome,
    ReviewOutcome,
)
from accreditation.cases.operations import ProposalDecision
from accreditation.errors import InvalidTransition, NotPermitted, ValidationFailed
from accreditation.evidence.models import Evidence
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage
from accreditation.register.status import organisations_on_register
from accreditation.workflow import CaseStatus

from ..evidence.samples import pdf
from ..factories import UserFactory
from .journey import TODAY

CONFIRM, WITHDRAW = ProposalDecision.CONFIRM, ProposalDecision.WITHDRAW


def emails_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == address).order_by(OutboxMessage.id)))


def actions(*names: str) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.action.in_(names)).order_by(AuditEvent.seq)))


def a_pdf(name: str = "our-answer.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(pdf()), filename=name, content_type="application/pdf")


def days_later(monkeypatch, days: int) -> None:
    monkeypatch.setattr("accreditation.clock.today", lambda: TODAY + timedelta(days=days))


def on_register(journey) -> bool:
    return journey.organisation in organisations_on_register(TODAY)


def awaiting_decision(journey, failing: int = 0) -> Case:
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    return journey.inspect_properties(failing=failing)


def propose(journey, kind: ProposalKind, **kwargs) -> Proposal:
    return operations.propose(journey.commissioner, journey.case, kind=kind,
                              reasons=kwargs.pop("reasons", "Fire doors wedged open."),
                              expected_version=journey.case.version, **kwargs)


def decide(journey, decision=CONFIRM, actor=None, consideration="Each point was weighed."):
    return operations.decide_proposal(actor or journey.deciding_commissioner, journey.case,
                                      decision=decision, consideration=consideration,
                                      expected_version=journey.case.version)


# --- the notice -------------------------------------------------------------------------------

def test_a_proposed_revocation_leaves_the_provider_accredited_and_on_the_register(journey):
    case = journey.all_the_way()
    proposal = propose(journey, ProposalKind.REVOCATION)
    assert case.status is CaseStatus.ACCREDITED
    assert case.accredited_properties and on_register(journey)
    assert case.status_label == "Accredited: revocation proposed"
    assert proposal.representations_due_on == TODAY + timedelta(days=28)
    (notice,) = [m for m in emails_to(journey.provider.email) if "notice" in m.subject]
    assert "proposes to revoke your accreditation" in notice.body
    assert "Fire doors wedged open." in notice.body
    assert "until 20 December 2026" in notice.body
    assert f"/cases/{case.id}" in notice.body
    assert actions("proposal.made") == ["proposal.made"]


def test_the_reasons_can_rest_on_failed_checklist_items(journey):
    case = awaiting_decision(journey, failing=1)
    items = operations.proposal_items(case)
    assert items, "a failed property's items are offered"
    key, item = next(iter(items.items()))
    proposal = propose(journey, ProposalKind.REFUSAL, item_keys=[key])
    assert proposal.items == [{"key": key, "title": item.title}]
    (notice,) = [m for m in emails_to(journey.provider.email) if "notice" in m.subject]
    assert item.title in notice.body


def test_an_item_not_on_the_case_is_refused(journey):
    case = awaiting_decision(journey)
    with pytest.raises(ValidationFailed, match="Choose items from the list"):
        propose(journey, ProposalKind.REFUSAL, item_keys=["999:made_up"])
    assert not case.proposals


def test_reasons_are_required(journey):
    case = journey.all_the_way()
    with pytest.raises(ValidationFailed, match="Give the reasons"):
        propose(journey, ProposalKind.SUSPENSION, reasons="  ")
    assert not case.proposals


def test_only_commissioners_propose(journey):
    case = journey.all_the_way()
    with pytest.raises(NotPermitted):
        operations.propose(journey.inspector, case, kind=ProposalKind.SUSPENSION,
                           reasons="Concern.", expected_version=case.version)
    assert not case.proposals


def test_a_person_cannot_refuse_or_revoke_in_one_step(journey):
    case = awaiting_decision(journey)
    with pytest.raises(ValidationFailed, match="propose the refusal first"):
        operations.decide_case(journey.deciding_commissioner, case,
                               outcome=DecisionOutcome.REFUSED, reasons="No.",
                               expected_version=case.version)
    with pytest.raises(InvalidTransition, match="proposed first"):
        operations.fail_at_stage(journey.commissioner, case, reasons="No.",
                                 expected_version=case.version)
    assert case.status is CaseStatus.AWAITING_DECISION
    assert not hasattr(operations, "revoke")


def test_nothing_else_moves_the_case_while_a_notice_waits(journey):
    case = awaiting_decision(journey)
    propose(journey, ProposalKind.REFUSAL)
    with pytest.raises(InvalidTransition, match="decide the notice first"):
        journey.accredit()
    with pytest.raises(InvalidTransition, match="waiting for a decision"):
        propose(journey, ProposalKind.REFUSAL)
    assert case.status is CaseStatus.AWAITING_DECISION


# --- representations --------------------------------------------------------------------------

def test_representations_with_a_file_are_kept_and_the_commissioners_told(journey):
    case = journey.all_the_way()
    propose(journey, ProposalKind.REVOCATION)
    representation = operations.make_representations(
        journey.provider, case, text="The doors now close by themselves.", files=[a_pdf()])
    (sent,) = representation.files
    evidence = db.session.get(Evidence, sent.evidence_id)
    assert evidence.display_filename == "our-answer.pdf"
    assert evidence.organisation_id == journey.organisation.id
    told = emails_to(journey.deciding_commissioner.email)
    assert any("representations received" in m.subject for m in told)
    assert actions("proposal.representations") == ["proposal.representations"]


def test_representations_after_the_deadline_are_refused(journey, monkeypatch):
    case = journey.all_the_way()
    propose(journey, ProposalKind.SUSPENSION)
    days_later(monkeypatch, 29)
    with pytest.raises(InvalidTransition, match="too late"):
        operations.make_representations(journey.provider, case, text="Late.")
    assert not case.proposals[0].representations


def test_only_the_providers_own_team_makes_representations(journey):
    case = journey.all_the_way()
    propose(journey, ProposalKind.SUSPENSION)
    stranger = UserFactory(provider=True)
    with pytest.raises(Exception) as refused:
        operations.make_representations(stranger, case, text="Not ours.")
    assert refused.value.status_code == 404
    with pytest.raises(NotPermitted):
        operations.make_representations(journey.commissioner, case, text="Not theirs.")


# --- the decision on the notice ---------------------------------------------------------------

def test_the_commissioner_who_proposed_may_not_decide(journey):
    case = journey.all_the_way()
    propose(journey, ProposalKind.REVOCATION)
    operations.make_representations(journey.provider, case, text="We disagree.")
    with pytest.raises(NotPermitted, match="another commissioner must decide"):
        decide(journey, actor=journey.commissioner)
    assert case.status is CaseStatus.ACCREDITED and case.proposals[0].is_open
    assert actions("access.denied")


def test_a_commissioner_who_inspected_may_not_decide(journey):
    case = journey.all_the_way()
    case.inspector_id = journey.deciding_commissioner.id
    db.session.commit()
    propose(journey, ProposalKind.REVOCATION)
    operations.make_representations(journey.provider, case, text="We disagree.")
    with pytest.raises(NotPermitted, match="inspected"):
        decide(journey)
    assert case.status is CaseStatus.ACCREDITED


def test_no_decision_before_the_deadline_unless_representations_are_in(journey, monkeypatch):
    case = journey.all_the_way()
    propose(journey, ProposalKind.REVOCATION)
    with pytest.raises(InvalidTransition, match="until 20 December 2026"):
        decide(journey)
    days_later(monkeypatch, 28)  # the last day for representations
    with pytest.raises(InvalidTransition):
        decide(journey)
    days_later(monkeypatch, 29)
    decide(journey)
    assert case.status is CaseStatus.REVOKED
    assert not case.accredited_properties and not on_register(journey)


def test_how_representations_were_considered_is_required(journey):
    case = journey.all_the_way()
    propose(journey, ProposalKind.REVOCATION)
    operations.make_representations(journey.provider, case, text="We disagree.")
    with pytest.raises(ValidationFailed, match="how each representation was considered"):
        decide(journey, consideration=" ")
    assert case.status is CaseStatus.ACCREDITED and case.proposals[0].is_open


def test_a_withdrawn_proposal_changes_nothing(journey):
    case = journey.all_the_way()
    before = (case.status, case.version, case.expires_on, list(case.accredited_properties))
    propose(journey, ProposalKind.REVOCATION)
    operations.make_representations(journey.provider, case, text="All fixed.")
    proposal = decide(journey, WITHDRAW, consideration="The photographs show it is fixed.")
    assert proposal.outcome is ProposalOutcome.WITHDRAWN
    assert (case.status, case.version, case.expires_on, list(case.accredited_properties)) == (
        before)
    assert on_register(journey) and case.status_label == "Accredited"
    assert operations.reviewable_proposal(case) is None  # nothing to review
    (message,) = [m for m in emails_to(journey.provider.email) if "withdrawn" in m.subject]
    assert "The photographs show it is fixed." in message.body


def test_a_confirmed_refusal_refuses_with_a_cooling_off_period(journey):
    case = awaiting_decision(journey)
    journey.adverse(ProposalKind.REFUSAL, reasons="Unsafe.")
    assert case.status is CaseStatus.REFUSED
    assert case.reapply_from == TODAY + timedelta(days=90)
    assert case.decisions[-1].outcome is DecisionOutcome.REFUSED
    (message,) = [m for m in emails_to(journey.provider.email) if "refused" in m.subject]
    assert "20 February 2027" in message.body and "reviewed until" in message.body


def test_a_refusal_at_a_stage_is_proposed_too(journey):
    case = journey.submit()
    journey.adverse(ProposalKind.REFUSAL)
    assert case.status is CaseStatus.REFUSED
    assert [e for e in actions("case.fail")] == ["case.fail"]


def test_a_revocation_can_be_changed_to_a_suspension(journey):
    case = journey.all_the_way()
    propose(journey, ProposalKind.REVOCATION)
    operations.make_representations(journey.provider, case, text="Give us time.")
    proposal = decide(journey, ProposalDecision.SUSPEND_INSTEAD)
    assert case.status is CaseStatus.SUSPENDED
    assert proposal.outcome is ProposalOutcome.SUSPENDED_INSTEAD
    assert proposal.kind is ProposalKind.REVOCATION  # what was proposed stays on record
    assert not on_register(journey)
    assert operations.reviewable_proposal(case) is proposal  # the suspension can be reviewed


def test_withdrawing_the_application_lapses_a_proposed_refusal(journey):
    case = awaiting_decision(journey)
    proposal = propose(journey, ProposalKind.REFUSAL)
    operations.withdraw_application(journey.provider, case, expected_version=case.version)
    assert case.status is CaseStatus.WITHDRAWN
    assert proposal.outcome is ProposalOutcome.LAPSED


# --- immediate suspension for safeguarding ----------------------------------------------------

def test_a_safeguarding_suspension_is_in_force_at_once_with_a_notice(journey):
    case = journey.all_the_way()
    operations.suspend(journey.commissioner, case, reason="Allegation of abuse.",
                       expected_version=case.version)
    assert case.status is CaseStatus.SUSPENDED and not on_register(journey)
    (proposal,) = case.proposals
    assert proposal.immediate and proposal.is_open
    (notice,) = [m for m in emails_to(journey.provider.email) if "notice" in m.subject]
    assert "suspended from today" in notice.body and "representations" in notice.body
    operations.make_representations(journey.provider, case, text="The person has left.")
    with pytest.raises(NotPermitted):
        decide(journey, WITHDRAW, actor=journey.commissioner)
    decide(journey, WITHDRAW, consideration="The person has left; the risk has gone.")
    assert case.status is CaseStatus.ACCREDITED and on_register(journey)
    assert case.accredited_properties


def test_a_safeguarding_suspension_is_possible_while_another_notice_waits(journey):
    """Safeguarding cannot wait for a notice's deadline: the suspension is in force at once,
    and the notice it overtakes lapses (the provider is told both; it may be proposed again)."""
    case = journey.all_the_way()
    proposed = propose(journey, ProposalKind.REVOCATION)
    offered = [action.name for action in available(journey.deciding_commissioner, case)]
    assert "suspend" in offered  # the case page offers it while the notice waits
    operations.suspend(journey.commissioner, case, reason="Allegation of abuse.",
                       expected_version=case.version)
    assert case.status is CaseStatus.SUSPENDED and not on_register(journey)
    assert proposed.outcome is ProposalOutcome.LAPSED
    assert operations.open_proposal(case).immediate
    assert actions("proposal.lapsed") == ["proposal.lapsed"]
    lapsed = [m for m in emails_to(journey.provider.email) if "no longer" in m.body]
    assert lapsed and "suspended" in lapsed[0].body


def test_a_safeguarding_suspension_confirmed_stays_and_can_be_reviewed(journey):
    case = journey.all_the_way()
    operations.suspend(journey.commissioner, case, reason="Allegation.",
                       expected_version=case.version)
    operations.make_representations(journey.provider, case, text="Untrue.")
    decide(journey, CONFIRM)
    assert case.status is CaseStatus.SUSPENDED
    assert operations.reviewable_proposal(case) is case.proposals[0]


# --- review -----------------------------------------------------------------------------------

def revoked(journey) -> Case:
    journey.all_the_way()
    return journey.adverse(ProposalKind.REVOCATION)


def test_a_review_overturning_a_revocation_puts_the_accreditation_back(journey):
    case = revoked(journey)
    expires_on = case.expires_on
    review = operations.ask_for_review(journey.provider, case, grounds="Wrong facts.",
                                       files=[a_pdf("grounds.pdf")])
    assert len(review.files) == 1
    assert case.status is CaseStatus.REVOKED and not on_register(journey)  # meanwhile
    reviewer = UserFactory(commissioner=True)
    operations.decide_review(reviewer, case, outcome=ReviewOutcome.OVERTURNED,
                             reasons="The facts were wrong.", expected_version=case.version)
    assert case.status is CaseStatus.ACCREDITED and case.expires_on == expires_on
    assert case.accredited_properties and on_register(journey)
    assert actions("review.requested", "review.decided", "case.restore_accredited") == [
        "review.requested", "case.restore_accredited", "review.decided"]
    (message,) = [m for m in emails_to(journey.provider.email) if "review decided" in m.subject]
    assert "overturned" in message.body


def test_a_review_that_upholds_changes_nothing(journey):
    case = revoked(journey)
    operations.ask_for_review(journey.provider, case, grounds="Unfair.")
    operations.decide_review(UserFactory(commissioner=True), case,
                             outcome=ReviewOutcome.UPHELD, reasons="Fair.",
                             expected_version=case.version)
    assert case.status is CaseStatus.REVOKED
    with pytest.raises(InvalidTransition, match="already asked"):
        operations.ask_for_review(journey.provider, case, grounds="Again.")


def test_a_refusal_overturned_goes_back_to_await_a_decision(journey):
    case = awaiting_decision(journey)
    journey.adverse(ProposalKind.REFUSAL)
    operations.ask_for_review(journey.provider, case, grounds="Look again.")
    operations.decide_review(UserFactory(commissioner=True), case,
                             outcome=ReviewOutcome.OVERTURNED, reasons="Agreed.",
                             expected_version=case.version)
    assert case.status is CaseStatus.AWAITING_DECISION
    assert case.reapply_from is None and case.refusal_reasons is None


@pytest.mark.parametrize("who", ["proposer", "decider", "inspector"])
def test_nobody_involved_decides_the_review(journey, who):
    case = revoked(journey)
    operations.ask_for_review(journey.provider, case, grounds="Unfair.")
    if who == "inspector":
        actor = UserFactory(commissioner=True)
        case.inspector_id = actor.id
        db.session.commit()
    else:
        actor = {"proposer": journey.commissioner, "decider": journey.deciding_commissioner}[who]
    with pytest.raises(NotPermitted, match="not must decide the review"):
        operations.decide_review(actor, case, outcome=ReviewOutcome.OVERTURNED,
                                 reasons="Mine.", expected_version=case.version)
    assert case.status is CaseStatus.REVOKED


def test_a_review_is_asked_for_in_time(journey, monkeypatch):
    case = revoked(journey)
    assert case.proposals[-1].review_due_on == TODAY + timedelta(days=28)
    days_later(monkeypatch, 29)
    with pytest.raises(InvalidTransition, match="too late"):
        operations.ask_for_review(journey.provider, case, grounds="Late.")
    assert not case.proposals[-1].reviews


def test_the_periods_are_settings(app, journey):
    app.config.update(REPRESENTATIONS_DAYS=14, REVIEW_DAYS=7)
    case = journey.all_the_way()
    proposal = propose(journey, ProposalKind.REVOCATION)
    assert proposal.representations_due_on == TODAY + timedelta(days=14)
    operations.make_representations(journey.provider, case, text="No.")
    assert decide(journey).review_due_on == TODAY + timedelta(days=7)


def test_every_step_is_audited(journey):
    case = revoked(journey)
    operations.ask_for_review(journey.provider, case, grounds="Unfair.")
    operations.decide_review(UserFactory(commissioner=True), case,
                             outcome=ReviewOutcome.UPHELD, reasons="Fair.",
                             expected_version=case.version)
    assert actions("proposal.made", "proposal.representations", "proposal.decided",
                   "case.revoke", "review.requested", "review.decided") == [
        "proposal.made", "proposal.representations", "case.revoke", "proposal.decided",
        "review.requested", "review.decided"]


def test_commissioners_see_what_waits_for_them(journey):
    case = journey.all_the_way()
    propose(journey, ProposalKind.REVOCATION)
    assert operations.notices_waiting_for(journey.deciding_commissioner) == []  # not yet
    operations.make_representations(journey.provider, case, text="We disagree.")
    (waiting,) = operations.notices_waiting_for(journey.deciding_commissioner)
    assert waiting.case is case and "Representations to read" in waiting.what
    assert operations.notices_waiting_for(journey.commissioner) == []  # their own proposal


# --- the pages --------------------------------------------------------------------------------

def test_the_proposal_page_offers_the_failed_items_and_names_what_is_missing(
        app, journey, client):
    case = journey.all_the_way(failing_properties=1)
    client.sign_in(journey.commissioner)
    page = client.get(f"/cases/{case.id}/propose?kind=revocation")
    assert page.status_code == 200
    assert 'type="checkbox"' in page.text and "Propose to revoke the accreditation" in page.text
    response = client.submit(f"/cases/{case.id}/propose?kind=revocation",
                             {"version": str(case.version), "reasons": ""},
                             form_page=f"/cases/{case.id}/propose?kind=revocation")
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert "Give the reasons for the proposal" in response.text
    assert not db.session.get(Case, case.id).proposals


def test_the_proposer_is_told_another_commissioner_must_decide(app, journey, client):
    case = journey.all_the_way()
    propose(journey, ProposalKind.REVOCATION)
    operations.make_representations(journey.provider, case, text="We disagree.")
    client.sign_in(journey.commissioner)
    page = client.get(f"/cases/{case.id}/notice/decision")
    assert "another commissioner must decide it" in page.text
    assert "Record decision" not in page.text
    response = client.submit(f"/cases/{case.id}/notice/decision",
                             {"version": str(case.version), "decision": "confirm",
                              "consideration": "Mine."},
                             form_page=f"/cases/{case.id}")
    assert response.status_code == 403
    assert db.session.get(Case, case.id).status is CaseStatus.ACCREDITED


def test_representations_need_words_and_another_provider_finds_nothing(app, journey, client):
    case = journey.all_the_way()
    propose(journey, ProposalKind.REVOCATION)
    client.sign_in(journey.provider)
    url = f"/cases/{case.id}/representations"
    response = client.submit(url, {"text": " "}, form_page=url)
    assert response.status_code == 400
    assert "Enter your representations" in response.text
    assert not case.proposals[0].representations
    other = app.test_client()
    other.sign_in(UserFactory(provider=True))
    assert other.get(url).status_code == 404
