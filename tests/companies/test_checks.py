"""The automatic due-diligence checks, and the checklist answers they suggest."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from accreditation.checklists import latest_version
from accreditation.companies import (
    CHECK_ITEMS,
    CompanyCheckResult,
    CompanyNotFound,
    InvalidCompanyNumber,
    OfflineCompanyRegistry,
    RegistryUnavailable,
    run_company_checks,
)

from .helpers import DROP, TODAY, write_company

KEYS = ["company_status_active", "accounts_not_overdue", "confirmation_statement_not_overdue",
        "no_insolvency_history", "no_disqualified_directors"]
Y, N, U = True, False, None  # passed, failed, could not tell

# number: (expected outcome per check in KEYS order, {check: words its summary must contain})
SHIPPED = {
    "09876543": ((Y, Y, Y, Y, Y), {
        "company_status_active": "Company status is active.",
        "accounts_not_overdue": "last made up to 31 March 2026; next due by 31 December 2027",
        "no_disqualified_directors": "MEHTA, Priya; OKAFOR, Daniel Chukwuemeka",
    }),
    "11223344": ((Y, N, Y, Y, Y), {
        "accounts_not_overdue": "Accounts overdue: next accounts were due on 30 September 2026.",
    }),
    "08765432": ((Y, Y, N, Y, Y), {
        "confirmation_statement_not_overdue":
            "Confirmation statement overdue: next confirmation statement was due on "
            "16 October 2026.",
    }),
    "12345678": ((Y, Y, Y, N, Y), {
        "no_insolvency_history":
            "Insolvency history: administration (started 11 April 2022, ended 10 April 2023).",
        "no_disqualified_directors":
            "Earlier disqualification, now ended: HOLLIS, Martin Edward, disqualified until "
            "30 April 2018",
    }),
    "07654321": ((Y, Y, Y, Y, N), {
        "no_disqualified_directors":
            "Disqualified director: THORNE, Gary Paul, disqualified until 13 February 2032 "
            "(undertaking; relating to BROOKFIELD LETTINGS LIMITED).",
    }),
    "05555555": ((N, U, U, N, N), {
        "company_status_active": "Company status is dissolved (since 6 August 2024), not active.",
        "accounts_not_overdue": "none due, the company is dissolved",
        "no_insolvency_history": "The company has been liquidated. Insolvency history: "
                                 "creditors' voluntary liquidation (wound up 3 November 2022",
        "no_disqualified_directors": "PIKE, Raymond John, disqualified until 30 September 2030",
    }),
}


@pytest.mark.parametrize("number", list(SHIPPED))
def test_each_shipped_company(offline, number: str) -> None:
    expected, words = SHIPPED[number]
    result = run_company_checks(offline, number, today=TODAY)
    assert [o.key for o in result.outcomes] == KEYS
    assert tuple(o.passed for o in result.outcomes) == expected
    for key, text in words.items():
        assert text in result.outcome(key).summary
    assert result.company_number == number
    assert result.profile == offline.company_profile(number)
    assert result.checked_on == TODAY
    assert result.all_passed == all(e is True for e in expected)


def test_suggested_answers_use_real_due_diligence_item_ids(offline) -> None:
    items = {i.id: i for i in latest_version("due_diligence").items}
    for item_id in CHECK_ITEMS.values():
        assert items[item_id].answer_type == "yes_no"
        assert items[item_id].section == "company_and_finance"
    for number in SHIPPED:
        answers = run_company_checks(offline, number, today=TODAY).suggested_answers()
        assert set(answers) <= set(items)
        assert set(answers.values()) <= {"yes", "no"}


@pytest.mark.parametrize(
    ("number", "answers"),
    [
        ("09876543", {"company_status_active": "yes", "accounts_filed_on_time": "yes",
                      "no_insolvency_history": "yes", "no_disqualified_directors": "yes"}),
        ("11223344", {"company_status_active": "yes", "accounts_filed_on_time": "no",
                      "no_insolvency_history": "yes", "no_disqualified_directors": "yes"}),
        ("08765432", {"company_status_active": "yes", "accounts_filed_on_time": "no",
                      "no_insolvency_history": "yes", "no_disqualified_directors": "yes"}),
        ("12345678", {"company_status_active": "yes", "accounts_filed_on_time": "yes",
                      "no_insolvency_history": "no", "no_disqualified_directors": "yes"}),
        ("07654321", {"company_status_active": "yes", "accounts_filed_on_time": "yes",
                      "no_insolvency_history": "yes", "no_disqualified_directors": "no"}),
        # Filing does not apply to a dissolved company: that item is left to the commissioner.
        ("05555555", {"company_status_active": "no", "no_insolvency_history": "no",
                      "no_disqualified_directors": "no"}),
    ],
)
def test_suggested_answers(offline, number: str, answers: dict[str, str]) -> None:
    assert run_company_checks(offline, number, today=TODAY).suggested_answers() == answers


def test_the_result_survives_json_for_the_record(offline) -> None:
    checked_at = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    result = run_company_checks(offline, "07654321", today=TODAY, now=checked_at)
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["checked_at"] == "2026-11-22T09:30:00+00:00"
    assert stored["outcomes"][4]["key"] == "no_disqualified_directors"
    again = CompanyCheckResult.from_dict(stored)
    assert again == result
    assert again.suggested_answers() == result.suggested_answers()


def test_the_timestamp_defaults_to_now_in_utc(offline) -> None:
    before = datetime.now(UTC)
    result = run_company_checks(offline, "09876543", today=TODAY)
    assert before <= result.checked_at <= datetime.now(UTC)
    assert "offline" in result.source


def test_dates_are_judged_against_today_not_only_the_stored_flags(offline) -> None:
    # Harbour Lights' recorded profile says nothing is overdue; by 2028 it would be.
    later = run_company_checks(offline, "09876543", today=date(2028, 1, 3))
    assert later.outcome("accounts_not_overdue").passed is False
    assert "due on 31 December 2027" in later.outcome("accounts_not_overdue").summary
    assert later.outcome("confirmation_statement_not_overdue").passed is False
    on_the_day = run_company_checks(offline, "09876543", today=date(2027, 12, 31))
    assert on_the_day.outcome("accounts_not_overdue").passed is True


def test_a_ban_that_has_not_started_yet_still_fails(offline) -> None:
    result = run_company_checks(offline, "07654321", today=date(2025, 2, 1))
    outcome = result.outcome("no_disqualified_directors")
    assert outcome.passed is False
    assert "from 14 February 2025 until 13 February 2032" in outcome.summary


def test_a_ban_that_has_ended_passes_with_a_note(offline) -> None:
    result = run_company_checks(offline, "07654321", today=date(2032, 2, 14))
    outcome = result.outcome("no_disqualified_directors")
    assert outcome.passed is True
    assert "Earlier disqualification, now ended: THORNE, Gary Paul" in outcome.summary


DIRECTOR = {"name": "LANE, Ruth", "officer_role": "director", "appointed_on": "2020-01-01",
            "date_of_birth": {"month": 3, "year": 1980}}


@pytest.mark.parametrize(
    ("profile", "key", "passed", "words"),
    [
        ({"company_status_detail": "active-proposal-to-strike-off"}, "company_status_active",
         False, "proposed to strike it off"),
        ({"company_status": "liquidation"}, "company_status_active", False,
         "Company status is in liquidation, not active."),
        ({"company_status": "liquidation"}, "no_insolvency_history", False,
         "The company is in liquidation now."),
        ({"company_status": "administration", "has_insolvency_history": True},
         "no_insolvency_history", False, "Companies House records insolvency history"),
        ({"has_been_liquidated": True}, "no_insolvency_history", False, "been liquidated"),
        ({"company_status": None}, "company_status_active", None, "gives no status"),
        ({}, "accounts_not_overdue", None, "shows no dates; check the filing history"),
        ({"accounts": {"overdue": True}}, "accounts_not_overdue", False, "Accounts overdue."),
        ({"accounts": {"next_accounts": {"due_on": "2027-09-02"}}}, "accounts_not_overdue",
         True, "none filed yet; next due by 2 September 2027"),
        ({"has_insolvency_history": DROP}, "no_insolvency_history", None, "does not say"),
    ],
)
def test_edge_cases_of_the_profile(tmp_path, profile, key, passed, words) -> None:
    write_company(tmp_path, "01234567", profile=profile,
                  officers={"items": [DIRECTOR], "total_results": 1})
    registry = OfflineCompanyRegistry(tmp_path)
    outcome = run_company_checks(registry, "1234567", today=TODAY).outcome(key)
    assert (outcome.passed, words in outcome.summary) == (passed, True), outcome.summary


def test_a_possible_match_without_a_date_of_birth_is_left_to_the_commissioner(tmp_path) -> None:
    undated = {k: v for k, v in DIRECTOR.items() if k != "date_of_birth"}
    write_company(
        tmp_path, "01234567", officers={"items": [undated], "total_results": 1},
        disqualified=[{"kind": "natural-disqualification", "forename": "Ruth", "surname": "LANE",
                       "date_of_birth": "1951-07-01", "links": {"self": "/x"},
                       "disqualifications": [{"disqualified_from": "2024-01-01",
                                              "disqualified_until": "2029-01-01"}]}],
    )
    result = run_company_checks(OfflineCompanyRegistry(tmp_path), "01234567", today=TODAY)
    outcome = result.outcome("no_disqualified_directors")
    assert outcome.passed is None
    assert "no date of birth to compare" in outcome.summary
    assert "no_disqualified_directors" not in result.suggested_answers()


def test_secretaries_and_resigned_directors_are_not_checked(tmp_path) -> None:
    write_company(tmp_path, "01234567", officers={"items": [
        {"name": "LANE, Ruth", "officer_role": "secretary", "appointed_on": "2020-01-01"},
        {**DIRECTOR, "name": "MOSS, Ian", "resigned_on": "2024-01-01"},
    ], "total_results": 2})
    result = run_company_checks(OfflineCompanyRegistry(tmp_path), "01234567", today=TODAY)
    outcome = result.outcome("no_disqualified_directors")
    assert outcome.passed is None
    assert "lists no current directors" in outcome.summary
    assert result.officers_checked == ("LANE, Ruth (secretary)",)


class Refuses:
    source = "a registry that must not be asked"

    def __getattr__(self, name):
        raise AssertionError(f"asked {name}")


def test_an_invalid_number_is_refused_before_the_registry_is_asked() -> None:
    with pytest.raises(InvalidCompanyNumber):
        run_company_checks(Refuses(), "not a number", today=TODAY)  # type: ignore[arg-type]


def test_unknown_company_and_registry_trouble_pass_through(tmp_path, offline) -> None:
    with pytest.raises(CompanyNotFound):
        run_company_checks(offline, "01234567", today=TODAY)
    (tmp_path / "99999999.json").write_text("[]")  # breaks the disqualified register
    write_company(tmp_path, "01234567", officers={"items": [DIRECTOR], "total_results": 1})
    with pytest.raises(RegistryUnavailable):
        run_company_checks(OfflineCompanyRegistry(tmp_path), "01234567", today=TODAY)
