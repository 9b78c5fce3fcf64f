"""The offline registry over the shipped files, and matching officers to disqualifications."""

from __future__ import annotations

import pytest

from accreditation.companies import (
    DEFAULT_OFFLINE_PATH,
    CompanyNotFound,
    CompanyRegistry,
    InvalidCompanyNumber,
    OfflineCompanyRegistry,
    RegistryUnavailable,
    match_strength,
)
from accreditation.errors import DomainError, NotFound

SHIPPED = ["05555555", "07654321", "08765432", "09876543", "11223344", "12345678"]


def test_the_demo_companies_are_shipped(offline) -> None:
    assert isinstance(offline, CompanyRegistry)
    assert offline.company_numbers() == SHIPPED
    assert "not live data" in offline.source


@pytest.mark.parametrize("number", SHIPPED)
def test_each_file_is_in_the_api_shapes(offline, number: str) -> None:
    profile = offline.company_profile(number)
    assert profile["company_number"] == number
    assert profile["links"]["officers"] == f"/company/{number}/officers"
    assert {"company_name", "company_status", "date_of_creation", "accounts",
            "confirmation_statement", "has_insolvency_history", "has_been_liquidated",
            "registered_office_address"} <= set(profile)
    assert profile["has_insolvency_history"] == ("insolvency" in profile["links"])
    officers = offline.officers(number)
    assert officers["kind"] == "officer-list"
    assert officers["total_results"] == len(officers["items"])
    for officer in officers["items"]:
        assert {"name", "officer_role", "appointed_on"} <= set(officer)
        assert officer["links"]["officer"]["appointments"].startswith("/officers/")
        assert ", " in officer["name"]  # 'SURNAME, Forenames', as the API writes them


def test_numbers_are_normalised_and_unknown_ones_are_not_found(offline) -> None:
    assert offline.company_profile(" 9876543 ")["company_number"] == "09876543"
    with pytest.raises(CompanyNotFound) as caught:
        offline.officers("1234567")
    assert isinstance(caught.value, NotFound)
    assert caught.value.title == "Company not found"
    with pytest.raises(InvalidCompanyNumber):
        offline.company_profile("../../../etc/passwd")


def test_answers_are_copies_the_caller_may_change(offline) -> None:
    offline.company_profile("09876543")["company_status"] = "dissolved"
    offline.officers("09876543")["items"].clear()
    assert offline.company_profile("09876543")["company_status"] == "active"
    assert offline.officers("09876543")["items"]


def test_a_company_without_insolvency_has_no_cases(offline) -> None:
    assert offline.insolvency("09876543") == {"cases": []}
    [case] = offline.insolvency("12345678")["cases"]
    assert case["type"] == "in-administration"


def test_the_disqualified_register_is_searched_across_all_files(offline) -> None:
    officers = {o["name"]: o for n in SHIPPED for o in offline.officers(n)["items"]}
    [thorne] = offline.disqualifications(officers["THORNE, Gary Paul"])
    assert thorne["disqualifications"][0]["disqualified_until"] == "2032-02-13"
    # Priya MEHTA of Harbour Lights (born 1986) is not the Priya MEHTA disqualified (1962),
    # whose entry is kept in another company's file.
    assert offline.disqualifications(officers["MEHTA, Priya"]) == []
    assert offline.disqualifications(officers["OKAFOR, Daniel Chukwuemeka"]) == []


def test_a_broken_file_is_registry_unavailable_with_its_name(tmp_path) -> None:
    (tmp_path / "01234567.json").write_text("{not json", encoding="utf-8")
    registry = OfflineCompanyRegistry(tmp_path)
    with pytest.raises(RegistryUnavailable) as caught:
        registry.company_profile("01234567")
    assert "01234567.json" in caught.value.message
    assert isinstance(caught.value, DomainError) and caught.value.status_code == 503


def test_the_default_path_is_inside_the_package() -> None:
    assert DEFAULT_OFFLINE_PATH.is_dir()
    assert DEFAULT_OFFLINE_PATH.parts[-3:] == ("accreditation", "data", "companies")


# --- Matching ------------------------------------------------------------------------------

THORNE = {"name": "THORNE, Gary Paul", "officer_role": "director",
          "date_of_birth": {"month": 4, "year": 1972}}
RECORD = {"kind": "natural-disqualification", "forename": "Gary", "other_forenames": "Paul",
          "surname": "THORNE", "date_of_birth": "1972-04-12"}


@pytest.mark.parametrize(
    ("officer", "record", "expected"),
    [
        (THORNE, RECORD, "confirmed"),
        (THORNE, {**RECORD, "other_forenames": None}, "confirmed"),  # middle name not recorded
        (THORNE, {**RECORD, "date_of_birth": "1972-05-12"}, None),  # a namesake
        (THORNE, {**RECORD, "date_of_birth": None}, "name_only"),
        ({**THORNE, "date_of_birth": None}, RECORD, "name_only"),
        (THORNE, {**RECORD, "forename": "Gareth"}, None),
        (THORNE, {**RECORD, "surname": "THORNTON"}, None),
        ({**THORNE, "name": "O'BRIEN, Siobhán"}, {**RECORD, "forename": "Siobhan",
                                                  "other_forenames": "", "surname": "OBRIEN"},
         "confirmed"),
        ({**THORNE, "name": "THORNE, Gary Paul, Dr"}, {**RECORD, "title": "Dr"}, "confirmed"),
        (THORNE, {"title": "Gary Paul THORNE", "date_of_birth": "1972-04-12"}, "confirmed"),
        # A search item is only a pre-filter: the full record is compared once fetched.
        (THORNE, {"title": "Gary THORNE-SMITH", "date_of_birth": "1972-04-12"}, "confirmed"),
        (THORNE, {**RECORD, "surname": "THORNE-SMITH"}, None),
        (THORNE, {"title": "Paul THORNE", "date_of_birth": "1972-04-12"}, None),
        (THORNE, {"kind": "corporate-disqualification", "name": "THORNE GARY PAUL LTD"}, None),
        ({"name": "ACME NOMINEES LIMITED", "officer_role": "corporate-director"},
         {"kind": "corporate-disqualification", "name": "Acme Nominees Ltd"}, "confirmed"),
        ({"name": "ACME NOMINEES LIMITED", "officer_role": "corporate-director",
          "identification": {"registration_number": "01234567"}},
         {"kind": "corporate-disqualification", "name": "Acme (2019) Ltd",
          "company_number": "01234567"}, "confirmed"),
        ({"name": "ACME NOMINEES LIMITED", "officer_role": "corporate-director"}, RECORD, None),
    ],
)
def test_match_strength(officer, record, expected) -> None:
    assert match_strength(officer, record) == expected


def test_every_demo_provider_with_a_company_number_has_a_file(offline) -> None:
    from accreditation.demo import PROVIDERS

    numbers = {number for _, number, _ in PROVIDERS if number}
    assert numbers and numbers <= set(offline.company_numbers())
