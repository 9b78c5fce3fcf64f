"""The JSON API: bearer tokens only, the same operations, JSON problems, documented shapes."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from accreditation.api.openapi import document
from accreditation.audit import AuditEvent
from accreditation.auth.tokens import create_token, revoke_token
from accreditation.cases.models import Case
from accreditation.database import utcnow
from accreditation.errors import ValidationFailed
from accreditation.extensions import db
from accreditation.workflow import CaseStatus

from ..cases.journey import TODAY, best_answers
from ..factories import UserFactory


def bearer(user) -> dict:
    _, token = create_token(user, "test")
    return {"Authorization": f"Bearer {token}"}


def schema(name: str) -> Draft202012Validator:
    spec = document()
    # The document's own "#/components/..." references resolve against it.
    return Draft202012Validator({**spec["components"]["schemas"][name],
                                 "components": spec["components"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_tokens_command_prints_a_working_token_once(runner, client):
    user = UserFactory(commissioner=True, email="boss@example.org")
    result = runner.invoke(args=["tokens", "create", "--email", "boss@example.org",
                                 "--name", "Camden case system"])
    assert result.exit_code == 0, result.output
    token = next(line for line in result.output.splitlines() if line.startswith("acc_"))
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    from accreditation.auth.models import ApiToken
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert token not in stored.token_hash and stored.user_id == user.id
    assert stored.last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer acc_not-a-real-token", "Basic dXNlcjpwYXNz",
                                    "Bearer "])
def test_without_a_valid_token_the_api_answers_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/cases", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_browser_session_does_not_authenticate_the_api(client):
    client.sign_in(UserFactory(commissioner=True))
    assert client.get("/commissioner/").status_code == 200
    assert client.get("/api/v1/cases").status_code == 401


def test_a_revoked_token_stops_working(client):
    user = UserFactory(commissioner=True)
    record, token = create_token(user, "tablet")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    revoke_token(record.id)
    assert client.get("/api/v1/cases", headers=headers).status_code == 401
    # The replay is kept in the audit trail; a token nobody ever had is not worth a row.
    assert client.get("/api/v1/cases", headers={
        "Authorization": "Bearer " + token[:-4] + "abcd"}).status_code == 401
    [refused] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "api_token.refused")).all()
    assert (refused.subject_id, refused.details["reason"]) == (str(record.id), "revoked")


@pytest.mark.parametrize("problem", ["expired", "account deactivated"])
def test_an_expired_token_or_one_of_a_deactivated_account_is_refused_and_audited(
        client, problem):
    user = UserFactory(inspector=True)
    record, token = create_token(user, "tablet")
    if problem == "expired":
        record.expires_at = utcnow() - timedelta(seconds=1)
    else:
        user.is_active = False
    db.session.commit()
    response = client.get("/api/v1/inspector/inspections",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    [refused] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "api_token.refused")).all()
    assert refused.details["reason"] == problem


def test_a_provider_lists_only_its_own_cases(client, journey):
    journey.submit()
    other = UserFactory(provider=True)
    mine = client.get("/api/v1/cases", headers=bearer(journey.provider)).get_json()
    assert [case["id"] for case in mine["contents"]] == [journey.case.id]
    assert client.get("/api/v1/cases", headers=bearer(other)).get_json()["total_items"] == 0
    assert client.get(f"/api/v1/cases/{journey.case.id}",
                      headers=bearer(other)).status_code == 404


def test_responses_match_the_documented_schemas(client, journey):
    journey.all_the_way()
    headers = bearer(journey.commissioner)
    page = client.get("/api/v1/cases?page=1&size=5", headers=headers).get_json()
    schema("CasePage").validate(page)
    assert (page["total_items"], page["total_pages"], page["page_number"], page["size"]) == (
        1, 1, 1, 5)
    case = client.get(f"/api/v1/cases/{journey.case.id}", headers=headers).get_json()
    schema("Case").validate(case)
    assert case["status"] == "accredited"


def test_a_commissioner_returns_a_case_through_the_api(client, journey):
    case = journey.submit()
    response = client.post(f"/api/v1/cases/{case.id}/transitions",
                           headers=bearer(journey.commissioner),
                           json={"action": "return", "expected_version": case.version,
                                 "message": "Send the lease.",
                                 "due_on": (TODAY + timedelta(days=7)).isoformat()})
    assert response.status_code == 200, response.text
    assert response.get_json()["status"] == "returned_at_due_diligence"


def test_an_illegal_transition_is_a_409_and_changes_nothing(client, journey):
    case = journey.submit()
    response = client.post(f"/api/v1/cases/{case.id}/transitions",
                           headers=bearer(journey.commissioner),
                           json={"action": "reinstate", "expected_version": case.version})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "at the due diligence stage, so you cannot reinstate" in response.get_json()["detail"]
    assert db.session.get(Case, case.id).status is CaseStatus.DUE_DILIGENCE


def test_a_stale_version_is_a_409(client, journey):
    case = journey.submit()
    response = client.post(f"/api/v1/cases/{case.id}/transitions",
                           headers=bearer(journey.commissioner),
                           json={"action": "return", "expected_version": case.version - 1,
                                 "message": "Send the lease.", "due_on": "2027-01-04"})
    assert response.status_code == 409
    assert "changed by someone else" in response.get_json()["detail"]


@pytest.mark.parametrize("body, message", [
    ({}, "action is required."),
    ({"action": "explode", "expected_version": 1}, "action must be one of: complete_file"),
    ({"action": "return", "expected_version": "2"},
     "expected_version must be a whole number."),
    ({"action": "return", "expected_version": 1, "due_on": "31/12/2027"},
     "due_on must be a date written as YYYY-MM-DD"),
    ({"action": "return", "expected_version": 1, "extra": True},
     "extra: not a field of this request."),
    ([1, 2], "must be a JSON object"),
    ("not json", "must be a JSON object"),
])
def test_invalid_bodies_are_400_with_a_message(client, journey, body, message):
    case = journey.submit()
    kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, str) \
        else {"json": body}
    response = client.post(f"/api/v1/cases/{case.id}/transitions",
                           headers=bearer(journey.commissioner), **kwargs)
    assert response.status_code == 400
    assert message in response.get_json()["detail"]


def test_an_inspector_records_an_inspection_through_the_api(client, journey):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    link = journey.case.properties[0]
    response = client.post(
        f"/api/v1/cases/{journey.case.id}/properties/{link.id}/inspection",
        headers=bearer(journey.inspector),
        json={"answers": best_answers("property_inspection", category=link.home.category.value)})
    assert response.status_code == 201, response.text
    result = response.get_json()
    schema("AssessmentResult").validate(result)
    assert result["passed"] is True


def test_an_inspection_with_a_bad_answer_names_the_item(client, journey):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    link = journey.case.properties[0]
    answers = best_answers("property_inspection", category=link.home.category.value)
    graded = next(key for key, value in answers.items() if isinstance(value, int)
                  and not isinstance(value, bool))
    answers[graded] = 9
    response = client.post(
        f"/api/v1/cases/{journey.case.id}/properties/{link.id}/inspection",
        headers=bearer(journey.inspector), json={"answers": answers})
    assert response.status_code == 400
    assert db.session.get(Case, journey.case.id).properties[0].assessment_id is None


def test_the_openapi_document_is_public_and_describes_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    documented = {path for path in spec["paths"]}
    routes = {rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace("<", "{")
              .replace(">", "}") for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1") and not rule.rule.endswith("openapi.json")}
    assert routes == documented


def test_a_tokens_last_use_is_written_once_in_a_while_not_on_every_call(client):
    from accreditation.auth.models import ApiToken
    from accreditation.auth.tokens import LAST_USED_RESOLUTION, create_token

    record, token = create_token(UserFactory(commissioner=True), "Camden case system")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    first = db.session.scalars(sa.select(ApiToken)).one().last_used_at
    assert first is not None
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.scalars(sa.select(ApiToken)).one().last_used_at == first
    stored = db.session.scalars(sa.select(ApiToken)).one()
    stored.last_used_at = first - LAST_USED_RESOLUTION
    db.session.commit()
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.scalars(sa.select(ApiToken)).one().last_used_at > first


def test_a_token_and_its_user_are_checked_in_one_query_and_a_deactivated_user_is_refused(
        client):
    from accreditation.auth.tokens import user_for_token

    user = UserFactory(commissioner=True)
    user_id, (_, token) = user.id, create_token(user, "Camden case system")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    db.session.expunge_all()
    run: list[str] = []

    def seen(connection, cursor, statement, parameters, context, executemany):
        run.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert user_for_token(token).id == user_id
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert len([sql for sql in run if sql.startswith("SELECT")]) == 1
    db.session.rollback()
    db.session.get(type(user), user_id).is_active = False
    db.session.commit()
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


@settings(max_examples=150, deadline=None)
@given(body=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["action", "expected_version", "message", "due_on",
                                       "reasons", "response", "extra"]), inner, max_size=4),
    max_leaves=8))
def test_a_refused_body_is_described_in_words_not_echoed(body):
    """Whatever a client sends, the problem names the field and the rule in words: none of the
    validator's Python representations of the value (``'2' is not of type 'integer'``)."""
    from accreditation.api.schemas import TRANSITION_REQUEST, validated

    try:
        validated(TRANSITION_REQUEST, body)
    except ValidationFailed as error:
        message = error.message
        assert message.endswith(".")
        for stock in ("is not of type", "is a required property", "is not one of",
                      "Additional properties", "does not match", "is not valid under",
                      "{'", "['", "None", "True", "False"):
            assert stock not in message, message
