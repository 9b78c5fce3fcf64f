"""The register through the pages, as a social worker uses it."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.extensions import db
from accreditation.providers.models import AccommodationCategory
from accreditation.register.views import safe_cell

from ..conftest import browser_at
from ..factories import UserFactory
from .helpers import accredited_provider, council, suspend

SHARED = AccommodationCategory.RING_FENCED_SHARED


@pytest.fixture
def boroughs(app, today, checklists):
    camden = council("Camden", "E09000007")
    hackney = council("Hackney", "E09000012")
    good = accredited_provider("Harbour Lights Housing Ltd", [
        {"name": "Harbour House", "address_line_1": "12 Quay Road", "town": "London",
         "postcode": "NW1 7AB", "local_authority": camden, "age_min": 16, "age_max": 18,
         "who_for": "16 and 17 year olds", "vacancies": 1},
        {"name": "Harbour Shared", "address_line_1": "14 Quay Road", "town": "London",
         "postcode": "NW1 7AC", "local_authority": camden, "category": SHARED,
         "bed_spaces": 4},
    ])
    older = accredited_provider("Older Years Living", [
        {"name": "Older House", "town": "London", "postcode": "NW5 1AA",
         "local_authority": camden, "age_min": 18, "age_max": 25},
    ])
    hackney_only = accredited_provider("Hackney Homes", [
        {"name": "Hackney House", "town": "London", "postcode": "E8 1AA",
         "local_authority": hackney, "age_min": 16, "age_max": 21},
    ])
    bad = accredited_provider("Camden Closed Doors Ltd", [
        {"name": "Closed House", "address_line_1": "1 Shut Lane", "town": "London",
         "postcode": "NW1 9ZZ", "local_authority": camden, "age_min": 16, "age_max": 25},
    ])
    suspend(bad)
    social_worker = UserFactory(social_worker=True, council=camden)
    return {"camden": camden, "hackney": hackney, "good": good, "older": older,
            "hackney_only": hackney_only, "bad": bad, "social_worker": social_worker}


def test_social_worker_finds_a_single_occupancy_home_for_a_17_year_old_in_camden(
        client, boroughs):
    client.sign_in(boroughs["social_worker"])
    page = client.get("/register/")
    assert page.status_code == 200
    assert "Harbour Lights Housing Ltd" in page.text
    assert "Camden Closed Doors Ltd" not in page.text  # suspended: not offered
    # Every group of filters says what it is (a screen reader reads the legend first).
    assert re.search(r"<legend[^>]*>\s*Status\s*</legend>", page.text)

    results = client.get("/register/", query_string={
        "local_authority": boroughs["camden"].id, "category": "single_occupancy", "age": "17"})
    assert results.status_code == 200
    assert "1 accredited provider found" in results.text
    assert "Harbour Lights Housing Ltd" in results.text
    assert "Harbour House" in results.text and "Harbour Shared" not in results.text
    assert "Older Years Living" not in results.text  # 18 to 25
    assert "Hackney Homes" not in results.text  # another borough
    assert "Camden Closed Doors Ltd" not in results.text

    link = re.search(r'href="(/register/providers/\d+)"', results.text).group(1)
    detail = client.get(link)
    assert detail.status_code == 200
    assert "Accredited" in detail.text and "Harbour House" in detail.text
    assert "12 Quay Road" in detail.text  # council staff see the address
    assert "Marks per quality standard" in detail.text
    assert "Accreditation history" in detail.text
    # Nobody's name: not the directors, not the commissioner who decided.
    journey = boroughs["good"]
    for person in ("Dana Director", "Manny Manager", journey.deciding_commissioner.full_name,
                   journey.inspector.full_name, journey.provider.full_name):
        assert person not in detail.text


def test_suspended_provider_page_says_do_not_refer_and_lists_no_property(client, boroughs):
    client.sign_in(boroughs["social_worker"])
    organisation = boroughs["bad"].organisation
    page = client.get(f"/register/providers/{organisation.id}")
    assert page.status_code == 200
    assert "Suspended" in page.text and "do not refer" in page.text
    assert "Closed House" not in page.text and "1 Shut Lane" not in page.text
    assert client.get("/register/", query_string={"q": "Closed Doors"}).text.count(
        "Camden Closed Doors Ltd") == 0


def test_a_provider_never_accredited_has_no_register_page(client, boroughs):
    from ..factories import OrganisationFactory

    client.sign_in(boroughs["social_worker"])
    assert client.get(f"/register/providers/{OrganisationFactory().id}").status_code == 404
    assert client.get("/register/providers/999999").status_code == 404


@pytest.mark.parametrize("args", [
    {"age": "12"}, {"age": "abc"}, {"category": "castle"}, {"local_authority": "x"},
    {"sort": "sideways"}, {"page": "-1"}, {"status": "suspended"}, {"q": "y" * 300},
])
def test_invalid_filters_show_an_error_summary_not_a_crash(client, boroughs, args):
    client.sign_in(boroughs["social_worker"])
    page = client.get("/register/", query_string=args)
    assert page.status_code == 200
    assert "There is a problem" in page.text
    assert "govuk-error-summary" in page.text
    assert "Correct the search to see results" in page.text


def test_pages_of_results(client, boroughs):
    client.sign_in(boroughs["social_worker"])
    first = client.get("/register/", query_string={"size": "2", "sort": "name"})
    assert "3 accredited providers found" in first.text
    assert "Harbour Lights Housing Ltd" in first.text and "Hackney Homes" in first.text
    assert "Older Years Living" not in first.text
    second = client.get("/register/", query_string={"size": "2", "sort": "name", "page": "2"})
    assert "Older Years Living" in second.text and "Hackney Homes" not in second.text


def test_misspelt_provider_gets_a_suggestion(client, boroughs):
    client.sign_in(boroughs["social_worker"])
    page = client.get("/register/", query_string={"q": "Harbuor Lihgts Housing"})
    assert "No accredited providers found" in page.text
    assert "Did you mean" in page.text and "Harbour Lights Housing Ltd" in page.text


@pytest.mark.parametrize("role", ["provider", "anonymous"])
def test_providers_and_strangers_cannot_see_the_register(client, boroughs, role):
    if role == "provider":
        client.sign_in(boroughs["good"].provider)
    for url in ("/register/", f"/register/providers/{boroughs['good'].organisation.id}",
                "/register/export.csv"):
        response = client.get(url)
        assert response.status_code in ({403} if role == "provider" else {302}), url


@pytest.mark.parametrize("role", ["commissioner", "inspector"])
def test_consortium_staff_use_the_register_too(client, boroughs, role):
    client.sign_in(UserFactory(**{role: True}))
    assert "Harbour Lights Housing Ltd" in client.get("/register/").text


def test_csv_export_is_escaped_defused_audited_and_has_no_address(client, boroughs):
    journey = boroughs["good"]
    journey.organisation.name = "=HYPERLINK(\"http://evil\"),\"Quoted\""
    db.session.commit()
    client.sign_in(boroughs["social_worker"])
    response = client.get("/register/export.csv", query_string={
        "local_authority": boroughs["camden"].id})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0] == "Provider"
    providers = {row[0] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\"),\"Quoted\"" in providers
    assert "Camden Closed Doors Ltd" not in providers
    assert len(rows) == 1 + 3  # two Harbour homes and Older House
    assert "12 Quay Road" not in response.text and "NW1 7AB" not in response.text
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "register.exported")).one()
    assert event.actor_id == boroughs["social_worker"].id
    assert event.details["query"]["local_authority_id"] == boroughs["camden"].id
    assert event.details["rows"] == 3


def test_csv_links_to_the_register_on_the_service_whatever_host_the_request_named(
        app, boroughs):
    elsewhere = browser_at(app, "evil.example")
    elsewhere.sign_in(boroughs["social_worker"])
    response = elsewhere.get("/register/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    organisation = boroughs["good"].organisation
    links = {row[-1] for row in rows[1:] if row[0] == organisation.name}
    assert "evil.example" not in response.text
    assert links == {f"{app.config['BASE_URL']}/register/providers/{organisation.id}"}


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Plain", "Plain"), (None, ""), (3, "3"),
])
def test_cells_that_look_like_formulas_are_defused(value, expected):
    assert safe_cell(value) == expected


def test_referral_check_button_links_when_the_route_exists(client, boroughs, app):
    client.sign_in(boroughs["social_worker"])
    organisation = boroughs["good"].organisation
    page = client.get(f"/register/providers/{organisation.id}")
    if "register.referral_check" in app.view_functions:
        assert f"/register/providers/{organisation.id}/referral-check" in page.text
    else:
        assert "Record a referral check" not in page.text
