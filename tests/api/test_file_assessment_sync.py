"""The sync API for sampled files at file sampling: the same guarantees as a property's
inspection (replays are safe, stale edits kept as conflicts, one scoring on submit), through
the same operations."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.extensions import db
from accreditation.stages import inspection_drafts as drafts
from accreditation.stages.file_sampling import samples_for
from accreditation.stages.models import (
    AnswerConflict,
    ChangeLogEntry,
    DraftAnswer,
    InspectionSubmission,
)
from accreditation.standards.models import Assessment

from ..cases.journey import best_answers
from ..factories import UserFactory
from ..stages.conftest import sampled_file  # noqa: F401 (fixture)
from .test_inspection_sync import a_change, app, bearer, schema  # noqa: F401 (fixture)


@pytest.fixture
def sampled(sampled_file):  # noqa: F811 (the imported fixture, used)
    """A file drawn for the application at file sampling, not assessed yet."""
    return sampled_file


def answers_for(sampled) -> dict:
    return best_answers("file_sampling", file_type=sampled.sample.file_type.value)


def post_changes(client, sampled, headers, changes, device_id="tablet-1"):
    return client.post(f"/api/v1/inspections/files/{sampled.id}/answers", headers=headers,
                       json={"device_id": device_id, "changes": changes})


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_list_has_the_sampled_files_of_applications_at_file_sampling(
        client, journey, sampled):
    body = client.get("/api/v1/inspector/inspections", headers=bearer(journey.inspector))
    schema("InspectionList").validate(body.get_json())
    files = [entry for entry in body.get_json()["contents"] if entry["kind"] == "file"]
    drawn = [f for sample in samples_for(journey.case) for f in sample.files]
    assert [entry["sampled_id"] for entry in files] == [f.id for f in drawn]
    mine = files[0]
    assert mine["path"] == f"files/{sampled.id}"
    assert mine["file"]["reference"] == sampled.reference
    assert mine["checklist"]["kind"] == "file_sampling"
    assert (mine["submitted"], mine["inspectable"]) == (False, True)
    assert "property" not in mine  # no address for a file


def test_a_whole_assessment_sent_ten_times_is_stored_and_scored_once(client, journey, sampled):
    headers = bearer(journey.inspector)
    batch = [a_change(item_id, value) for item_id, value in answers_for(sampled).items()]
    submit = {"client_id": str(uuid.uuid4())}
    first = post_changes(client, sampled, headers, batch).get_json()["results"]
    assert {r["status"] for r in first} == {"applied"}
    scored = client.post(f"/api/v1/inspections/files/{sampled.id}/submit", headers=headers,
                         json=submit)
    assert scored.status_code == 201, scored.text
    for _ in range(10):
        again = post_changes(client, sampled, headers, batch).get_json()["results"]
        assert all(r["replayed"] for r in again)
        replay = client.post(f"/api/v1/inspections/files/{sampled.id}/submit",
                             headers=headers, json=submit)
        assert replay.status_code == 200 and replay.get_json() == scored.get_json()
    assert count(ChangeLogEntry) == len(batch) == count(DraftAnswer)
    assert count(InspectionSubmission) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment).where(
        Assessment.kind == "file_sampling", Assessment.subject_ref == sampled.reference)) == 1
    db.session.refresh(sampled)
    assert sampled.assessment is not None and sampled.assessment.passed
    assert drafts.is_submitted(sampled)
    assert db.session.scalars(sa.select(InspectionSubmission.assessment_id)).all() == [
        sampled.assessment_id]


def test_a_stale_edit_from_another_device_is_kept_as_a_conflict(client, journey, sampled):
    headers = bearer(journey.inspector)
    item_id = next(item.id for item in drafts.checklist_for(sampled)[1]
                   if item.answer_type == "yes_no")
    post_changes(client, sampled, headers, [a_change(item_id, "yes")])
    [late] = post_changes(client, sampled, headers, [a_change(item_id, "no")],
                          device_id="tablet-2").get_json()["results"]
    assert (late["status"], late["server_value"]) == ("conflict", "yes")
    assert drafts.drafts_for(sampled)[item_id].value == "yes"
    [conflict] = drafts.open_conflicts(sampled)
    assert conflict.sampled_file_id == sampled.id and conflict.case_property_id is None
    refused = client.post(f"/api/v1/inspections/files/{sampled.id}/submit", headers=headers,
                          json={"client_id": str(uuid.uuid4())})
    assert refused.status_code == 409 or refused.status_code == 400
    drafts.resolve_conflict(journey.inspector, conflict.id, "mine")
    assert drafts.drafts_for(sampled)[item_id].value == "no"
    assert count(AnswerConflict) == 1 and not drafts.open_conflicts(sampled)


def test_answers_for_a_file_are_kept_apart_from_a_property_with_the_same_id(
        client, journey, sampled):
    """Sampled file 1 and property link 1 are different inspections."""
    headers = bearer(journey.inspector)
    item_id = next(iter(answers_for(sampled)))
    post_changes(client, sampled, headers, [a_change(item_id, answers_for(sampled)[item_id])])
    assert set(drafts.drafts_for(sampled)) == {item_id}
    link = journey.case.properties[0]
    assert drafts.drafts_for(link) == {}


@pytest.mark.parametrize("who", ["another inspector", "provider", "social worker"])
def test_only_the_assigned_inspector_or_a_commissioner_may_assess_a_file(
        client, journey, sampled, who):
    stranger = {"another inspector": lambda: UserFactory(inspector=True),
                "provider": lambda: UserFactory(provider=True),
                "social worker": lambda: UserFactory(social_worker=True)}[who]()
    headers = bearer(stranger)
    change = a_change(next(iter(answers_for(sampled))), "yes")
    answers = post_changes(client, sampled, headers, [change])
    submit = client.post(f"/api/v1/inspections/files/{sampled.id}/submit", headers=headers,
                         json={"client_id": str(uuid.uuid4())})
    assert {answers.status_code, submit.status_code} <= {403, 404}
    if who == "another inspector":
        assert (answers.status_code, submit.status_code) == (404, 404)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.subject_type == "sampled_file",
            AuditEvent.subject_id == str(sampled.id))) == 2
    assert count(ChangeLogEntry) == 0 and count(InspectionSubmission) == 0
    commissioner = post_changes(client, sampled, bearer(UserFactory(commissioner=True)),
                                [change])
    assert commissioner.get_json()["results"][0]["status"] == "applied"


def test_an_unknown_file_is_a_404(client, journey, sampled):
    response = post_changes(client, sampled, bearer(journey.inspector), [])
    assert response.status_code == 400  # an empty batch is malformed
    for sampled_id in (999999, 2 ** 64):
        missing = client.post(f"/api/v1/inspections/files/{sampled_id}/answers",
                              headers=bearer(journey.inspector),
                              json={"device_id": "t", "changes": [a_change("x", "yes")]})
        assert missing.status_code == 404


def test_answers_close_when_file_sampling_ends(client, journey, sampled):
    from accreditation.cases import operations

    headers = bearer(journey.inspector)
    for sample in samples_for(journey.case):
        for each in sample.files:
            drafts.save_answers(journey.inspector, each, [drafts.AnswerChange(
                str(uuid.uuid4()), item_id, value, None, 0)
                for item_id, value in answers_for(each).items()])
            drafts.submit_inspection(journey.inspector, each)
    operations.complete_file_sampling(journey.inspector, journey.case,
                                      expected_version=journey.case.version)
    [result] = post_changes(client, sampled, headers,
                            [a_change(next(iter(answers_for(sampled))), "no")]
                            ).get_json()["results"]
    assert result["status"] == "rejected" and "closed" in result["message"]
