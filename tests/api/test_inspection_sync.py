"""The tablet's sync API: every write safe to send again, conflicts kept, shapes documented."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from accreditation.api.openapi import document
from accreditation.audit import AuditEvent
from accreditation.auth.models import ApiToken
from accreditation.auth.tokens import create_token
from accreditation.database import utcnow
from accreditation.evidence.models import Evidence, EvidenceKind
from accreditation.extensions import db
from accreditation.stages import inspection_drafts as drafts
from accreditation.stages.models import ChangeLogEntry
from accreditation.standards.models import Assessment

from ..cases.journey import best_answers, photograph_required_items
from ..conftest import local_evidence_config, running_app
from ..evidence.samples import jpeg
from ..factories import UserFactory


@pytest.fixture
def app(database_url, tmp_path):
    """The app with its evidence stored under the test's own temp folder."""
    yield from running_app(local_evidence_config(database_url, tmp_path))


@pytest.fixture
def link(journey):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    return journey.case.properties[0]


def bearer(user) -> dict:
    _, token = create_token(user, "test")
    return {"Authorization": f"Bearer {token}"}


def schema(name: str) -> Draft202012Validator:
    spec = document()
    return Draft202012Validator({**spec["components"]["schemas"][name],
                                 "components": spec["components"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def answers_for(link) -> dict:
    return best_answers("property_inspection", category=link.home.category.value)


def yes_no_item(link) -> str:
    return next(item.id for item in drafts.checklist_for(link)[1] if item.answer_type == "yes_no")


def a_change(item_id, value, base=0, note=None) -> dict:
    return {"client_id": str(uuid.uuid4()), "item_id": item_id, "value": value,
            "note": note, "base_revision": base}


def post_changes(client, link, headers, changes, device_id="tablet-1"):
    return client.post(f"/api/v1/inspections/{link.id}/answers", headers=headers,
                       json={"device_id": device_id, "changes": changes})


def stored_keys(app) -> list[str]:
    """What the store holds besides the application's documents (uploaded before it was
    submitted): the photos."""
    documents = set(db.session.scalars(sa.select(Evidence.storage_key).where(
        Evidence.kind == EvidenceKind.DOCUMENT)))
    return sorted(set(app.extensions["evidence_storage"].list_keys()) - documents)


def photo_count() -> int:
    """How many photos are kept (the application's documents aside)."""
    return db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(
        Evidence.kind == EvidenceKind.PHOTO))


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_the_inspector_lists_assigned_inspections_with_drafts_photos_and_conflicts(
        client, journey, link):
    headers = bearer(journey.inspector)
    item_id, value = yes_no_item(link), "yes"
    post_changes(client, link, headers, [a_change(item_id, value, note="Seen in hall")])
    post_changes(client, link, headers, [a_change(item_id, "no")], device_id="tablet-2")
    client.post(f"/api/v1/inspections/{link.id}/photos", headers=headers,
                data={"client_id": str(uuid.uuid4()), "item_id": item_id,
                      "file": (io.BytesIO(jpeg()), "hall.jpg")})
    response = client.get("/api/v1/inspector/inspections", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    schema("InspectionList").validate(body)
    listed = {entry["link_id"]: entry for entry in body["contents"]}
    assert set(listed) == {p.id for p in journey.case.properties}
    mine = listed[link.id]
    assert mine["case_reference"] == journey.case.reference
    assert mine["property"]["postcode"] == link.home.postcode
    assert mine["answers"][item_id] == {"value": value, "note": "Seen in hall", "revision": 1}
    assert [(c["value"], c["server_value"]) for c in mine["conflicts"]] == [("no", "yes")]
    assert len(mine["photos"][item_id]) == 1
    assert (mine["submitted"], mine["inspectable"]) == (False, True)
    assert client.get("/api/v1/inspector/inspections",
                      headers=bearer(UserFactory(inspector=True))).get_json() == {"contents": []}


def test_a_batch_sent_ten_times_is_applied_once(client, journey, link):
    headers = bearer(journey.inspector)
    batch = [a_change(item_id, value) for item_id, value in list(answers_for(link).items())[:5]]
    first = post_changes(client, link, headers, batch)
    assert first.status_code == 200, first.text
    schema("ChangeResults").validate(first.get_json())
    results = first.get_json()["results"]
    assert {r["status"] for r in results} == {"applied"} and not any(r["replayed"] for r in results)
    for _ in range(10):
        again = post_changes(client, link, headers, batch).get_json()["results"]
        assert [{**r, "replayed": False} for r in again] == results
        assert all(r["replayed"] for r in again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLogEntry)) == 5
    assert {d.revision for d in drafts.drafts_for(link).values()} == {1}


def test_a_stale_edit_from_a_second_tablet_comes_back_as_a_conflict(client, journey, link):
    headers = bearer(journey.inspector)
    item_id = yes_no_item(link)
    post_changes(client, link, headers, [a_change(item_id, "yes")], device_id="tablet-1")
    [result] = post_changes(client, link, headers, [a_change(item_id, "no")],
                            device_id="tablet-2").get_json()["results"]
    assert (result["status"], result["revision"], result["server_value"]) == (
        "conflict", 1, "yes")
    assert drafts.drafts_for(link)[item_id].value == "yes"


@pytest.mark.parametrize("body, message", [
    ({"changes": []}, "device_id is required."),
    ({"device_id": "t", "changes": []}, "changes must have at least 1 entry."),
    ({"device_id": "t", "changes": [a_change("smoke_alarms", "yes")] * 201},
     "changes must have at most 200 entries."),
    ({"device_id": "x" * 65, "changes": [a_change("smoke_alarms", "yes")]},
     "device_id must be at most 64 characters long."),
    ({"device_id": "t", "changes": [{**a_change("smoke_alarms", "yes"), "client_id": "abc"}]},
     "changes/0/client_id must be a UUID"),
    ({"device_id": "t", "changes": [a_change("Smoke Alarms!", "yes")]},
     "changes/0/item_id must match the pattern"),
    ({"device_id": "t", "changes": [a_change("smoke_alarms", {"nested": 1})]},
     "changes/0/value must be text, a number or null."),
    ({"device_id": "t", "changes": [a_change("smoke_alarms", "yes", base=-1)]},
     "changes/0/base_revision must be at least 0."),
    ({"device_id": "t", "changes": [{**a_change("smoke_alarms", "yes"), "extra": 1}]},
     "changes/0/extra: not a field of this request."),
    ({"device_id": "t", "changes": [{"client_id": str(uuid.uuid4()), "item_id": "a"}]},
     "changes/0/value is required."),
    ([1], "must be a JSON object"),
    ("{not json", "must be a JSON object"),
])
def test_malformed_answer_batches_are_400_problems(client, journey, link, body, message):
    kwargs = ({"data": body, "content_type": "application/json"} if isinstance(body, str)
              else {"json": body})
    response = client.post(f"/api/v1/inspections/{link.id}/answers",
                           headers=bearer(journey.inspector), **kwargs)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert message in response.get_json()["detail"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLogEntry)) == 0


def test_unusable_answers_are_rejected_with_the_item_named(client, journey, link):
    checklist, items = drafts.checklist_for(link)
    graded = next(item for item in items if item.answer_type == "graded")
    results = post_changes(client, link, bearer(journey.inspector), [
        a_change(graded.id, 7), a_change("not_a_question", "yes")]).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert graded.title in results[0]["message"]
    assert "not_a_question" in results[1]["message"]
    assert drafts.drafts_for(link) == {}
    assert "inspection.changes_rejected" in audit_actions()


def test_another_inspectors_inspection_is_404_and_audited(client, journey, link):
    stranger = bearer(UserFactory(inspector=True))
    item_id = next(iter(answers_for(link)))
    for response in (
            post_changes(client, link, stranger, [a_change(item_id, "yes")]),
            client.post(f"/api/v1/inspections/{link.id}/submit", headers=stranger,
                        json={"client_id": str(uuid.uuid4())}),
            client.post(f"/api/v1/inspections/{link.id}/photos", headers=stranger,
                        data={"client_id": str(uuid.uuid4()), "item_id": item_id,
                              "file": (io.BytesIO(jpeg()), "a.jpg")})):
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    denied = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "access.denied")).all()
    assert len(denied) == 3 and {event.subject_id for event in denied} == {str(link.id)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLogEntry)) == 0
    assert photo_count() == 0


@pytest.mark.parametrize("role", ["provider", "social_worker"])
def test_providers_and_social_workers_are_refused(client, journey, link, role):
    user = journey.provider if role == "provider" else UserFactory(social_worker=True)
    headers = bearer(user)
    item_id = next(iter(answers_for(link)))
    assert post_changes(client, link, headers, [a_change(item_id, "no")]).status_code == 403
    assert client.get("/api/v1/inspector/inspections", headers=headers).status_code == 403
    assert "access.denied" in audit_actions()
    assert drafts.drafts_for(link) == {}


def test_a_commissioner_may_work_on_any_inspection(client, journey, link):
    item_id = yes_no_item(link)
    [result] = post_changes(client, link, bearer(journey.commissioner),
                            [a_change(item_id, "yes")]).get_json()["results"]
    assert result["status"] == "applied"


def test_an_inspection_that_is_not_open_rejects_changes_with_a_message(client, journey):
    journey.submit()
    journey.pass_due_diligence()  # file sampling: the inspection is coming, not open
    link = journey.case.properties[0]
    headers = bearer(journey.inspector)
    listed = client.get("/api/v1/inspector/inspections", headers=headers).get_json()
    assert [entry["inspectable"] for entry in listed["contents"]] == [False, False]
    [result] = post_changes(client, link, headers,
                            [a_change(yes_no_item(link), "yes")]).get_json()["results"]
    assert result["status"] == "rejected"
    assert "This inspection is closed" in result["message"]
    assert drafts.drafts_for(link) == {}


def test_a_photo_sent_again_is_stored_once(app, client, journey, link):
    headers = bearer(journey.inspector)
    item_id = next(iter(answers_for(link)))
    client_id = str(uuid.uuid4())

    def send():
        return client.post(f"/api/v1/inspections/{link.id}/photos", headers=headers,
                           data={"client_id": client_id, "item_id": item_id,
                                 "file": (io.BytesIO(jpeg()), "kitchen.jpg")})

    first = send()
    assert first.status_code == 201, first.text
    schema("PhotoReceipt").validate(first.get_json())
    keys = stored_keys(app)
    assert len(keys) == 2  # the photo and its preview
    for _ in range(3):
        again = send()
        assert again.status_code == 200
        assert again.get_json() == first.get_json()
    assert stored_keys(app) == keys
    assert photo_count() == 1
    evidence = db.session.scalars(sa.select(Evidence).where(
        Evidence.kind == EvidenceKind.PHOTO)).one()
    assert (evidence.item_id, evidence.property_id, evidence.client_id) == (
        item_id, link.property_id, client_id)


@pytest.mark.parametrize("data, status, message", [
    ({"item_id": "smoke_alarms"}, 400, "client_id must be a UUID"),
    ({"client_id": str(uuid.uuid4())}, 400, "give the checklist item"),
    ({"client_id": str(uuid.uuid4()), "item_id": "not_an_item"}, 400, "not a question"),
    ({"client_id": str(uuid.uuid4()), "item_id": "ITEM"}, 400, "give the checklist item"),
])
def test_malformed_photo_uploads_are_400_problems(client, journey, link, data, status,
                                                  message):
    response = client.post(f"/api/v1/inspections/{link.id}/photos",
                           headers=bearer(journey.inspector),
                           data={**data, "file": (io.BytesIO(jpeg()), "a.jpg")})
    assert response.status_code == status
    assert message in response.get_json()["detail"]


def test_a_file_that_is_not_a_photo_is_refused(client, journey, link):
    response = client.post(f"/api/v1/inspections/{link.id}/photos",
                           headers=bearer(journey.inspector),
                           data={"client_id": str(uuid.uuid4()),
                                 "item_id": next(iter(answers_for(link))),
                                 "file": (io.BytesIO(b"%PDF-1.4\n"), "a.jpg")})
    assert response.status_code == 400
    assert photo_count() == 0


def test_submitting_scores_the_drafts_and_a_replay_answers_the_same(client, journey, link):
    headers = bearer(journey.inspector)
    answers = answers_for(link)
    post_changes(client, link, headers,
                 [a_change(item_id, value) for item_id, value in answers.items()])
    body = {"client_id": str(uuid.uuid4())}
    refused = client.post(f"/api/v1/inspections/{link.id}/submit", headers=headers, json=body)
    assert refused.status_code == 400
    assert "No photo yet: Smoke and heat alarms" in refused.get_json()["detail"]
    photograph_required_items(journey.inspector, link)
    first = client.post(f"/api/v1/inspections/{link.id}/submit", headers=headers, json=body)
    assert first.status_code == 201, first.text
    schema("AssessmentResult").validate(first.get_json())
    assert first.get_json()["passed"] is True
    again = client.post(f"/api/v1/inspections/{link.id}/submit", headers=headers, json=body)
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment).where(
        Assessment.kind == "property_inspection")) == 1
    listed = client.get("/api/v1/inspector/inspections", headers=headers).get_json()
    entry = next(e for e in listed["contents"] if e["link_id"] == link.id)
    assert (entry["submitted"], entry["inspectable"]) == (True, False)
    [late] = post_changes(client, link, headers,
                          [a_change(next(iter(answers)), None, base=1)]).get_json()["results"]
    assert late["status"] == "rejected"


def test_submitting_with_gaps_or_conflicts_is_refused_clearly(client, journey, link):
    headers = bearer(journey.inspector)
    item_id = yes_no_item(link)
    post_changes(client, link, headers, [a_change(item_id, "yes")])
    gaps = client.post(f"/api/v1/inspections/{link.id}/submit", headers=headers,
                       json={"client_id": str(uuid.uuid4())})
    assert gaps.status_code == 400 and "Not answered yet" in gaps.get_json()["detail"]
    post_changes(client, link, headers, [a_change(item_id, "no")], device_id="tablet-2")
    clash = client.post(f"/api/v1/inspections/{link.id}/submit", headers=headers,
                        json={"client_id": str(uuid.uuid4())})
    assert clash.status_code == 409 and "Choose which to keep" in clash.get_json()["detail"]
    assert client.post(f"/api/v1/inspections/{link.id}/submit", headers=headers,
                       json={"client_id": "nope"}).status_code == 400
    assert audit_actions().count("inspection.submit_refused") == 2


def test_a_tablet_token_works_for_twelve_hours_then_answers_401(client, journey, link):
    token, expires_at = drafts.issue_device_token(journey.inspector)
    record = db.session.scalars(sa.select(ApiToken).where(ApiToken.name == "tablet")).one()
    assert timedelta(hours=11, minutes=59) < expires_at - utcnow() <= timedelta(hours=12)
    assert record.expires_at == expires_at.replace(microsecond=record.expires_at.microsecond)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/inspector/inspections", headers=headers).status_code == 200
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/inspector/inspections", headers=headers)
    assert response.status_code == 401
    created = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "api_token.created")).one()
    assert created.details["name"] == "tablet" and "expires_at" in created.details


@pytest.mark.parametrize("role", ["provider", "social_worker"])
def test_only_inspectors_and_commissioners_get_a_tablet_token(journey, role):
    user = journey.provider if role == "provider" else UserFactory(social_worker=True)
    with pytest.raises(Exception, match="Only inspectors"):
        drafts.issue_device_token(user)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert "access.denied" in audit_actions()


# --- whatever arrives, the answer is a result or a 400 problem, never a server error -------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)
ITEM_IDS = ["smoke_alarms", "manager_named", "no_such_item", "Bad Id", ""]


def change_bodies():
    field = lambda good: st.one_of(good, JSON)  # noqa: E731
    return st.fixed_dictionaries(
        {"client_id": field(st.uuids().map(str)), "item_id": field(st.sampled_from(ITEM_IDS)),
         "value": field(st.sampled_from(["yes", "no", 2, 2.5, None, "not_applicable"])),
         "base_revision": field(st.integers(-1, 3))},
        optional={"note": field(st.text(max_size=30)), "extra": JSON})


BODIES = st.one_of(
    JSON,
    st.fixed_dictionaries({"device_id": st.one_of(st.text(max_size=70), JSON),
                           "changes": st.one_of(st.lists(change_bodies(), max_size=4), JSON)}))


def test_any_body_gets_results_or_a_400_problem(client, journey, link):
    headers = bearer(journey.inspector)
    results = schema("ChangeResults")

    @settings(max_examples=60)
    @given(body=BODIES, raw=st.sampled_from([None, "NaN", '{"device_id": "t", "changes": '
                                                       '[{"value": Infinity}]}']))
    def check(body, raw):
        kwargs = ({"data": raw, "content_type": "application/json"} if raw and body is None
                  else {"json": body})
        response = client.post(f"/api/v1/inspections/{link.id}/answers", headers=headers,
                               **kwargs)
        assert response.status_code in (200, 400), response.text
        if response.status_code == 200:
            results.validate(response.get_json())
        else:
            assert response.mimetype == "application/problem+json"

    check()


def free_text_item(link) -> str:
    return next(item.id for item in drafts.checklist_for(link)[1]
                if item.answer_type == "free_text")


@pytest.mark.parametrize("value, note", [("NaN", "null"), ("Infinity", "null"),
                                         ('"fine"', '"bad \\u0000 note"'),
                                         ('"bad \\u0000 text"', "null")])
def test_values_no_database_can_keep_are_rejected_not_stored(client, journey, link, value,
                                                             note):
    change = (f'{{"client_id": "{uuid.uuid4()}", "item_id": "{free_text_item(link)}", '
              f'"value": {value}, "note": {note}, "base_revision": 0}}')
    raw = f'{{"device_id": "t", "changes": [{change}]}}'
    response = client.post(f"/api/v1/inspections/{link.id}/answers", data=raw,
                           content_type="application/json", headers=bearer(journey.inspector))
    assert response.status_code == 200, response.text
    [result] = response.get_json()["results"]
    assert result["status"] == "rejected" and result["message"]
    assert drafts.drafts_for(link) == {}


def test_a_device_id_that_is_not_text_is_a_400(client, journey, link):
    response = post_changes(client, link, bearer(journey.inspector),
                            [a_change(yes_no_item(link), "yes")], device_id="tab\u0000let")
    assert response.status_code == 400


def test_the_sync_api_is_documented_with_valid_schemas():
    spec = document()
    names = ("Inspection", "InspectionList", "AnswerChangesRequest", "ChangeResults",
             "PhotoUpload", "PhotoReceipt", "SubmitInspectionRequest")
    for name in names:
        Draft202012Validator.check_schema(spec["components"]["schemas"][name])
    for path in ("/inspector/inspections", "/inspections/{link_id}/answers",
                 "/inspections/{link_id}/photos", "/inspections/{link_id}/submit"):
        for operation in spec["paths"][path].values():
            assert operation["security"] == [{"bearer": []}]
            refs = [media["schema"]["$ref"] for response in operation["responses"].values()
                    for media in response["content"].values()]
            assert all(ref.rsplit("/", 1)[1] in spec["components"]["schemas"] for ref in refs)
