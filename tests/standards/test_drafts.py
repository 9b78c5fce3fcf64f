"""Checklist drafts: written in the service, approved by a second commissioner, published
with notice."""

import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from accreditation import clock
from accreditation.audit import AuditEvent
from accreditation.auth.models import Role
from accreditation.checklists import DEFINITIONS_DIR, load_definition
from accreditation.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage
from accreditation.standards import drafts
from accreditation.standards.impact import gap_report
from accreditation.standards.models import ChecklistDraft, DraftStatus, PublishedChecklist

from ..factories import PropertyFactory, UserFactory, publish_first_checklists
from .test_assessments_and_impact import good_answers, inspect

TODAY = date(2026, 12, 7)
KIND = "property_inspection"


@pytest.fixture(autouse=True)
def today():
    with clock.pretend(TODAY):
        yield TODAY


@pytest.fixture
def version_1(app):
    publish_first_checklists()


@pytest.fixture
def author(app):
    return UserFactory(commissioner=True)


@pytest.fixture
def second(app):
    return UserFactory(commissioner=True)


def step_fields(draft, when, pass_mark=75, **more):
    """A step complete in itself: the draft's last step, from ``when``, with ``pass_mark``."""
    last = draft.definition["schedule"][-1]
    return {**last, "effective_from": when, "pass_mark": pass_mark, "grace_days": 30, **more}


def events(action):
    return db.session.scalars(sa.select(AuditEvent).filter_by(action=action)).all()


def test_a_copy_of_a_published_version_is_the_next_free_version_and_valid(version_1, author):
    draft = drafts.start_draft(author, KIND, copy_of=1)
    assert (draft.version, draft.status, draft.source) == (2, DraftStatus.DRAFT, "version 1")
    assert drafts.draft_problems(draft) == []
    assert drafts.changes_from_version_in_force(draft) == []
    # A second draft of the same kind does not take the same number.
    assert drafts.start_draft(author, KIND).version == 3
    assert events("checklist_draft.created")[0].actor_id == author.id


def test_a_blank_draft_holds_problems_until_it_is_written(version_1, author):
    draft = drafts.start_draft(author, "due_diligence")
    codes = {problem.code for problem in drafts.draft_problems(draft)}
    assert "schema_minItems" in codes
    with pytest.raises(ValidationFailed, match="cannot be submitted"):
        drafts.submit_draft(author, draft)


def test_create_draft_refuses_a_definition_with_every_problem_and_stores_nothing(
        version_1, author):
    definition = load_definition(DEFINITIONS_DIR / KIND / "v1.yaml").to_dict()
    definition["items"][0]["weight"] = -1
    definition["items"][1]["section"] = "nowhere"
    with pytest.raises(drafts.DraftProblems) as raised:
        drafts.create_draft(author, definition, source="import: v1.xlsx")
    assert len(raised.value.problems) >= 1
    assert "weight" in raised.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistDraft)) == 0
    with pytest.raises(drafts.DraftProblems, match="not a checklist definition"):
        drafts.create_draft(author, ["not", "a", "mapping"])


def test_create_draft_takes_a_valid_definition_as_the_next_version(version_1, author):
    definition = load_definition(DEFINITIONS_DIR / KIND / "v1.yaml").to_dict()
    draft = drafts.create_draft(author, definition, source="import: v1.yaml")
    assert draft.version == 2 and draft.definition["version"] == 2
    assert draft.source == "import: v1.yaml"


@pytest.mark.parametrize("trait", ["provider", "inspector", "social_worker"])
def test_only_commissioners_write_drafts(version_1, author, trait):
    other = UserFactory(**{trait: True})
    with pytest.raises(NotPermitted):
        drafts.start_draft(other, KIND)
    with pytest.raises(NotPermitted):
        drafts.create_draft(other, {})
    draft = drafts.start_draft(author, KIND, copy_of=1)
    with pytest.raises(NotPermitted):
        drafts.change_details(other, draft, title="Mine", description="")


def test_item_ids_never_change_and_new_ones_are_unique(version_1, author):
    draft = drafts.start_draft(author, KIND, copy_of=1)
    first = draft.definition["items"][0]
    fields = {**first, "label": "Something else entirely", "weight": 2}
    drafts.change_item(author, draft, first["id"], fields)
    assert draft.definition["items"][0]["id"] == first["id"]
    assert draft.definition["items"][0]["weight"] == 2
    new = {**first, "id": "", "label": first["label"] or "Damp"}
    made = drafts.add_item(author, draft, new)
    again = drafts.add_item(author, draft, new)
    assert made != again and made != first["id"]
    with pytest.raises(ValidationFailed, match="already used"):
        drafts.add_item(author, draft, {**first, "id": first["id"]})
    with pytest.raises(ValidationFailed, match="lower-case"):
        drafts.add_item(author, draft, {**first, "id": "Not An Id"})


def test_items_move_within_their_section_and_removal_leaves_no_critical_reference(
        version_1, author):
    draft = drafts.start_draft(author, KIND, copy_of=1)
    items = draft.definition["items"]
    section = items[0]["section"]
    a, b = [item["id"] for item in items if item["section"] == section][:2]
    drafts.move_item(author, draft, b, "up")
    ids = [item["id"] for item in draft.definition["items"] if item["section"] == section]
    assert ids[:2] == [b, a]
    drafts.move_item(author, draft, b, "up")  # already first: nothing moves
    assert [item["id"] for item in draft.definition["items"]
            if item["section"] == section][:2] == [b, a]
    critical = next(step["critical_items"][0] for step in draft.definition["schedule"]
                    if step["critical_items"])
    drafts.remove_item(author, draft, critical)
    assert all(critical not in step["critical_items"] for step in draft.definition["schedule"])


def test_an_edit_after_submission_sends_the_draft_back(version_1, author, second):
    draft = drafts.start_draft(author, KIND, copy_of=1)
    drafts.add_step(author, draft, step_fields(draft, TODAY + timedelta(weeks=40), 80))
    drafts.submit_draft(author, draft)
    assert draft.status is DraftStatus.SUBMITTED
    drafts.change_details(second, draft, title="Property inspection", description="")
    assert draft.status is DraftStatus.DRAFT and draft.submitted_at is None
    with pytest.raises(InvalidTransition):
        drafts.approve_draft(author, draft, revision=draft.revision)


def submitted(author, weeks=6, pass_mark=80):
    draft = drafts.start_draft(author, KIND, copy_of=1)
    drafts.add_step(author, draft, step_fields(draft, date(2027, 9, 6), pass_mark))
    drafts.submit_draft(author, draft)
    return draft


def test_four_eyes_the_editor_and_the_submitter_may_not_approve(version_1, author, second):
    draft = drafts.start_draft(author, KIND, copy_of=1)
    drafts.add_step(author, draft, step_fields(draft, date(2027, 9, 6), 80))
    drafts.submit_draft(second, draft)  # edited by the author, submitted by the second
    for who in (author, second):
        with pytest.raises(InvalidTransition, match="A second commissioner must approve"):
            drafts.approve_draft(who, draft, revision=draft.revision)
    third = UserFactory(commissioner=True)
    with pytest.raises(Conflict):
        drafts.approve_draft(third, draft, revision=draft.revision - 1)
    record = drafts.approve_draft(third, draft, revision=draft.revision)
    assert (record.version, draft.status) == (2, DraftStatus.PUBLISHED)
    approved = events("checklist_draft.approved")[0]
    published = [e for e in events("checklist.published") if e.details.get("draft")][0]
    assert approved.details["fingerprint"] == record.fingerprint == published.details[
        "fingerprint"]
    assert approved.actor_id == third.id


def test_a_step_needs_notice_unless_it_is_a_relaxation(version_1, author):
    # 1 July 2027: version 1's last step, from 5 July, is already published: it stays.
    with clock.pretend(date(2027, 7, 1)):
        draft = drafts.start_draft(author, KIND, copy_of=1)
        soon = date(2027, 7, 28)
        drafts.add_step(author, draft, step_fields(draft, soon, 90))
        with pytest.raises(ValidationFailed, match="The step from 28 July 2027 takes effect "
                                                   "sooner than 28 days after publication"):
            drafts.submit_draft(author, draft)
        drafts.remove_step(author, draft, soon.isoformat())
        # Raising a step already published, within the notice period, is refused too.
        last = draft.definition["schedule"][-1]
        drafts.change_step(author, draft, last["effective_from"],
                           {**last, "effective_from": date(2027, 7, 5), "pass_mark": 80})
        with pytest.raises(ValidationFailed, match="The step from 5 July 2027"):
            drafts.submit_draft(author, draft)
        drafts.change_step(author, draft, "2027-07-05",
                           {**last, "effective_from": date(2027, 7, 5)})
        drafts.add_step(author, draft, step_fields(draft, date(2027, 7, 29), 90))
        drafts.submit_draft(author, draft)
        assert draft.status is DraftStatus.SUBMITTED


def test_a_relaxation_may_take_effect_at_once(version_1, author):
    with clock.pretend(date(2027, 7, 10)):
        draft = drafts.start_draft(author, KIND, copy_of=1)
        drafts.add_step(author, draft, {**step_fields(draft, date(2027, 7, 11), 50),
                                        "relaxation": True, "reason": "Lower for the summer"})
        drafts.submit_draft(author, draft)
        assert draft.status is DraftStatus.SUBMITTED


def test_notice_is_checked_again_when_publishing(version_1, author, second):
    draft = submitted(author)
    with (clock.pretend(date(2027, 8, 20)),
          pytest.raises(ValidationFailed, match="The step from 6 September 2027")):
        drafts.approve_draft(second, draft, revision=draft.revision)
    assert db.session.scalar(sa.select(PublishedChecklist).filter_by(version=2)) is None


def test_publishing_tells_each_failing_provider_once_and_the_gap_report_shows_it(
        version_1, author, second):
    rng = random.Random(3)
    weak, strong = PropertyFactory(), PropertyFactory()
    low = inspect(weak, good_answers("single_occupancy", rng, 0.8), on=date(2026, 11, 2))
    high = inspect(strong, good_answers("single_occupancy", random.Random(5), 1.0),
                   on=date(2026, 11, 2))
    pass_mark = max(76, int(float(low.percent)) + 1)  # above version 1's last step
    assert float(low.percent) < pass_mark <= float(high.percent)
    weak_user = UserFactory(role=Role.PROVIDER, organisation=weak.organisation)
    strong_user = UserFactory(role=Role.PROVIDER, organisation=strong.organisation)
    draft = submitted(author, pass_mark=pass_mark)
    drafts.approve_draft(second, draft, revision=draft.revision)
    messages = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [message.recipient for message in messages] == [weak_user.email]
    assert "6 September 2027" in messages[0].subject
    assert "http://127.0.0.1:5000/provider/gap-report" in messages[0].body
    assert strong_user.email not in {message.recipient for message in messages}
    gaps = gap_report(weak.organisation, TODAY)
    # The new version is in force at once (its first step, copied, has begun): the report
    # re-scores against its steps.
    assert any(gap.version == 2 and not gap.passes for gap in gaps)


def test_discarded_and_published_drafts_are_closed(version_1, author):
    draft = drafts.start_draft(author, KIND, copy_of=1)
    drafts.discard_draft(author, draft)
    with pytest.raises(InvalidTransition):
        drafts.change_details(author, draft, title="x", description="")
    # Its number is free again.
    assert drafts.next_version(KIND) == 2


def test_the_command_line_gives_a_drafts_problems(runner, version_1, author):
    draft = drafts.start_draft(author, "due_diligence")
    result = runner.invoke(args=["checklists", "validate", "--draft", str(draft.id)])
    assert result.exit_code == 1
    assert "due_diligence/v2.yaml: items must list at least 1 entry" in result.output
    good = drafts.start_draft(author, KIND, copy_of=1)
    result = runner.invoke(args=["checklists", "validate", "--draft", str(good.id)])
    assert result.exit_code == 0, result.output
    assert "The draft is valid." in result.output
    result = runner.invoke(args=["checklists", "validate", "--draft", "999"])
    assert result.exit_code == 1 and "no checklist draft 999" in result.output
