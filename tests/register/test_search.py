"""Register search: the same answers on SQLite and PostgreSQL, only accredited entries."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from accreditation.extensions import db
from accreditation.providers.models import AccommodationCategory, Property
from accreditation.register import page_cache
from accreditation.register.index import RegisterProperty, RegisterProvider, normalise
from accreditation.register.operations import set_vacancies
from accreditation.register.page_cache import SEARCHES
from accreditation.register.query import InvalidQuery, parse_query
from accreditation.register.search import search_properties, search_providers
from accreditation.register.status import RegisterStatus

from ..factories import CouncilFactory
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


def test_a_property_in_a_district_is_found_by_its_county_too(register):
    """Placements are often out of area: a property in Thanet is found by searching for Kent,
    the county whose children's services run there."""
    kent = council("Kent", "E10000016")
    thanet = CouncilFactory(name="Thanet", ons_code="E07000114", county=kent)
    accredited_provider("Seaside Homes Ltd", [
        {"name": "Marine Terrace", "town": "Margate", "postcode": "CT9 1XJ",
         "local_authority": thanet}])
    assert properties(q="kent") == ["Marine Terrace"]
    assert properties(local_authority=str(thanet.id)) == ["Marine Terrace"]
    kent.name = "Kent County"  # a county renamed: its districts' properties follow
    db.session.commit()
    assert properties(q="kent county") == ["Marine Terrace"]


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
    """Searches for words, a district or a local authority count their matches with the
    page's rows; the others count separately. Either way each page says how many there are,
    pages past the last too."""
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


# --- counting: what a search counted is reused only while the register is the same ----------

def total(**args) -> int:
    return search_properties(parse_query(MultiDict(args))).total_items


@contextmanager
def statements():
    """The SQL run inside the block."""
    run: list[str] = []

    def seen(connection, cursor, statement, parameters, context, executemany):
        run.append(statement.lower())

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield run
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)


@pytest.mark.parametrize("args", [{"age": "17"}, {"q": "london"}, {"q": "N16"}])
def test_a_search_is_not_counted_again_while_the_register_is_unchanged(register, args):
    first = total(**args)
    assert first > 0
    with statements() as run:
        again = [total(**args), total(**args, sort="name"),
                 total(**args, size="1", page=str(first))]  # the last page
        db.session.commit()  # a commit that changed nothing on the register
        again.append(total(**args, sort="expiry"))
    assert again == [first] * 4
    assert not [sql for sql in run if "count(" in sql]  # pages only, no counting


def test_a_page_that_is_not_full_is_the_last_and_needs_no_count(register):
    SEARCHES.clear()
    with statements() as run:
        assert total(age="17", size="1", page="2") == total(age="17") == 3
    assert len([sql for sql in run if "count(" in sql]) == 1  # the full first page only
    assert SEARCHES.hits == 0


def test_provider_counts_are_kept_until_the_register_changes(register):
    def providers(**args) -> int:
        return search_providers(parse_query(MultiDict(args))).total_items

    first = providers(age="17", size="1")
    assert first == 2  # Harbour Lights (Harbour House, Quay Flat) and Northern Star
    with statements() as run:
        assert providers(age="17", size="1", sort="name") == first
    assert not [sql for sql in run if sql.startswith("select count(")]
    suspend(register["northern"])
    assert providers(age="17", size="1") == first - 1


@pytest.mark.parametrize(("args", "change"), [
    ({"age": "17"}, -1), ({"q": "star"}, -1), ({"q": "N1"}, -1), ({"vacancies": "yes"}, +1)])
def test_a_change_to_the_register_changes_the_next_count_at_once(register, args, change):
    before = total(**args)
    assert total(**args) == before  # counted once, then kept
    if args.get("vacancies"):
        lodge = db.session.scalar(sa.select(Property).where(Property.name == "Stone Lodge"))
        set_vacancies(register["stepping"].provider, lodge, 1)
    else:
        suspend(register["northern"])  # Star House (N1, Islington, 16 to 25) leaves
    assert total(**args) == before + change
    assert total(**args, page="2") == before + change


def test_a_vacancy_update_recounts_only_searches_for_vacancies(register):
    assert total(age="17", size="1") == 3
    assert total(vacancies="yes", size="1") == 1  # Quay Flat
    lodge = db.session.scalar(sa.select(Property).where(Property.name == "Stone Lodge"))
    set_vacancies(register["stepping"].provider, lodge, 1)
    with statements() as run:
        assert total(age="17", size="1") == 3
    assert not [sql for sql in run if "count(" in sql]  # still the same number: not counted
    assert total(vacancies="yes", size="1") == 2


def test_a_transaction_sees_its_own_changes_before_it_commits(register):
    """Counts are kept by generation, which moves when the change commits: until then the
    transaction that made it counts afresh, and a change rolled back leaves the old count."""
    assert total(vacancies="yes") == 1
    lodge = db.session.scalar(sa.select(Property).where(Property.name == "Stone Lodge"))
    lodge.vacancies = 1
    db.session.flush()
    assert total(vacancies="yes") == 2
    db.session.rollback()
    assert total(vacancies="yes") == 1


@pytest.fixture
def shared_pages(app, tmp_path):
    """Pages shared by the app's processes on this machine, in a folder of the test's own."""
    app.config["REGISTER_CACHE_PATH"] = str(tmp_path / "register-cache")
    SEARCHES.clear()
    yield
    SEARCHES.clear()


@pytest.mark.usefixtures("shared_pages")
def test_a_page_one_process_read_is_given_by_another_until_the_register_changes(register):
    first = properties(age="17")
    assert "Star House" in first
    SEARCHES.clear()  # as another process would start: nothing of its own kept
    with statements() as run:
        assert properties(age="17") == first
    assert SEARCHES.shared_page_hits == 1
    assert not [sql for sql in run if "from register_property" in sql]  # the generation only
    suspend(register["northern"])  # Star House leaves the register
    SEARCHES.clear()
    assert properties(age="17") == [name for name in first if name != "Star House"]
    assert SEARCHES.shared_page_hits == 0


def test_searches_work_when_the_shared_pages_cannot_be_kept(register, app, tmp_path, caplog):
    taken = tmp_path / "not-a-folder"
    taken.write_text("a file where the folder should be")
    app.config["REGISTER_CACHE_PATH"] = str(taken)
    SEARCHES.clear()
    try:
        first = properties(age="17")
        assert first and properties(age="17") == first
        assert "shared pages unavailable" in caplog.text
    finally:
        SEARCHES.clear()


def test_answers_longer_than_a_page_are_not_kept(register, monkeypatch):
    """An export's thousands of rows are read afresh each time; pages are kept."""
    monkeypatch.setattr(page_cache, "MAX_SIZE", 2)  # the register here has 3 for age 17
    SEARCHES.clear()

    def read_twice(size: str) -> list[str]:
        query = parse_query(MultiDict({"age": "17", "size": size}), max_size=5000)
        search_properties(query)
        with statements() as run:
            search_properties(query)
        return [sql for sql in run if "from register_property" in sql]

    assert read_twice("2") == []  # kept
    assert read_twice("3") != []  # three rows: longer than a page
