"""Whole numbers coming into the JSON API are read by the forms' rule (``forms.whole_number``):
an id, version, revision, page or count past what the database holds is a 4xx problem, never a
server error, and the OpenAPI document gives every one of them its bounds."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from accreditation.api.openapi import document
from accreditation.extensions import db
from accreditation.routing import MAX_RECORD_ID
from accreditation.stages import inspection_drafts as drafts
from accreditation.stages.inspection_drafts import checklist_for
from accreditation.stages.models import ChangeLogEntry

from ..factories import UserFactory
from ..stages.conftest import inspection, sampled_file  # noqa: F401 (fixtures)
from .test_inspection_sync import bearer

# Found by fuzzing with a commissioner's token: one past 2**63, as a revision.
FUZZED = 12450121096404201472
TOO_LARGE = [MAX_RECORD_ID + 1, 2**63, FUZZED]


def answers_path(subject) -> str:
    kind = "inspections" if subject.__tablename__ == "case_property" else "inspections/files"
    return f"/api/v1/{kind}/{subject.id}/answers"


def a_change(subject, base_revision) -> dict:
    _, items = checklist_for(subject)
    item = next(item for item in items if item.answer_type == "yes_no")
    return {"client_id": str(uuid.uuid4()), "item_id": item.id, "value": "yes", "note": None,
            "base_revision": base_revision}


def changes_stored() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLogEntry))


@pytest.fixture(params=["property", "file"])
def subject(request, journey):
    """A property's inspection, or a sampled file's assessment, of the journey's case."""
    return request.getfixturevalue("inspection" if request.param == "property"
                                   else "sampled_file")


@pytest.mark.parametrize("base_revision", TOO_LARGE)
def test_a_revision_past_what_the_database_holds_is_a_400_problem(client, journey, subject,
                                                                  base_revision):
    response = client.post(answers_path(subject), headers=bearer(journey.commissioner),
                           json={"device_id": "tablet-1",
                                 "changes": [a_change(subject, base_revision)]})
    assert response.status_code == 400, response.text
    assert response.mimetype == "application/problem+json"
    assert "base_revision" in response.get_json()["detail"]
    assert changes_stored() == 0


def test_the_largest_revision_the_database_holds_is_read(client, journey, subject):
    response = client.post(answers_path(subject), headers=bearer(journey.inspector),
                           json={"device_id": "tablet-1",
                                 "changes": [a_change(subject, MAX_RECORD_ID)]})
    assert response.status_code == 200, response.text
    [result] = response.get_json()["results"]
    assert result["status"] == "applied"


def test_a_version_past_what_the_database_holds_is_a_400_problem(client, journey):
    case = journey.submit()
    response = client.post(f"/api/v1/cases/{case.id}/transitions",
                           headers=bearer(journey.provider),
                           json={"action": "withdraw", "expected_version": FUZZED})
    assert response.status_code == 400, response.text
    assert response.mimetype == "application/problem+json"
    assert "expected_version" in response.get_json()["detail"]


def test_vacancies_past_any_property_are_a_400_problem(client, journey):
    home = journey.organisation.properties[0]
    response = client.put(f"/api/v1/properties/{home.id}/vacancies",
                          headers=bearer(journey.provider), json={"vacancies": FUZZED})
    assert response.status_code == 400, response.text
    assert response.mimetype == "application/problem+json"


def _operations_with_ids():
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            ids = [parameter["name"] for parameter in operation.get("parameters", [])
                   if parameter["in"] == "path" and parameter["schema"]["type"] == "integer"]
            if ids:
                yield pytest.param(method, path, ids, id=f"{method.upper()} {path}")


@pytest.mark.parametrize("method, path, ids", list(_operations_with_ids()))
@pytest.mark.parametrize("number", [FUZZED, MAX_RECORD_ID + 1])
def test_an_id_past_what_the_database_holds_in_any_path_is_a_404_problem(client, method, path,
                                                                         ids, number):
    for name in ids:
        path = path.replace(f"{{{name}}}", str(number))
    response = client.open(f"/api/v1{path}", method=method.upper(), json={},
                           headers=bearer(UserFactory(commissioner=True)))
    assert response.status_code == 404, response.text
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path, name", [
    ("/cases", "page"), ("/cases", "size"),
    ("/register/providers", "page"), ("/register/providers", "size"),
    ("/register/properties", "page"), ("/register/properties", "local_authority"),
    ("/register/properties", "age"),
])
@pytest.mark.parametrize("number", [FUZZED, MAX_RECORD_ID + 1, 0, "", "\u00b2"])
def test_a_number_out_of_range_in_a_query_is_a_400_problem(client, path, name, number):
    response = client.get(f"/api/v1{path}", query_string={name: number},
                          headers=bearer(UserFactory(commissioner=True)))
    assert response.status_code == 400, response.text
    assert response.mimetype == "application/problem+json"


def _integers(schema, components, where):
    """Every integer schema in ``schema`` (following references), with where it is."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            yield from _integers(components[name], components, f"{where} ({name})")
            return
        types = schema.get("type")
        if types == "integer" or (isinstance(types, list) and "integer" in types):
            yield where, schema
        for key, value in schema.items():
            if key in ("properties", "patternProperties", "$defs"):
                for name, child in value.items():
                    yield from _integers(child, components, f"{where}.{name}")
            elif isinstance(value, dict | list):
                yield from _integers(value, components, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, child in enumerate(schema):
            yield from _integers(child, components, f"{where}[{index}]")


def test_every_whole_number_the_api_reads_is_documented_with_its_bounds():
    spec = document()
    components = spec["components"]["schemas"]
    read = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                read += _integers(parameter["schema"], components,
                                  f"{label} {parameter['in']} {parameter['name']}")
            for media in operation.get("requestBody", {}).get("content", {}).values():
                read += _integers(media["schema"], components, f"{label} body")
    assert len(read) >= 15
    for where, schema in read:
        assert isinstance(schema.get("minimum"), int), f"{where} has no minimum"
        assert isinstance(schema.get("maximum"), int), f"{where} has no maximum"
        assert 0 <= schema["minimum"] <= schema["maximum"] <= MAX_RECORD_ID, where


def test_the_operation_behind_it_rejects_such_a_revision_too(journey, subject):
    change = a_change(subject, FUZZED)
    [result] = drafts.save_answers(journey.inspector, subject, [drafts.AnswerChange(
        client_id=change["client_id"], item_id=change["item_id"], value="yes", note=None,
        base_revision=FUZZED)], device_id="tablet-1")
    assert result.status == "rejected" and "base_revision" in result.message
    assert drafts.drafts_for(subject) == {}
