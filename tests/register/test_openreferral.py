"""The open data feed: accredited providers as Open Referral UK (HSDS 3.0 UK profile) services,
open to anyone, valid against the UK profile's schemas as its validator checks them, with every
filter honoured or refused, and no address or personal data anywhere."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from accreditation.cases import operations as case_operations
from accreditation.cases.models import Case, CaseProperty, InspectionOutcome
from accreditation.extensions import db
from accreditation.providers.models import (
    AccommodationCategory,
    OrganisationPerson,
    PersonRole,
    Tenure,
)
from accreditation.register.openreferral import TAXONOMY_ID, service_id, term_id
from accreditation.workflow import CaseStatus

from ..cases.conftest import checklists, today  # noqa: F401 (shared fixtures)
from ..cases.journey import TODAY, Journey
from ..conftest import reset_database
from ..factories import CouncilFactory, OrganisationFactory, PropertyFactory
from .helpers import lift_suspension
from .oruk import (
    OPENAPI,
    RAW,
    UK,
    VALIDATORS,
    check_item,
    check_page,
    check_root,
    replay_validator,
    unknown_fields,
)

FEED = "/openreferral"


def assert_valid_service(service: dict) -> None:
    check_item("/services/{id}", service)
    if "assured_date" in service:
        date.fromisoformat(service["assured_date"])


def every_response(client) -> str:
    """Everything the feed publishes, as one text (the validator's walk, and the document)."""
    seen = replay_validator(client)
    texts = [client.get(FEED + "/").text, client.get(FEED + "/openapi.json").text]
    for path, ids in seen.items():
        texts.append(client.get(f"{FEED}{path}?per_page=100").text)
        texts += [client.get(f"{FEED}{path}/{identifier}").text for identifier in ids]
    return "\n".join(texts)


# --- providers in every state ------------------------------------------------------------------

def accredited_directly(name: str, *, homes: int = 1, status=CaseStatus.ACCREDITED,
                        council=None, expires_on=date(2027, 10, 1), **home):
    """A provider set straight into an accredited state (the journey is slow; see below
    for the real route)."""
    organisation = OrganisationFactory(name=name)
    case = Case(organisation=organisation, status=status, accredited_on=date(2026, 10, 1),
                expires_on=expires_on,
                suspension_reason="Concern" if status is CaseStatus.SUSPENDED else None)
    db.session.add(case)
    for _ in range(homes):
        place = PropertyFactory(organisation=organisation, local_authority=council or
                                CouncilFactory(), **home)
        db.session.add(CaseProperty(case=case, home=place, outcome=InspectionOutcome.PASSED,
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

def test_the_feed_lists_accredited_providers_as_valid_uk_profile_services(client, providers):
    kept, suspended = providers
    response = client.get(f"{FEED}/services")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    page = response.json
    check_page("/services", page)
    assert (page["total_items"], page["total_pages"], page["page_number"], page["size"]) == (
        2, 1, 1, 2)
    item, gone = page["contents"]
    assert item["name"] == "Harbour Lights Housing Ltd: supported accommodation for young people"
    assert item["status"] == "active"
    assert item["organization"]["name"] == "Harbour Lights Housing Ltd"
    assert "Accredited until" in item["accreditations"]

    service = client.get(f"{FEED}/services/{item['id']}").json
    assert service["organization"]["organization_identifiers"][0]["identifier"] == \
        kept.organisation.company_number
    assert_valid_service(service)
    assert "eligibility_description" not in service  # the UK profile removes it
    assert service["id"] == item["id"] == service_id(kept.organisation)
    councils = sorted({home.local_authority.name for home in kept.organisation.properties})
    assert [area["name"] for area in service["service_areas"]] == councils
    assert [sal["location"]["name"] for sal in service["service_at_locations"]] == [
        f"{council} (local authority area)" for council in councils]
    assert (service["minimum_age"], service["maximum_age"]) == (16, 25)


def test_the_categories_are_attributes_with_terms_of_a_published_taxonomy(client, providers):
    kept, _ = providers
    service = client.get(f"{FEED}/services/{service_id(kept.organisation)}").json
    categories = {home.category for home in kept.organisation.properties}
    assert len(categories) == 2
    attributes = service["attributes"]
    assert {attribute["taxonomy_term_id"] for attribute in attributes} == {
        term_id(category) for category in categories}
    for attribute in attributes:
        assert attribute["link_id"] == service["id"] and attribute["link_type"] == "service"
        term = attribute["taxonomy_term"]
        assert term["taxonomy_id"] == TAXONOMY_ID
        published = client.get(f"{FEED}/taxonomy_terms/{term['id']}")
        assert published.status_code == 200 and published.json == term
    taxonomy = client.get(f"{FEED}/taxonomies/{TAXONOMY_ID}").json
    check_item("/taxonomies/{id}", taxonomy)
    assert [term["name"] for term in taxonomy["taxonomy_terms"]] == [
        "Single occupancy", "Shared (ring-fenced)", "Shared (non-ring-fenced)",
        "Supported lodgings"]
    assert "2023" in taxonomy["name"]


def test_the_taxonomy_ids_never_change():
    """Consumers keep these: they are fixed for ever."""
    assert TAXONOMY_ID == "93e22e81-6521-58fa-b6cd-a7acf3814ce5"
    assert {category.value: term_id(category) for category in AccommodationCategory} == {
        "single_occupancy": "d943ffdd-4470-591a-b761-17a084b8fab3",
        "ring_fenced_shared": "2d774090-9efe-5d96-9c8a-dc574019d314",
        "non_ring_fenced_shared": "b264cb12-7023-59ad-9d26-16adb7c26c72",
        "supported_lodgings": "5624e113-715a-5c3d-83ab-21591f46139d",
    }


def test_a_provider_that_leaves_the_register_is_published_as_inactive(client, providers):
    kept, suspended = providers
    sid = service_id(suspended.organisation)
    response = client.get(f"{FEED}/services/{sid}")
    assert response.status_code == 200
    gone = response.json
    assert_valid_service(gone)
    assert gone["status"] == "inactive"
    assert "not accredited" in gone["description"]
    for absent in ("accreditations", "assured_date", "attributes", "service_areas",
                   "service_at_locations", "minimum_age"):
        assert absent not in gone
    assert "Safeguarding" not in response.text  # never why
    # Its service at locations go; it is found by what changed since it left.
    assert all(sal["service_id"] != sid for sal in
               client.get(f"{FEED}/service_at_locations").json["contents"])
    left = datetime.fromisoformat(gone["last_modified"])
    since = (left - timedelta(seconds=1)).isoformat()
    changed = client.get(f"{FEED}/services", query_string={"modified_after": since}).json
    assert sid in [item["id"] for item in changed["contents"]]
    # Reinstated, it is active again under the same id, and changed again.
    lift_suspension(suspended)
    again = client.get(f"{FEED}/services/{sid}").json
    assert_valid_service(again)
    assert again["status"] == "active"
    assert datetime.fromisoformat(again["last_modified"]) >= left


def test_no_address_or_personal_data_appears_anywhere_in_the_feed(client, providers):
    text = every_response(client)
    secrets = {"Albion House", "Quiet Mews", "Flat 2", "Lower Wickham", "ZZ9 9ZZ", "ZZ9",
               "Larry Landlord", "Priya Director", "Dana Director", "Manny Manager",
               "Registered Row", "RO1", "Safeguarding"}
    for journey in providers:
        for home in journey.organisation.properties:
            secrets |= {home.name, home.address_line_1, home.postcode, home.town,
                        home.postcode.replace(" ", "")}
        for user in (journey.provider, journey.commissioner, journey.inspector):
            secrets |= {user.full_name, user.email}
    for secret in secrets:
        assert secret.lower() not in text.lower(), secret
    for field in ("latitude", "longitude", "address", "postal_code", "email", "phone"):
        assert f'"{field}' not in text


def test_ids_are_stable_uuids(client, providers):
    first = client.get(f"{FEED}/services").json["contents"][0]
    second = client.get(f"{FEED}/services").json["contents"][0]
    assert first["id"] == second["id"] and first["organization_id"] == \
        second["organization_id"]
    assert uuid.UUID(first["id"]).version == 5
    assert first["id"] != first["organization_id"]


def test_the_feed_is_open_json_with_cors_and_short_caching(client, providers):
    response = client.get(f"{FEED}/services")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    # The service's security headers are still there.
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_root_names_the_version_the_uk_profile_and_the_feeds_own_openapi(client, app):
    for address in (FEED, FEED + "/"):
        response = client.get(address)
        assert response.status_code == 200, address  # no redirect for a browser to follow
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        check_root(response.json)
    root = client.get(FEED).json
    assert root["version"] == "3.0"
    assert "uk-profile" in root["profile"].lower()
    base = app.config["BASE_URL"].rstrip("/")
    assert root["openapi_url"] == f"{base}{FEED}/openapi.json"
    document = client.get(f"{FEED}/openapi.json")
    assert document.status_code == 200
    assert document.headers["Access-Control-Allow-Origin"] == "*"
    assert document.json["servers"] == [{"url": f"{base}{FEED}"}]


def test_the_feeds_openapi_describes_exactly_what_it_serves(client, app):
    document = client.get(f"{FEED}/openapi.json").json
    assert document["openapi"] == "3.1.0"
    routes = {rule.rule.removeprefix(FEED).replace("<string:", "{").replace(">", "}")
              for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("openreferral.") and "GET" in rule.methods
              and rule.endpoint != "openreferral.unknown"}
    routes = {"/" + route.strip("/").split("/{")[0] + ("/{id}" if "{" in route else "")
              for route in routes}
    assert set(document["paths"]) == {route.replace("//", "/") for route in routes} - {
        "/openapi.json"}
    profile = {parameter["name"] for parameter in OPENAPI["components"]["parameters"].values()}
    for path, item in document["paths"].items():
        if "{id}" in path:
            continue
        documented = {parameter["name"] for parameter in item["get"].get("parameters", [])}
        for name in documented:
            response = client.get(FEED + path, query_string={name: GOOD_VALUES[name]})
            assert response.status_code == 200, (path, name)
        for name in profile - documented:
            response = client.get(FEED + path, query_string={name: "1"})
            assert response.status_code == 400, (path, name)
            assert response.json["parameter"] == name and name in response.json["detail"]


GOOD_VALUES = {"page": "1", "per_page": "10", "search": "housing",
               "taxonomy_term_id": term_id(AccommodationCategory.SUPPORTED_LODGINGS),
               "taxonomy_id": TAXONOMY_ID, "minimum_age": "16", "maximum_age": "17.5",
               "organization_id": str(uuid.uuid4()), "modified_after": "2026-12-01"}


def test_no_key_or_session_is_needed_and_a_session_changes_nothing(client, providers):
    kept, _ = providers
    anonymous = client.get(f"{FEED}/services").json
    client.sign_in(kept.commissioner)
    assert client.get(f"{FEED}/services").json == anonymous


# --- what a consumer relies on -----------------------------------------------------------------

def test_conditional_requests_answer_304(client, providers):
    for path in ("/services", "/taxonomies", "/taxonomy_terms", "/service_at_locations", "/"):
        first = client.get(FEED + path)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        again = client.get(FEED + path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", path
        assert again.headers["Access-Control-Allow-Origin"] == "*"
        assert again.headers["Cache-Control"] == "public, max-age=300"
        since = client.get(FEED + path, headers={"If-Modified-Since": modified})
        assert since.status_code == 304, path
        changed = client.get(FEED + path, headers={"If-None-Match": '"something-else"'})
        assert changed.status_code == 200 and changed.json == first.json
    kept, suspended = providers
    before = client.get(f"{FEED}/services")
    lift_suspension(suspended)
    after = client.get(f"{FEED}/services", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]


def test_the_feed_is_compressed_and_still_conditional(client, providers):
    response = client.get(f"{FEED}/services?per_page=100",
                          headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    plain = client.get(f"{FEED}/services?per_page=100")
    assert gzip.decompress(response.data) == plain.data
    again = client.get(f"{FEED}/services?per_page=100", headers={
        "Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_cors_preflight_allows_the_usual_request_headers(client, app):
    response = client.options(f"{FEED}/services", headers={
        "Origin": "https://directory.example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "accept, if-none-match, content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    allowed = {name.strip().lower() for name in
               response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"accept", "if-none-match", "if-modified-since", "content-type"} <= allowed
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    exposed = client.get(f"{FEED}/services").headers["Access-Control-Expose-Headers"]
    assert "ETag" in exposed


# --- paging ------------------------------------------------------------------------------------

def test_paging_walks_every_provider_once_in_a_stable_order(client, app, today):  # noqa: F811
    council = CouncilFactory(name="Camden")
    names = [f"Provider {letter} Ltd" for letter in "ABCDEFG"]
    for name in names:
        accredited_directly(name, council=council)
    seen = []
    for number in (1, 2, 3):
        page = client.get(f"{FEED}/services?page={number}&per_page=3").json
        check_page("/services", page)
        assert (page["total_items"], page["total_pages"], page["page_number"]) == (7, 3, number)
        assert page["first_page"] == (number == 1) and page["last_page"] == (number == 3)
        assert page["size"] == len(page["contents"]) == (3 if number < 3 else 1)
        seen += [item["organization"]["name"] for item in page["contents"]]
    assert seen == names
    beyond = client.get(f"{FEED}/services?page=9&per_page=3").json
    assert beyond["contents"] == [] and beyond["empty"] and beyond["last_page"]


def test_an_empty_register_gives_empty_valid_pages(client, app, today):  # noqa: F811
    for path in ("/services", "/service_at_locations"):
        page = client.get(FEED + path).json
        check_page(path, page)
        assert page["total_items"] == 0 and page["empty"] and page["contents"] == []


@pytest.mark.parametrize("query, parameter", [
    ("page=0", "page"), ("page=-1", "page"), ("page=abc", "page"), ("per_page=0", "per_page"),
    ("per_page=101", "per_page"), ("per_page=1.5", "per_page"), ("page=%EF%BC%91", "page"),
    ("page=", "page"), ("per_page=9999999999999999999999", "per_page"),
    ("page=" + "9" * 5000, "page"), ("page=1&page=2", "page"),
    ("minimum_age=abc", "minimum_age"), ("minimum_age=-1", "minimum_age"),
    ("maximum_age=1e3", "maximum_age"), ("maximum_age=NaN", "maximum_age"),
    ("maximum_age=121", "maximum_age"), ("minimum_age=", "minimum_age"),
    ("taxonomy_term_id=abc", "taxonomy_term_id"), ("taxonomy_id=1", "taxonomy_id"),
    ("organization_id=%27%20OR%201=1", "organization_id"),
    ("modified_after=yesterday", "modified_after"), ("modified_after=2026-13-01", "modified_after"),
    ("modified_after=", "modified_after"), ("search=" + "x" * 201, "search"),
    ("postcode=N1%209GU", "postcode"), ("proximity=1000", "proximity"), ("day=Monday", "day"),
    ("start_time=09:00", "start_time"), ("end_time=17:00", "end_time"),
    ("minimal=true", "minimal"), ("full=true", "full"), ("format=ndjson", "format"),
    ("pagesize=5", "pagesize"),
])
def test_bad_or_unsupported_parameters_answer_400_naming_them(client, app, query, parameter):
    for path in ("/services", "/service_at_locations"):
        response = client.get(f"{FEED}{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 400
        assert response.json["parameter"] == parameter
        assert parameter in response.json["detail"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "public" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/", "/taxonomies", "/taxonomy_terms",
                                  "/taxonomy_terms/" + term_id(AccommodationCategory.
                                                               SINGLE_OCCUPANCY)])
def test_addresses_without_filters_refuse_them(client, app, path):
    response = client.get(FEED + path, query_string={"search": "anything"})
    assert response.status_code == 400
    assert response.json["parameter"] == "search"


@pytest.mark.parametrize("path", ["/services", "/service_at_locations", "/taxonomies",
                                  "/taxonomy_terms"])
@pytest.mark.parametrize("identifier", ["not-a-uuid", "6f1c1a52-3b8e-4c1e-9a55-0b7f6d2e8c11",
                                        "1", "%27%20OR%201=1"])
def test_unknown_ids_answer_404_json(client, app, path, identifier):
    response = client.get(f"{FEED}{path}/{identifier}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "Traceback" not in response.text


def test_never_accredited_providers_are_not_in_the_feed_and_expired_ones_are_inactive(
        client, app, today):  # noqa: F811
    never = OrganisationFactory(name="Draft Only Ltd")
    db.session.add(Case(organisation=never))
    expired = accredited_directly("Lapsed Ltd", expires_on=TODAY - timedelta(days=1))
    db.session.commit()  # tick has not run yet
    page = client.get(f"{FEED}/services").json
    assert [item["organization"]["name"] for item in page["contents"]] == ["Lapsed Ltd"]
    [item] = page["contents"]
    assert item["status"] == "inactive"
    # It left the register when its last day ended.
    left = datetime.combine(TODAY, datetime.min.time(), UTC)
    assert datetime.fromisoformat(item["last_modified"]) >= left
    assert client.get(f"{FEED}/services/{service_id(never)}").status_code == 404
    assert client.get(f"{FEED}/services/{service_id(expired)}").json["status"] == "inactive"


def test_the_uk_schemas_really_check_what_the_feed_sends():
    """The validators are not vacuous: they refuse what the UK profile refuses, and the
    field check finds fields the profile removed."""
    good = {"id": str(uuid.uuid4()), "name": "A service", "status": "active",
            "organization": {"id": str(uuid.uuid4()), "name": "Org", "description": "Org"}}
    check_item("/services/{id}", good)
    service = VALIDATORS["/services/{id}"]
    for broken in ({**good, "status": "open"}, {**good, "id": "42"},
                   {key: value for key, value in good.items() if key != "status"},
                   {**good, "organization": {"id": str(uuid.uuid4()), "name": "Org"}},
                   {**good, "last_modified": "yesterday"},
                   {**good, "url": "not a link"}):
        assert not service.is_valid(broken)
    assert unknown_fields({**good, "eligibility_description": "16+"},
                          RAW["compiled/service.json"]) == ["/eligibility_description"]
    assert unknown_fields({**good, "service_areas": [{"id": good["id"], "description": "x"}]},
                          RAW["compiled/service.json"]) == ["/service_areas/description"]
    assert not VALIDATORS["/taxonomy_terms/{id}"].is_valid({"id": good["id"], "name": "x"})


@pytest.mark.parametrize("method, path, status", [
    ("GET", f"{FEED}/organizations", 404), ("GET", f"{FEED}/services/a/b", 404),
    ("POST", f"{FEED}/services", 405), ("DELETE", f"{FEED}/services/x", 405),
    ("PUT", f"{FEED}/", 405),
])
def test_everything_under_the_feed_answers_json(client, app, method, path, status):
    response = client.open(path, method=method, json={})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    if status == 405:
        assert "GET" in response.headers["Allow"]


# --- random registers: valid, private, and every filter as the profile describes -----------------

STATUSES = [CaseStatus.ACCREDITED, CaseStatus.REASSESSMENT_DUE, CaseStatus.SUSPENDED,
            CaseStatus.REVOKED, "expired by date", "never accredited"]
provider_strategy = st.fixed_dictionaries({
    "status": st.sampled_from(STATUSES),
    "homes": st.lists(st.fixed_dictionaries({
        "category": st.sampled_from(AccommodationCategory),
        "ages": st.tuples(st.integers(16, 18), st.integers(18, 25)),
        "council": st.integers(0, 2),
    }), min_size=1, max_size=3),
})


def _build(register: list[dict]) -> list:
    councils = [CouncilFactory(name=name) for name in ("Camden", "Leeds", "Bristol")]
    made = []
    for number, provider in enumerate(register):
        status = provider["status"]
        if status == "never accredited":
            organisation = OrganisationFactory(name=f"Provider {number} Ltd")
            db.session.add(Case(organisation=organisation))
            db.session.commit()
            made.append(organisation)
            continue
        expires = TODAY - timedelta(days=3) if status == "expired by date" else \
            date(2027, 10, 1)
        organisation = OrganisationFactory(name=f"Provider {number} Ltd")
        case = Case(organisation=organisation, accredited_on=date(2026, 10, 1),
                    status=CaseStatus.ACCREDITED if status == "expired by date" else status,
                    expires_on=expires,
                    suspension_reason="Concern" if status is CaseStatus.SUSPENDED else None)
        db.session.add(case)
        for index, home in enumerate(provider["homes"]):
            place = PropertyFactory(
                organisation=organisation, local_authority=councils[home["council"]],
                category=home["category"], age_min=home["ages"][0], age_max=home["ages"][1],
                name=f"Hidden Home {number}-{index}", address_line_1=f"{number} Secret Lane",
                town="Nowhereville", postcode="ZZ1 1ZZ")
            db.session.add(CaseProperty(case=case, home=place,
                                        outcome=InspectionOutcome.PASSED, accredited=True))
        db.session.commit()
        made.append(organisation)
    return made


def _reference(services: list[dict], name: str, value) -> list[str]:
    """The ids the profile says a filter keeps, computed from the full services."""
    def keeps(service: dict) -> bool:
        terms = [attribute["taxonomy_term"] for attribute in service.get("attributes", [])]
        if name == "search":
            text = " ".join([service["name"], service["description"],
                             service["organization"]["name"],
                             *(term["name"] for term in terms),
                             *(area["name"] for area in service.get("service_areas", []))])
            return all(word in text.casefold() for word in value.casefold().split())
        if name == "taxonomy_term_id":
            return value in [term["id"] for term in terms]
        if name == "taxonomy_id":
            return value in [term["taxonomy_id"] for term in terms]
        if name == "minimum_age":
            return "minimum_age" in service and service["minimum_age"] >= Decimal(value)
        if name == "maximum_age":
            return "maximum_age" in service and service["maximum_age"] <= Decimal(value)
        if name == "organization_id":
            return service["organization_id"] == value
        assert name == "modified_after"
        return datetime.fromisoformat(service["last_modified"]) >= datetime.fromisoformat(
            value)
    return [service["id"] for service in services if keeps(service)]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(register=st.lists(provider_strategy, max_size=5), data=st.data())
def test_random_registers_pass_the_validator_and_every_filter_matches_the_reference(
        client, app, today, register, data):  # noqa: F811
    with app.app_context():
        reset_database()
        made = [service_id(organisation) for organisation in _build(register)]
    text = every_response(client)
    for secret in ("Hidden Home", "Secret Lane", "Nowhereville", "ZZ1"):
        assert secret.lower() not in text.lower()

    listed = client.get(f"{FEED}/services?per_page=100").json["contents"]
    services = [client.get(f"{FEED}/services/{item['id']}").json for item in listed]
    published = {sid for sid, provider in zip(made, register, strict=True)
                 if provider["status"] != "never accredited"}
    assert {service["id"] for service in services} == published
    for service in services:
        assert service["status"] == ("active" if service.get("accreditations") else "inactive")

    organisation_ids = [service["organization_id"] for service in services]
    moments = [service["last_modified"] for service in services]
    filters = {
        "search": st.sampled_from(["provider", "camden", "supported lodgings", "LEEDS",
                                   "single", "not accredited", "nothing-like-this", "1 ltd"]),
        "taxonomy_term_id": st.sampled_from(
            [term_id(category) for category in AccommodationCategory] + [str(uuid.uuid4())]),
        "taxonomy_id": st.sampled_from([TAXONOMY_ID, str(uuid.uuid4())]),
        "minimum_age": st.sampled_from(["0", "16", "17", "17.5", "18", "30"]),
        "maximum_age": st.sampled_from(["10", "18", "20", "24.5", "25", "120"]),
        "organization_id": st.sampled_from(organisation_ids + [str(uuid.uuid4())]),
        "modified_after": st.sampled_from(
            moments + [(datetime.fromisoformat(moment) + timedelta(microseconds=1))
                       .isoformat() for moment in moments] + ["2000-01-01T00:00:00Z"]),
    }
    for name, strategy in filters.items():
        value = data.draw(strategy, label=name)
        expected = _reference(services, name, value)
        page = client.get(f"{FEED}/services", query_string={name: value, "per_page": 100})
        assert page.status_code == 200, (name, value)
        check_page("/services", page.json)
        assert [item["id"] for item in page.json["contents"]] == expected, (name, value)
        at_locations = client.get(f"{FEED}/service_at_locations",
                                  query_string={name: value, "per_page": 100}).json
        assert [sal["service_id"] for sal in at_locations["contents"]] == [
            sal["service_id"] for service in services if service["id"] in expected
            for sal in service.get("service_at_locations", [])], (name, value)


NAMES = ["page", "per_page", "search", "taxonomy_term_id", "taxonomy_id", "minimum_age",
         "maximum_age", "organization_id", "modified_after", "postcode", "full", "x"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(NAMES), st.text(max_size=30), max_size=4),
       path=st.sampled_from(["/services", "/service_at_locations", "/taxonomies", "/"]))
def test_no_query_makes_the_feed_fail(client, app, query, path):
    response = client.get(FEED + path, query_string=query)
    assert response.status_code in (200, 400), (path, query)
    assert response.mimetype in ("application/json", "application/problem+json")
    if response.status_code == 400:
        assert response.json["parameter"] in query


def test_the_feeds_openapi_document_is_valid_openapi_3_1(client, app):
    document = client.get(f"{FEED}/openapi.json").get_json()
    # The UK profile's schemas are named by their published address: the meta-schema check
    # runs offline on a copy that holds them in its components.
    text = json.dumps(document)
    for name in RAW:
        text = text.replace(f'"{UK}{name}"', f'"#/components/schemas/{name.replace("/", "_")}"')
    local = json.loads(text)
    assert UK not in text
    schemas = json.dumps({name.replace("/", "_"): schema for name, schema in RAW.items()})
    local["components"]["schemas"].update(json.loads(schemas.replace(
        '"$ref": "taxonomy_term.json"', '"$ref": "#/components/schemas/taxonomy_term.json"')))
    validate(local, cls=OpenAPIV31SpecValidator)
