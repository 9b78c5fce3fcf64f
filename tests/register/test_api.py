"""GET /api/v1/register/providers and /properties: search and change feed for council systems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from jsonschema import Draft202012Validator

from accreditation.api.openapi import document
from accreditation.auth.tokens import create_token
from accreditation.extensions import db
from accreditation.register.index import RegisterProvider

from ..factories import UserFactory
from .helpers import accredited_provider, council, suspend


def bearer(user) -> dict:
    _, token = create_token(user, "test")
    return {"Authorization": f"Bearer {token}"}


def schema(name: str) -> Draft202012Validator:
    spec = document()
    return Draft202012Validator({**spec["components"]["schemas"][name],
                                 "components": spec["components"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture
def register(app, today, checklists):
    started = datetime.now(UTC) - timedelta(seconds=1)  # before any entry was written
    camden = council("Camden", "E09000007")
    harbour = accredited_provider("Harbour Lights Housing Ltd", [
        {"name": "Harbour House", "address_line_1": "12 Quay Road", "postcode": "NW1 7AB",
         "local_authority": camden, "age_min": 16, "age_max": 18, "vacancies": 1}])
    other = accredited_provider("Other Homes", [
        {"name": "Other House", "postcode": "N7 1AA", "local_authority": camden}])
    worker = UserFactory(social_worker=True, council=camden)
    return {"camden": camden, "harbour": harbour, "other": other, "worker": worker,
            "headers": bearer(worker), "started": started}


def test_search_providers_in_the_paging_envelope(client, register):
    response = client.get("/api/v1/register/providers", headers=register["headers"],
                          query_string={"q": "harbour", "age": "17"})
    assert response.status_code == 200
    body = response.get_json()
    schema("RegisterProviderPage").validate(body)
    assert (body["total_items"], body["total_pages"], body["page_number"], body["size"]) == \
        (1, 1, 1, 20)
    provider = body["contents"][0]
    assert provider["name"] == "Harbour Lights Housing Ltd"
    assert provider["status"] == "accredited" and provider["on_register"]
    assert provider["properties"][0]["address"]["line_1"] == "12 Quay Road"


def test_register_links_are_on_the_service_whatever_host_the_request_named(app, client,
                                                                          register):
    response = client.get("/api/v1/register/providers", headers=register["headers"],
                          base_url="http://evil.example", query_string={"q": "harbour"})
    assert response.status_code == 200
    (provider,) = response.get_json()["contents"]
    assert "evil.example" not in response.text
    assert provider["register_url"] == (
        f"{app.config['BASE_URL']}/register/providers/{provider['id']}")


def test_search_properties(client, register):
    response = client.get("/api/v1/register/properties", headers=register["headers"],
                          query_string={"local_authority": register["camden"].id,
                                        "sort": "name", "size": "1", "page": "2"})
    body = response.get_json()
    schema("RegisterPropertyPage").validate(body)
    assert body["total_items"] == 2 and body["total_pages"] == 2
    assert [home["name"] for home in body["contents"]] == ["Other House"]


def test_change_feed_includes_a_provider_that_left_the_register(client, register):
    before = register["started"]  # however long building the register took
    feed = client.get("/api/v1/register/providers", headers=register["headers"],
                      query_string={"modified_after": before.isoformat()}).get_json()
    assert {item["name"] for item in feed["contents"]} == {"Harbour Lights Housing Ltd",
                                                           "Other Homes"}
    cursor = max(item["modified_at"] for item in feed["contents"])
    assert client.get("/api/v1/register/providers", headers=register["headers"],
                      query_string={"modified_after": cursor}).get_json()["contents"] == []

    suspend(register["other"])
    changed = client.get("/api/v1/register/providers", headers=register["headers"],
                         query_string={"modified_after": cursor}).get_json()
    schema("RegisterProviderPage").validate(changed)
    assert [(item["name"], item["status"], item["on_register"]) for item in
            changed["contents"]] == [("Other Homes", "suspended", False)]
    assert changed["contents"][0]["properties"][0]["status"] == "suspended"
    assert changed["contents"][0]["properties"][0]["address"] is None
    homes = client.get("/api/v1/register/properties", headers=register["headers"],
                       query_string={"modified_after": cursor}).get_json()
    assert [(home["name"], home["status"]) for home in homes["contents"]] == [
        ("Other House", "suspended")]
    # ...and a plain search no longer offers it.
    search = client.get("/api/v1/register/providers", headers=register["headers"]).get_json()
    assert [item["name"] for item in search["contents"]] == ["Harbour Lights Housing Ltd"]


def test_vacancy_and_property_edits_move_the_change_timestamp(client, register):
    row = db.session.get(RegisterProvider, register["harbour"].organisation.id)
    seen = datetime.now(UTC)
    home = register["harbour"].case.properties[0].home
    home.vacancies = 0
    home.vacancies_updated_at = datetime.now(UTC)
    db.session.commit()
    db.session.refresh(row)
    assert row.modified_at > seen
    feed = client.get("/api/v1/register/properties", headers=register["headers"],
                      query_string={"modified_after": seen.isoformat()}).get_json()
    assert [(h["name"], h["vacancies"]) for h in feed["contents"]] == [("Harbour House", 0)]


def test_an_unrelated_write_does_not_move_it(register):
    row = db.session.get(RegisterProvider, register["harbour"].organisation.id)
    seen = row.modified_at
    register["harbour"].organisation.insurer = "Another Mutual"  # not shown on the register
    db.session.commit()
    db.session.refresh(row)
    assert row.modified_at == seen


@pytest.mark.parametrize("args", [
    {"modified_after": "yesterday"}, {"age": "99"}, {"size": "0"}, {"size": "101"},
    {"page": "x"}, {"status": "gone"}, {"category": "tent"}, {"sort": "??"},
])
@pytest.mark.parametrize("path", ["providers", "properties"])
def test_invalid_parameters_answer_400_with_a_message(client, register, args, path):
    response = client.get(f"/api/v1/register/{path}", headers=register["headers"],
                          query_string=args)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"]


@pytest.mark.parametrize("role", ["provider", "none"])
def test_only_council_and_consortium_tokens(client, register, role):
    headers = bearer(register["harbour"].provider) if role == "provider" else {}
    response = client.get("/api/v1/register/providers", headers=headers)
    assert response.status_code == (403 if role == "provider" else 401)


def test_a_browser_session_does_not_open_the_register_api(client, register):
    client.sign_in(register["worker"])
    assert client.get("/api/v1/register/providers").status_code == 401


def test_openapi_describes_the_register_and_stays_valid(app):
    spec = document()
    for name, part in spec["components"]["schemas"].items():
        if name.startswith("Register"):
            Draft202012Validator.check_schema(part)
    for path in ("/register/providers", "/register/properties"):
        for parameter in spec["paths"][path]["get"]["parameters"]:
            Draft202012Validator.check_schema(parameter["schema"])
    assert "modified_after" in spec["paths"]["/register/providers"]["get"]["description"]
    assert "left the register" in spec["paths"]["/register/providers"]["get"]["description"]


def test_properties_carry_their_council_and_the_address_for_council_staff(client, register):
    response = client.get("/api/v1/register/properties", headers=register["headers"],
                          query_string={"q": "harbour nw1"})
    body = response.get_json()
    schema("RegisterPropertyPage").validate(body)
    assert body["total_items"] == 1
    home = body["contents"][0]
    assert home["local_authority"] == {"id": register["camden"].id, "name": "Camden",
                                       "ons_code": "E09000007"}
    assert home["address"] == {"line_1": "12 Quay Road", "line_2": home["address"]["line_2"],
                               "town": home["address"]["town"], "postcode": "NW1 7AB"}
    past_the_end = client.get("/api/v1/register/properties", headers=register["headers"],
                              query_string={"q": "harbour", "page": "3"}).get_json()
    assert (past_the_end["total_items"], past_the_end["contents"]) == (1, [])


def test_a_property_that_left_the_register_shows_no_address_in_the_feed(client, register):
    before = datetime.now(UTC) - timedelta(seconds=1)
    suspend(register["other"])
    feed = client.get("/api/v1/register/properties", headers=register["headers"],
                      query_string={"modified_after": before.isoformat(),
                                    "status": "suspended"}).get_json()
    assert [(home["name"], home["address"]) for home in feed["contents"]] == [
        ("Other House", None)]
