"""Draft answers on the server: idempotent sync, conflicts kept, submission scored once."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.errors import InvalidTransition, NotFound, ValidationFailed
from accreditation.extensions import db
from accreditation.stages import inspection_drafts as drafts
from accreditation.stages.inspection_drafts import AnswerChange
from accreditation.stages.models import (
    AnswerConflict,
    ChangeLogEntry,
    DraftAnswer,
    InspectionSubmission,
)
from accreditation.stages.property_inspection import record_property_inspection
from accreditation.standards.models import Assessment

from ..cases.journey import TODAY, best_answers, photograph_required_items
from ..factories import UserFactory


def change(item_id, value, base=0, note=None, client_id=None) -> AnswerChange:
    return AnswerChange(client_id=client_id or str(uuid.uuid4()), item_id=item_id, value=value,
                        note=note, base_revision=base)


def items_of(link):
    return [item for item in drafts.checklist_for(link)[1]]


def yes_no_item(link):
    return next(item for item in items_of(link) if item.answer_type == "yes_no")


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_a_change_becomes_a_draft_answer_with_revision_one(journey, inspection):
    item = yes_no_item(inspection)
    [result] = drafts.save_answers(journey.inspector, inspection,
                                   [change(item.id, "yes", note="Alarm tested")])
    assert (result.status, result.revision, result.replayed) == ("applied", 1, False)
    draft = drafts.drafts_for(inspection)[item.id]
    assert (draft.value, draft.note, draft.revision) == ("yes", "Alarm tested", 1)
    assert draft.updated_by_id == journey.inspector.id


def test_replaying_a_batch_ten_times_applies_it_once(journey, inspection):
    items = items_of(inspection)[:3]
    batch = [change(item.id, best_answers("property_inspection",
                                          category=inspection.home.category.value)[item.id])
             for item in items if item.scored]
    first = drafts.save_answers(journey.inspector, inspection, batch, device_id="tablet-1")
    for _ in range(10):
        again = drafts.save_answers(journey.inspector, inspection, batch, device_id="tablet-1")
        assert [(r.client_id, r.status, r.revision) for r in again] == [
            (r.client_id, r.status, r.revision) for r in first]
        assert all(r.replayed for r in again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLogEntry)) == len(batch)
    assert {d.revision for d in drafts.drafts_for(inspection).values()} == {1}


def test_a_stale_edit_from_another_device_is_kept_as_a_conflict(journey, inspection):
    item = yes_no_item(inspection)
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "yes")],
                        device_id="tablet-1")
    [late] = drafts.save_answers(journey.inspector, inspection, [change(item.id, "no")],
                                 device_id="tablet-2")
    assert (late.status, late.revision, late.server_value) == ("conflict", 1, "yes")
    assert drafts.drafts_for(inspection)[item.id].value == "yes"
    [conflict] = drafts.open_conflicts(inspection)
    assert (conflict.item_id, conflict.value, conflict.server_value) == (item.id, "no", "yes")


def test_the_same_answer_from_a_stale_device_is_simply_applied(journey, inspection):
    item = yes_no_item(inspection)
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "yes")],
                        device_id="tablet-1")
    [late] = drafts.save_answers(journey.inspector, inspection, [change(item.id, "yes")],
                                 device_id="tablet-2")
    assert (late.status, late.revision) == ("applied", 1)
    assert drafts.open_conflicts(inspection) == []


def test_one_device_editing_an_item_twice_offline_does_not_conflict_with_itself(
        journey, inspection):
    item = yes_no_item(inspection)
    results = drafts.save_answers(journey.inspector, inspection,
                                  [change(item.id, "yes"), change(item.id, "no")],
                                  device_id="tablet-1")
    assert [(r.status, r.revision) for r in results] == [("applied", 1), ("applied", 2)]
    assert drafts.drafts_for(inspection)[item.id].value == "no"


@pytest.mark.parametrize("keep, value", [("mine", "no"), ("server", "yes")])
def test_resolving_keeps_the_chosen_answer_and_bumps_the_revision(journey, inspection, keep,
                                                                   value):
    item = yes_no_item(inspection)
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "yes")],
                        device_id="tablet-1")
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "no")],
                        device_id="tablet-2")
    [conflict] = drafts.open_conflicts(inspection)
    draft = drafts.resolve_conflict(journey.inspector, conflict.id, keep)
    assert (draft.value, draft.revision) == (value, 2)
    assert drafts.open_conflicts(inspection) == []
    assert "inspection.conflict_resolved" in audit_actions()


def test_submitting_scores_the_drafts_once(journey, inspection):
    answers = best_answers("property_inspection", category=inspection.home.category.value)
    drafts.save_answers(journey.inspector, inspection,
                        [change(item_id, value) for item_id, value in answers.items()])
    photograph_required_items(journey.inspector, inspection)
    submit_id = str(uuid.uuid4())
    assessment = drafts.submit_inspection(journey.inspector, inspection, submit_id)
    assert assessment.passed and assessment.answers == answers
    assert drafts.submit_inspection(journey.inspector, inspection, submit_id).id == assessment.id
    assert drafts.submit_inspection(journey.inspector, inspection).id == assessment.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment).where(
        Assessment.kind == "property_inspection")) == 1
    assert drafts.is_submitted(inspection)
    db.session.expire_all()
    submissions = db.session.scalars(sa.select(InspectionSubmission)).all()
    assert [submission.assessment_id for submission in submissions] == [assessment.id]
    [late] = drafts.save_answers(journey.inspector, inspection,
                                 [change(next(iter(answers)), None, base=1)])
    assert late.status == "rejected" and "already been submitted" in late.message
    assert "inspection.submitted" in audit_actions()


def test_submitting_is_refused_while_answers_are_missing_or_in_conflict(journey, inspection):
    item = yes_no_item(inspection)
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "yes")],
                        device_id="tablet-1")
    with pytest.raises(ValidationFailed, match="Not answered yet"):
        drafts.submit_inspection(journey.inspector, inspection)
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "no")],
                        device_id="tablet-2")
    with pytest.raises(InvalidTransition, match="^1 answer was changed on another device too. "
                       "Choose which to keep before you submit: "):
        drafts.submit_inspection(journey.inspector, inspection)
    assert audit_actions().count("inspection.submit_refused") == 2
    assert not drafts.is_submitted(inspection)


def test_submitting_is_refused_until_each_item_that_needs_a_photo_has_one(journey, inspection):
    answers = best_answers("property_inspection", category=inspection.home.category.value)
    drafts.save_answers(journey.inspector, inspection,
                        [change(item_id, value) for item_id, value in answers.items()])
    with pytest.raises(ValidationFailed, match="No photo yet: Smoke and heat alarms; Fire doors"):
        drafts.submit_inspection(journey.inspector, inspection)
    assert audit_actions().count("inspection.submit_refused") == 1
    photograph_required_items(journey.inspector, inspection)
    assert drafts.submit_inspection(journey.inspector, inspection).passed


def test_another_inspector_gets_not_found_and_an_audit_event(journey, inspection):
    stranger = UserFactory(inspector=True)
    with pytest.raises(NotFound):
        drafts.save_answers(stranger, inspection, [change(yes_no_item(inspection).id, "yes")])
    assert "access.denied" in audit_actions()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DraftAnswer)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnswerConflict)) == 0


# --- more of the rules ---------------------------------------------------------------------------

def test_a_different_note_alone_is_a_conflict_too(journey, inspection):
    item = yes_no_item(inspection)
    drafts.save_answers(journey.inspector, inspection,
                        [change(item.id, "yes", note="Tested: works")], device_id="tablet-1")
    [late] = drafts.save_answers(journey.inspector, inspection,
                                 [change(item.id, "yes", note="Battery missing")],
                                 device_id="tablet-2")
    assert (late.status, late.server_note) == ("conflict", "Tested: works")
    assert drafts.drafts_for(inspection)[item.id].note == "Tested: works"


def test_a_change_after_a_resolution_it_did_not_see_is_a_conflict(journey, inspection):
    item = yes_no_item(inspection)
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "yes")],
                        device_id="tablet-1")
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "no", base=0)],
                        device_id="tablet-2")
    [conflict] = drafts.open_conflicts(inspection)
    drafts.resolve_conflict(journey.inspector, conflict.id, "server")
    # tablet-1 edits again from revision 1: it has not seen the decision (revision 2).
    [late] = drafts.save_answers(journey.inspector, inspection,
                                 [change(item.id, "no", base=1)], device_id="tablet-1")
    assert (late.status, late.revision) == ("conflict", 2)


def test_resolving_twice_the_same_way_changes_nothing_and_the_other_way_is_refused(
        journey, inspection):
    item = yes_no_item(inspection)
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "yes")],
                        device_id="tablet-1")
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "no")],
                        device_id="tablet-2")
    [conflict] = drafts.open_conflicts(inspection)
    conflict_id = conflict.id
    assert drafts.resolve_conflict(journey.inspector, conflict_id, "mine").revision == 2
    assert drafts.resolve_conflict(journey.inspector, conflict_id, "mine").revision == 2
    with pytest.raises(InvalidTransition, match="already settled"):
        drafts.resolve_conflict(journey.inspector, conflict_id, "server")
    with pytest.raises(ValidationFailed):
        drafts.resolve_conflict(journey.inspector, conflict_id, "both")
    assert audit_actions().count("inspection.conflict_resolved") == 1


def test_only_the_assigned_inspector_or_a_commissioner_resolves_a_conflict(journey, inspection):
    item = yes_no_item(inspection)
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "yes")],
                        device_id="tablet-1")
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "no")],
                        device_id="tablet-2")
    [conflict] = drafts.open_conflicts(inspection)
    with pytest.raises(NotFound):
        drafts.resolve_conflict(UserFactory(inspector=True), conflict.id, "mine")
    assert "access.denied" in audit_actions()
    assert len(drafts.open_conflicts(inspection)) == 1
    assert drafts.resolve_conflict(journey.commissioner, conflict.id, "mine").value == "no"


def test_inspections_for_lists_assigned_open_and_coming_inspections_only(journey, inspection):
    other = UserFactory(inspector=True)
    assert [link.id for link in drafts.inspections_for(journey.inspector)] == [
        link.id for link in journey.case.properties]
    assert drafts.inspections_for(other) == []
    with pytest.raises(Exception, match="Only inspectors"):
        drafts.inspections_for(journey.provider)


def test_answers_are_closed_once_the_stage_is_over(journey, inspection):
    journey.inspect_properties()  # scored and the stage completed: awaiting decision
    [late] = drafts.save_answers(journey.inspector, inspection,
                                 [change(yes_no_item(inspection).id, "no")])
    assert late.status == "rejected" and "awaiting a decision" in late.message
    with pytest.raises(InvalidTransition):
        drafts.submit_inspection(journey.inspector, inspection)


def test_a_property_scored_another_way_this_round_counts_as_submitted(journey, inspection):
    answers = best_answers("property_inspection", category=inspection.home.category.value)
    scored = record_property_inspection(journey.inspector, inspection, answers, TODAY)
    assert drafts.is_submitted(inspection) and not drafts.is_inspectable(inspection)
    assert drafts.submit_inspection(journey.inspector, inspection).id == scored.id
    [late] = drafts.save_answers(journey.inspector, inspection,
                                 [change(yes_no_item(inspection).id, "no")])
    assert late.status == "rejected"


def test_a_conflict_shows_the_servers_answer_as_it_is_now(journey, inspection):
    item = yes_no_item(inspection)
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "yes")],
                        device_id="tablet-1")
    drafts.save_answers(journey.inspector, inspection, [change(item.id, "no")],
                        device_id="tablet-2")
    drafts.save_answers(journey.inspector, inspection,
                        [change(item.id, "yes", base=1, note="Checked twice")],
                        device_id="tablet-1")
    [conflict] = drafts.open_conflicts(inspection)
    assert (conflict.value, conflict.server_value, conflict.server_note,
            conflict.server_revision) == ("no", "yes", "Checked twice", 2)
    draft = drafts.resolve_conflict(journey.inspector, conflict.id, "server")
    assert (draft.value, draft.note, draft.revision) == ("yes", "Checked twice", 3)
