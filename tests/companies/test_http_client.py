"""The HTTP client against a real server on 127.0.0.1 speaking the API's recorded shapes."""

from __future__ import annotations

import base64
import logging
import socket
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from accreditation.companies import (
    CompaniesHouseClient,
    CompanyNotFound,
    InvalidCompanyNumber,
    RegistryUnavailable,
    run_company_checks,
)
from accreditation.config import ConfigurationError

from .fake_companies_house import Canned, canned_json
from .helpers import API_KEY, TODAY

RATE_LIMITED = canned_json(429, {"error": "Too Many Requests"}, Retry_After="7")
SERVER_ERROR = canned_json(500, {"error": "Internal Server Error"})


def test_company_profile_is_the_api_shape_and_the_key_goes_as_basic_auth_user(
    client, fake_api
) -> None:
    profile = client.company_profile("9876543")
    assert profile["company_number"] == "09876543"
    assert profile["company_name"] == "HARBOUR LIGHTS HOUSING LTD"
    assert profile["accounts"]["next_due"] == "2027-12-31"
    [seen] = fake_api.requests
    assert seen.path == "/company/09876543"
    scheme, _, token = seen.authorization.partition(" ")
    assert (scheme, base64.b64decode(token).decode()) == ("Basic", f"{API_KEY}:")


def test_unknown_company_is_company_not_found(client) -> None:
    with pytest.raises(CompanyNotFound) as caught:
        client.company_profile("01234567")
    assert caught.value.status_code == 404
    assert "01234567" in caught.value.message


def test_an_invalid_number_is_refused_before_any_request(client, fake_api) -> None:
    for call in (client.company_profile, client.officers, client.insolvency):
        with pytest.raises(InvalidCompanyNumber):
            call("../search/companies?q=x")
    assert fake_api.requests == []


def test_officers_are_fetched_page_by_page_into_one_list(make_client, fake_api) -> None:
    fake_api.page_size_cap = 1
    officers = make_client().officers("09876543")
    assert [o["name"] for o in officers["items"]] == [
        "CARTWRIGHT, Helen", "MEHTA, Priya", "OKAFOR, Daniel Chukwuemeka",
        "BRENNAN, Thomas Patrick",
    ]
    assert [s.query["start_index"] for s in fake_api.requests] == [["0"], ["1"], ["2"], ["3"]]
    assert officers["items"][1]["links"]["officer"]["appointments"].startswith("/officers/")


def test_insolvency_without_cases_is_an_empty_list_not_an_error(client) -> None:
    assert client.insolvency("09876543") == {"cases": []}
    assert client.insolvency("12345678")["cases"][0]["type"] == "in-administration"


def test_disqualifications_follow_search_results_that_fit_name_and_birth(
    client, fake_api
) -> None:
    thorne = client.officers("07654321")["items"][1]
    [record] = client.disqualifications(thorne)
    assert (record["surname"], record["date_of_birth"]) == ("THORNE", "1972-04-12")
    assert fake_api.requests[-2].path == "/search/disqualified-officers"
    assert fake_api.requests[-2].query["q"] == ["Gary Paul THORNE"]
    assert fake_api.requests[-1].path == record["links"]["self"]


def test_a_namesake_born_in_another_year_is_not_fetched_or_returned(client, fake_api) -> None:
    mehta = client.officers("09876543")["items"][1]
    assert mehta["name"] == "MEHTA, Priya"
    assert client.disqualifications(mehta) == []
    # The search found the 1962 Priya MEHTA; her record was not even fetched.
    assert fake_api.paths()[-1] == "/search/disqualified-officers"


def test_a_search_result_pointing_elsewhere_is_not_followed(client, fake_api) -> None:
    officer = {"name": "THORNE, Gary Paul", "officer_role": "director",
               "date_of_birth": {"month": 4, "year": 1972}}
    fake_api.queue("/search/disqualified-officers", canned_json(200, {"items": [
        {"title": "Gary Paul THORNE", "date_of_birth": "1972-04-12",
         "links": {"self": "https://attacker.example/steal"}},
        {"title": "Gary Paul THORNE", "date_of_birth": "1972-04-12",
         "links": {"self": "/company/07654321"}},
    ]}))
    assert client.disqualifications(officer) == []
    assert fake_api.paths() == ["/search/disqualified-officers"]


def test_429_waits_for_retry_after_then_succeeds(client, fake_api, sleeps) -> None:
    fake_api.queue("/company/09876543", RATE_LIMITED, RATE_LIMITED)
    assert client.company_profile("09876543")["company_number"] == "09876543"
    assert sleeps == [7.0, 7.0]
    assert fake_api.paths() == ["/company/09876543"] * 3


def test_429_gives_up_after_the_bound_with_registry_unavailable(
    make_client, fake_api, sleeps
) -> None:
    fake_api.queue("/company/09876543", *[RATE_LIMITED] * 5)
    with pytest.raises(RegistryUnavailable) as caught:
        make_client(max_retries=2).company_profile("09876543")
    assert sleeps == [7.0, 7.0]
    assert len(fake_api.requests) == 3
    assert caught.value.status_code == 503
    assert "600 requests every 5 minutes" in caught.value.message
    assert "try again in about a minute." in caught.value.message


def test_429_without_retry_after_backs_off_doubling(make_client, fake_api, sleeps) -> None:
    fake_api.queue("/company/09876543", *[canned_json(429, {})] * 3)
    make_client(backoff_seconds=0.5).company_profile("09876543")
    assert sleeps == [0.5, 1.0, 2.0]


def test_429_with_an_http_date_retry_after_waits_until_then(make_client, fake_api, sleeps) -> None:
    now = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
    later = format_datetime(datetime(2026, 11, 22, 10, 0, 12, tzinfo=UTC), usegmt=True)
    fake_api.queue("/company/09876543", canned_json(429, {}, Retry_After=later))
    make_client(clock=now.timestamp).company_profile("09876543")
    assert sleeps == [12.0]


def test_429_uses_the_rate_limit_reset_header_when_there_is_no_retry_after(
    make_client, fake_api, sleeps
) -> None:
    now = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC).timestamp()
    fake_api.queue("/company/09876543", canned_json(429, {}, X_Ratelimit_Reset=str(int(now) + 20)))
    make_client(clock=lambda: now).company_profile("09876543")
    assert sleeps == [20.0]


def test_429_asking_for_a_long_wait_gives_up_at_once_rather_than_hold_the_page(
    make_client, fake_api, sleeps
) -> None:
    fake_api.queue("/company/09876543", canned_json(429, {}, Retry_After="240"))
    with pytest.raises(RegistryUnavailable) as caught:
        make_client(max_wait_seconds=30).company_profile("09876543")
    assert sleeps == []
    assert len(fake_api.requests) == 1
    assert "try again in about 4 minutes." in caught.value.message


def test_5xx_is_retried_with_backoff_then_succeeds(client, fake_api, sleeps) -> None:
    fake_api.queue("/company/09876543", SERVER_ERROR, canned_json(503, {}))
    assert client.company_profile("09876543")["company_status"] == "active"
    assert sleeps == [1.0, 2.0]


def test_5xx_gives_up_after_the_bound_with_registry_unavailable(client, fake_api, sleeps) -> None:
    fake_api.queue("/company/09876543", *[SERVER_ERROR] * 4)
    with pytest.raises(RegistryUnavailable) as caught:
        client.company_profile("09876543")
    assert len(fake_api.requests) == 4  # the first try and three retries
    assert sleeps == [1.0, 2.0, 4.0]
    assert "error 500" in caught.value.message


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (canned_json(400, {"errors": []}), "error 400"),
        (Canned(200, {}, b"<html>Service unavailable</html>"), "could not read"),
        (Canned(200, {}, b"[1, 2, 3]"), "could not read"),
        (Canned(302, {"Location": "/company/08765432"}), "error 302"),
    ],
)
def test_other_answers_are_not_retried_and_say_what_to_do(
    client, fake_api, sleeps, answer, words
) -> None:
    fake_api.queue("/company/09876543", answer)
    with pytest.raises(RegistryUnavailable) as caught:
        client.company_profile("09876543")
    assert words in caught.value.message
    assert "Companies House website" in caught.value.message
    assert sleeps == []
    assert fake_api.paths() == ["/company/09876543"]  # a redirect is not followed


def test_an_oversized_answer_is_refused(client, monkeypatch) -> None:
    monkeypatch.setattr("accreditation.companies.http_client.MAX_BODY_BYTES", 100)
    with pytest.raises(RegistryUnavailable) as caught:
        client.company_profile("09876543")
    assert "unexpectedly large" in caught.value.message


def test_a_wrong_key_names_the_setting_to_check(make_client) -> None:
    with pytest.raises(RegistryUnavailable) as caught:
        make_client(api_key="not-the-key").company_profile("09876543")
    assert "ACCREDITATION_COMPANIES_HOUSE_API_KEY" in caught.value.message


def test_a_slow_answer_times_out_and_is_retried(make_client, fake_api, sleeps) -> None:
    fake_api.queue("/company/09876543", Canned(200, {}, b"{}", delay=1.0))
    profile = make_client(timeout=0.2).company_profile("09876543")
    assert profile["company_number"] == "09876543"
    assert sleeps == [1.0]


def test_an_answer_cut_off_half_way_is_retried(client, fake_api, sleeps) -> None:
    fake_api.queue("/company/09876543", Canned(200, {}, b'{"company_number": "0987',
                                               content_length=400))
    assert client.company_profile("09876543")["company_number"] == "09876543"
    assert sleeps == [1.0]


def test_an_unreachable_service_is_registry_unavailable_after_bounded_retries(
    sleeps,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = CompaniesHouseClient(API_KEY, base_url=f"http://127.0.0.1:{port}", sleep=sleeps,
                                  proxies={}, max_retries=2)
    with pytest.raises(RegistryUnavailable) as caught:
        client.company_profile("09876543")
    assert "could not be reached" in caught.value.message
    assert sleeps == [1.0, 2.0]


def test_the_key_is_never_logged_or_shown(make_client, fake_api, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client()
    fake_api.queue("/company/09876543", RATE_LIMITED, SERVER_ERROR)
    client.company_profile("09876543")
    run_company_checks(client, "07654321", today=TODAY)
    with pytest.raises(CompanyNotFound) as not_found:
        client.company_profile("01234567")
    fake_api.queue("/company/09876543", *[SERVER_ERROR] * 4)
    with pytest.raises(RegistryUnavailable) as unavailable:
        client.company_profile("09876543")
    token = base64.b64encode(f"{API_KEY}:".encode()).decode()
    shown = [caplog.text, repr(client), client.source, str(not_found.value),
             str(unavailable.value)]
    assert caplog.records, "the client logs its requests"
    for text in shown:
        assert API_KEY not in text
        assert token not in text
    # Officers' names travel in the search query string; the log shows the path only.
    assert "THORNE" not in caplog.text
    assert all(API_KEY not in s.path and not any(API_KEY in v for vs in s.query.values()
                                                  for v in vs) for s in fake_api.requests)


@pytest.mark.parametrize(
    "base_url",
    ["http://api.company-information.service.gov.uk", "ftp://127.0.0.1", "file:///etc/passwd",
     "not a url"],
)
def test_the_key_is_only_sent_over_https_or_to_this_machine(base_url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CompaniesHouseClient(API_KEY, base_url=base_url)
    assert "ACCREDITATION_COMPANIES_HOUSE_BASE_URL" in str(caught.value)


def test_a_missing_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        CompaniesHouseClient("  ")
    assert "ACCREDITATION_COMPANIES_HOUSE_API_KEY" in str(caught.value)


@pytest.mark.parametrize("number", ["09876543", "11223344", "08765432", "12345678", "07654321",
                                    "05555555"])
def test_the_api_and_the_offline_files_give_the_same_checks(client, offline, number) -> None:
    live = run_company_checks(client, number, today=TODAY)
    recorded = run_company_checks(offline, number, today=TODAY)
    assert live.outcomes == recorded.outcomes
    assert live.profile == recorded.profile
    assert live.officers_checked == recorded.officers_checked
    assert live.source.startswith("Companies House public data API")
