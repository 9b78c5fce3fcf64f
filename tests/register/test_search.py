"""Register search: the same answers on SQLite and PostgreSQL, only accredited entries."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from accreditation.providers.models import AccommodationCategory
from accreditation.register.index import RegisterProperty, RegisterProvider, normalise
from accreditation.register.search import (
    InvalidQuery,
    parse_query,
    search_properties,
    search_providers,
)
from accreditation.register.status import RegisterStatus

from .helpers import accredited_provider, council, suspend

SHARED = AccommodationCategory.RING_FENCED_SHARED


@pytest.fixture
def register(app, today, checklists):
    camden = council("Camden", "E09000007")
    hackney = council("Hackney", "E09000012")
    islington = council("Islington", "E09000019")
    harbour = accredited_provider("Harbour Lights Housing Ltd", [
        {"name": "Harbour House", "town": "London", "postcode": "NW1 7AB",
         "local_authority": camden, "age_min": 16, "age_max": 18, "who_for": "16 and 17 year olds"},
        {"name": "Quay Flat", "town": "London", "postcode": "E8 1AA",
         "local_authority": hackney, "category": SHARED, "bed_spaces": 4, "vacancies": 2,
         "who_for": "Care leavers"},
    ])
    stepping = accredited_provider("Stepping Stones Supported Living", [
        {"name": "Stone Lodge", "town": "Hackney", "postcode": "N16 5AA",
         "local_authority": hackney, "age_min": 18, "age_max": 25, "who_for": "Care leavers"},
        {"name": "Failing House", "town": "Hackney", "postcode": "N16 6AA",
         "local_authority": hackney},
    ], failing=1)
    northern = accredited_provider("Northern Star Homes", [
        {"name": "Star House", "town": "Islington", "postcode": "N1 9GU",
         "local_authority": islington, "age_min": 16, "age_max": 25,
         "who_for": "Young people leaving care"},
    ])
    suspended = accredited_provider("Harbourside Shadow Ltd", [
        {"name": "Shadow House", "town": "London", "postcode": "NW1 8ZZ",
         "local_authority": camden},
    ])
    suspend(suspended)
    return {"camden": camden, "hackney": hackney, "islington": islington, "harbour": harbour,
            "stepping": stepping, "northern": northern, "suspended": suspended}


def providers(**args) -> list[str]:
    return [item.provider.name for item in
            search_providers(parse_query(MultiDict(args))).items]


def properties(**args) -> list[str]:
    return [home.name for home in search_properties(parse_query(MultiDict(args))).items]


def test_register_rows_follow_the_operations(register):
    rows = {row.name: row for row in RegisterProvider.query.all()}
    assert rows["Harbour Lights Housing Ltd"].status is RegisterStatus.ACCREDITED
    assert rows["Harbour Lights Housing Ltd"].properties_on_register == 2
    assert rows["Harbourside Shadow Ltd"].status is RegisterStatus.SUSPENDED
    homes = {row.name: row for row in RegisterProperty.query.all()}
    assert homes["Shadow House"].status is RegisterStatus.SUSPENDED
    assert "Failing House" not in homes or not homes["Failing House"].on_register


def test_a_suspended_provider_is_never_found(register):
    assert providers(q="Harbour") == ["Harbour Lights Housing Ltd"]
    assert "Shadow House" not in properties(q="NW1")
    assert "Harbourside Shadow Ltd" not in providers()
    assert "Shadow House" not in properties(local_authority=str(register["camden"].id))


# The fixed set of queries both databases must answer identically (checked against a
# hand-written expectation, so SQLite and PostgreSQL runs agree with each other).
QUERIES = [
    ({"q": "Harbour Lights Housing Ltd"}, ["Harbour Lights Housing Ltd"]),
    ({"q": "harb"}, ["Harbour Lights Housing Ltd"]),
    ({"q": "step ston"}, ["Stepping Stones Supported Living"]),
    ({"q": "Hackney"}, ["Harbour Lights Housing Ltd", "Stepping Stones Supported Living"]),
    ({"q": "Islington"}, ["Northern Star Homes"]),
    ({"q": "N1"}, ["Northern Star Homes"]),
    ({"q": "n16 5aa"}, ["Stepping Stones Supported Living"]),
    ({"q": "E8"}, ["Harbour Lights Housing Ltd"]),
    ({"q": "star"}, ["Northern Star Homes"]),
    ({"q": "nothing like it"}, []),
    ({"age": "17"}, ["Harbour Lights Housing Ltd", "Northern Star Homes"]),
    ({"age": "17", "category": "single_occupancy"},
     ["Harbour Lights Housing Ltd", "Northern Star Homes"]),
    ({"category": "ring_fenced_shared"}, ["Harbour Lights Housing Ltd"]),
    ({"vacancies": "yes"}, ["Harbour Lights Housing Ltd"]),
    ({"who_for": "care leavers"},
     ["Harbour Lights Housing Ltd", "Stepping Stones Supported Living"]),
    ({"sort": "name"}, ["Harbour Lights Housing Ltd", "Northern Star Homes",
                        "Stepping Stones Supported Living"]),
]


def test_fixed_queries_give_the_same_providers_on_both_databases(register):
    answers = {}
    for args, _expected in QUERIES:
        found = providers(**args)
        answers[str(args)] = found if args.get("sort") == "name" else sorted(found)
    assert answers == {str(args): expected if args.get("sort") == "name" else sorted(expected)
                       for args, expected in QUERIES}


def test_exact_name_ranks_first(register):
    assert providers(q="Harbour Lights Housing Ltd")[0] == "Harbour Lights Housing Ltd"
    assert properties(q="hackney", sort="relevance")[0] in {"Stone Lodge", "Quay Flat"}


def test_filters_by_local_authority(register):
    assert properties(local_authority=str(register["hackney"].id)) == ["Quay Flat", "Stone Lodge"]


@pytest.mark.parametrize(("args", "field"), [
    ({"age": "12"}, "age"), ({"age": "seventeen"}, "age"), ({"category": "castle"}, "category"),
    ({"local_authority": "999999"}, "local_authority"), ({"sort": "random"}, "sort"),
    ({"page": "0"}, "page"), ({"size": "1000"}, "size"), ({"status": "suspended"}, "status"),
    ({"q": "x" * 101}, "q"), ({"vacancies": "maybe"}, "vacancies"),
])
def test_invalid_parameters_are_named(app, args, field):
    with pytest.raises(InvalidQuery) as raised:
        parse_query(MultiDict(args))
    assert field in raised.value.problems


def test_normalise_folds_accents_and_punctuation():
    assert normalise("St. John's Café-Bar, N1") == "st john s cafe bar n1"


@pytest.mark.parametrize("args", [
    {"q": "hackney"}, {"q": "N16"}, {"q": "london", "sort": "name"},
    {"local_authority": "hackney"}, {"sort": "expiry"}, {"age": "17", "who_for": "care"},
])
def test_every_page_of_a_search_gives_the_same_total_and_no_home_twice(register, args):
    """Searches for words or a district count their matches with the page's rows; the others
    count separately. Either way each page says how many there are, pages past the last too."""
    if args.get("local_authority") == "hackney":
        args = {**args, "local_authority": str(register["hackney"].id)}
    everything = search_properties(parse_query(MultiDict(args)))
    seen = []
    for number in range(1, everything.total_items + 2):
        page = search_properties(parse_query(MultiDict({**args, "size": "1",
                                                        "page": str(number)})))
        assert page.total_items == everything.total_items
        seen += [home.property_id for home in page.items]
    assert seen == [home.property_id for home in everything.items]
    assert everything.total_items == len(everything.items) > 0


def test_a_page_of_properties_carries_its_council_and_only_if_asked_its_address(register):
    plain = search_properties(parse_query(MultiDict({"q": "Quay"}))).items
    assert [(home.name, home.council_name, home.council_ons_code) for home in plain] == [
        ("Quay Flat", "Hackney", "E09000012")]
    assert not hasattr(plain[0], "address_postcode")
    with_addresses = search_properties(parse_query(MultiDict({"q": "Quay"})),
                                       addresses=True).items
    assert with_addresses[0].address_postcode == "E8 1AA"


def test_a_search_that_finds_nothing_has_no_pages(register):
    page = search_properties(parse_query(MultiDict({"q": "N16", "age": "16",
                                                    "category": "ring_fenced_shared"})))
    assert (page.items, page.total_items, page.total_pages) == ([], 0, 0)
