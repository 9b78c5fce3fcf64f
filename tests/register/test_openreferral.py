"""The open data feed: accredited providers as Open Referral UK / HSDS 3.0 services, open to
anyone, valid against the HSDS 3.0 schemas, with no address or personal data anywhere."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import accreditation
from accreditation.cases import operations as case_operations
from accreditation.cases.models import Case, CaseProperty, InspectionOutcome
from accreditation.extensions import db
from accreditation.providers.models import (
    AccommodationCategory,
    OrganisationPerson,
    PersonRole,
    Tenure,
)
from accreditation.register.openreferral import service_id
from accreditation.workflow import CaseStatus

from ..cases.conftest import checklists, today  # noqa: F401 (shared fixtures)
from ..cases.journey import TODAY, Journey
from ..factories import CouncilFactory, OrganisationFactory, PropertyFactory

# --- the HSDS 3.0 schemas, as published, wired together by their own URLs ----------------------

SCHEMAS = Path(accreditation.__file__).parent / "data" / "openreferral"
HSDS = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


def _resource(name: str) -> Resource:
    contents = json.loads((SCHEMAS / name).read_text())
    return Resource.from_contents(contents, default_specification=DRAFT202012)


REGISTRY = Registry().with_resources([
    (HSDS + "openapi.json", _resource("openapi.json")),
    # openapi.json names the compiled service schema; this copy is the same schema with its
    # nested objects as definitions.
    (HSDS + "compiled/service.json", _resource("service_with_definitions.json")),
    (HSDS + "compiled/service_list.json", _resource("service_list.json")),
])


def _response_schema(path: str) -> Draft202012Validator:
    pointer = path.replace("~", "~0").replace("/", "~1")
    ref = (f"{HSDS}openapi.json#/paths/{pointer}/get/responses/200/content/"
           "application~1json/schema")
    return Draft202012Validator({"$ref": ref}, registry=REGISTRY,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


SERVICE_PAGE = _response_schema("/services")
SERVICE = Draft202012Validator({"$ref": HSDS + "compiled/service.json"}, registry=REGISTRY,
                               format_checker=Draft202012Validator.FORMAT_CHECKER)
ENVELOPE = ["total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents"]


def _hsds_properties(schema: dict, definitions: dict) -> tuple[dict, dict]:
    if "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("type") == "array":
        return _hsds_properties(schema["items"], definitions)
    return schema.get("properties", {}), schema


def unknown_fields(value, schema: dict, definitions: dict, path: str = "") -> list[str]:
    """Fields HSDS does not define (the schemas allow extra fields; we add none)."""
    properties, _ = _hsds_properties(schema, definitions)
    found = []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            continue
        for key, inner in item.items():
            if key not in properties:
                found.append(f"{path}/{key}")
            elif isinstance(inner, dict | list):
                found += unknown_fields(inner, properties[key], definitions, f"{path}/{key}")
    return found


SERVICE_SCHEMA = json.loads((SCHEMAS / "service_with_definitions.json").read_text())


def assert_valid_service(service: dict) -> None:
    SERVICE.validate(service)
    assert unknown_fields(service, SERVICE_SCHEMA, SERVICE_SCHEMA["definitions"]) == []
    datetime.fromisoformat(service["last_modified"])  # format checkers skip date-time
    date.fromisoformat(service["assured_date"])


# --- providers in every state ------------------------------------------------------------------

def accredited_directly(name: str, *, homes: int = 1, status=CaseStatus.ACCREDITED,
                        council=None):
    """A provider set straight into an accredited state (the journey is slow; see below
    for the real route)."""
    organisation = OrganisationFactory(name=name)
    case = Case(organisation=organisation, status=status, accredited_on=date(2026, 10, 1),
                expires_on=date(2027, 10, 1),
                suspension_reason="Concern" if status is CaseStatus.SUSPENDED else None)
    db.session.add(case)
    for _ in range(homes):
        home = PropertyFactory(organisation=organisation, local_authority=council or
                               CouncilFactory())
        db.session.add(CaseProperty(case=case, home=home, outcome=InspectionOutcome.PASSED,
                                    accredited=True))
    db.session.commit()
    return organisation


@pytest.fixture
def providers(app, today, checklists):  # noqa: F811
    """Two providers through the real route: one stays accredited, one is suspended."""
    kept, suspended = Journey(properties=2), Journey(properties=1)
    for journey, name in ((kept, "Harbour Lights Housing Ltd"),
                          (suspended, "Shady Rooms Ltd")):
        journey.organisation.name = name
        journey.all_the_way()
    homes = kept.organisation.properties
    homes[0].name, homes[0].address_line_1, homes[0].address_line_2 = (
        "Albion House", "17 Quiet Mews", "Flat 2")
    homes[0].town, homes[0].postcode = "Lower Wickham", "ZZ9 9ZZ"
    homes[1].category = AccommodationCategory.SUPPORTED_LODGINGS
    homes[1].tenure, homes[1].landlord_name = Tenure.LEASED, "Larry Landlord"
    kept.organisation.registered_office = "99 Registered Row, Office Town RO1 1RO"
    db.session.add(OrganisationPerson(organisation=kept.organisation,
                                      full_name="Priya Director", role=PersonRole.DIRECTOR))
    db.session.commit()
    case_operations.suspend(suspended.commissioner, suspended.case, reason="Safeguarding",
                            expected_version=suspended.case.version)
    return kept, suspended


# --- the feed ----------------------------------------------------------------------------------

def test_the_feed_lists_accredited_providers_as_valid_hsds_services(client, providers):
    kept, suspended = providers
    response = client.get("/openreferral/services")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    page = response.json
    SERVICE_PAGE.validate(page)
    assert set(page) == set(ENVELOPE)
    assert (page["total_items"], page["total_pages"], page["page_number"], page["size"]) == (
        1, 1, 1, 1)
    assert page["first_page"] and page["last_page"] and not page["empty"]
    [item] = page["contents"]
    assert item["name"] == "Harbour Lights Housing Ltd: supported accommodation for young people"
    assert item["organization"]["name"] == "Harbour Lights Housing Ltd"
    assert item["organization"]["organization_identifiers"][0]["identifier"] == \
        kept.organisation.company_number
    assert "Accredited until" in item["accreditations"]

    detail = client.get(f"/openreferral/services/{item['id']}")
    assert detail.status_code == 200
    service = detail.json
    assert_valid_service(service)
    assert service["id"] == item["id"] == service_id(kept.organisation)
    councils = sorted({home.local_authority.name for home in kept.organisation.properties})
    assert [area["name"] for area in service["service_areas"]] == councils
    assert (service["minimum_age"], service["maximum_age"]) == (16, 25)


def test_a_suspended_provider_is_not_in_the_feed(client, providers):
    kept, suspended = providers
    text = client.get("/openreferral/services").text
    assert "Shady Rooms" not in text
    response = client.get(f"/openreferral/services/{service_id(suspended.organisation)}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # Reinstated, it is back under the same id.
    case_operations.reinstate(suspended.commissioner, suspended.case,
                              expected_version=suspended.case.version)
    again = client.get(f"/openreferral/services/{service_id(suspended.organisation)}")
    assert again.status_code == 200
    assert_valid_service(again.json)


def test_no_address_or_personal_data_appears_anywhere_in_the_feed(client, providers):
    kept, suspended = providers
    item = client.get("/openreferral/services").json["contents"][0]
    text = client.get("/openreferral/services").text + \
        client.get(f"/openreferral/services/{item['id']}").text
    secrets = {"Albion House", "Quiet Mews", "Flat 2", "Lower Wickham", "ZZ9 9ZZ", "ZZ9",
               "Larry Landlord", "Priya Director", "Dana Director", "Manny Manager",
               "Registered Row", "RO1"}
    for journey in providers:
        for home in journey.organisation.properties:
            secrets |= {home.name, home.address_line_1, home.postcode, home.town,
                        home.postcode.replace(" ", "")}
        for user in (journey.provider, journey.commissioner, journey.inspector):
            secrets |= {user.full_name, user.email}
    for secret in secrets:
        assert secret.lower() not in text.lower(), secret
    assert "latitude" not in text and "address" not in text


def test_ids_are_stable_uuids(client, providers):
    kept, _ = providers
    first = client.get("/openreferral/services").json["contents"][0]
    second = client.get("/openreferral/services").json["contents"][0]
    assert first["id"] == second["id"] and first["organization_id"] == \
        second["organization_id"]
    assert uuid.UUID(first["id"]).version == 5
    assert first["id"] != first["organization_id"]


def test_the_feed_is_open_json_with_cors_and_short_caching(client, providers):
    response = client.get("/openreferral/services")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    # The service's security headers are still there.
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert client.get("/openreferral/").json["version"] == "3.0"


def test_no_key_or_session_is_needed_and_a_session_changes_nothing(client, providers):
    kept, _ = providers
    anonymous = client.get("/openreferral/services").json
    client.sign_in(kept.commissioner)
    assert client.get("/openreferral/services").json == anonymous


# --- paging ------------------------------------------------------------------------------------

def test_paging_walks_every_provider_once_in_a_stable_order(client, app, today):  # noqa: F811
    council = CouncilFactory(name="Camden")
    names = [f"Provider {letter} Ltd" for letter in "ABCDEFG"]
    for name in names:
        accredited_directly(name, council=council)
    accredited_directly("Suspended Ltd", status=CaseStatus.SUSPENDED, council=council)
    seen = []
    for number in (1, 2, 3):
        page = client.get(f"/openreferral/services?page={number}&per_page=3").json
        SERVICE_PAGE.validate(page)
        assert (page["total_items"], page["total_pages"], page["page_number"]) == (7, 3, number)
        assert page["first_page"] == (number == 1) and page["last_page"] == (number == 3)
        assert page["size"] == len(page["contents"]) == (3 if number < 3 else 1)
        seen += [item["organization"]["name"] for item in page["contents"]]
    assert seen == names
    beyond = client.get("/openreferral/services?page=9&per_page=3").json
    assert beyond["contents"] == [] and beyond["empty"] and beyond["last_page"]


def test_an_empty_register_gives_an_empty_valid_page(client, app, today):  # noqa: F811
    page = client.get("/openreferral/services").json
    SERVICE_PAGE.validate(page)
    assert page["total_items"] == 0 and page["empty"] and page["contents"] == []


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "per_page=0",
                                   "per_page=101", "per_page=1.5", "page=%EF%BC%91",
                                   "page=", "per_page=9999999999999999999999"])
def test_invalid_paging_answers_400_json(client, app, query):
    response = client.get(f"/openreferral/services?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("service", ["not-a-uuid", "6f1c1a52-3b8e-4c1e-9a55-0b7f6d2e8c11", "1",
                                     "%27%20OR%201=1"])
def test_unknown_ids_answer_404_json(client, app, service):
    response = client.get(f"/openreferral/services/{service}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "Traceback" not in response.text


def test_never_accredited_and_expired_providers_are_not_in_the_feed(client, app, today):  # noqa: F811
    never = OrganisationFactory(name="Draft Only Ltd")
    db.session.add(Case(organisation=never))
    expired = accredited_directly("Lapsed Ltd")
    expired.cases[0].expires_on = TODAY.replace(day=TODAY.day - 1)  # tick has not run yet
    db.session.commit()
    assert client.get("/openreferral/services").json["total_items"] == 0
    for organisation in (never, expired):
        assert client.get(
            f"/openreferral/services/{service_id(organisation)}").status_code == 404


def test_the_schemas_really_check_what_the_feed_sends():
    """The validators above are not vacuous: they resolve HSDS's own references and refuse
    a service HSDS would refuse."""
    good = {"id": str(uuid.uuid4()), "name": "A service", "status": "active",
            "organization": {"id": str(uuid.uuid4()), "name": "Org", "description": "Org"}}
    SERVICE.validate(good)
    for broken in ({**good, "status": "open"}, {**good, "id": "42"},
                   {key: value for key, value in good.items() if key != "status"},
                   {**good, "organization": {"id": str(uuid.uuid4()), "name": "Org"}},
                   {**good, "service_areas": [{"name": "Camden"}]}):
        assert not SERVICE.is_valid(broken)
    envelope = {"total_items": 1, "total_pages": 1, "page_number": 1, "size": 1,
                "first_page": True, "last_page": True, "empty": False, "contents": [good]}
    SERVICE_PAGE.validate(envelope)
    assert not SERVICE_PAGE.is_valid({**envelope, "total_items": "1"})
    assert not SERVICE_PAGE.is_valid({**envelope, "contents": [{**good, "status": "open"}]})
    assert unknown_fields({**good, "postcode": "N1"}, SERVICE_SCHEMA,
                          SERVICE_SCHEMA["definitions"]) == ["/postcode"]


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/openreferral/organizations", 404), ("GET", "/openreferral/services/a/b", 404),
    ("POST", "/openreferral/services", 405), ("DELETE", "/openreferral/services/x", 405),
    ("PUT", "/openreferral/", 405),
])
def test_everything_under_the_feed_answers_json(client, app, method, path, status):
    response = client.open(path, method=method, json={})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    if status == 405:
        assert "GET" in response.headers["Allow"]
