"""The register's search query as browsers, bookmarks and API clients send it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from accreditation.register.query import FALSE_VALUES, TRUE_VALUES, InvalidQuery, parse_query

from ..factories import UserFactory
from .helpers import accredited_provider


def spelled(words) -> st.SearchStrategy[str]:
    """Each word in any mix of capitals, with spaces around it now and then."""
    return st.sampled_from(sorted(words)).flatmap(lambda word: st.tuples(
        st.sampled_from(["", " "]),
        st.tuples(*[st.sampled_from([c.lower(), c.upper()]) for c in word]).map("".join),
        st.sampled_from(["", " "])).map("".join))


@given(spelled(TRUE_VALUES))
def test_every_spelling_of_yes_asks_for_vacancies_only(value):
    assert parse_query(MultiDict({"vacancies": value})).vacancies_only is True


@given(spelled(FALSE_VALUES))
def test_every_spelling_of_no_asks_for_everything(value):
    assert parse_query(MultiDict({"vacancies": value})).vacancies_only is False


@given(st.text(max_size=12).filter(
    lambda text: text.strip().lower() not in TRUE_VALUES | FALSE_VALUES))
def test_anything_else_is_named_as_the_problem(value):
    with pytest.raises(InvalidQuery) as raised:
        parse_query(MultiDict({"vacancies": value}))
    assert raised.value.problems == {"vacancies": "Vacancies must be yes or no"}


def test_what_the_ticked_checkbox_sends_finds_properties_with_vacancies(
        client, today, checklists):
    accredited_provider("Harbour Lights Housing Ltd", [
        {"name": "Albion House", "bed_spaces": 4, "vacancies": 2}])
    accredited_provider("Northway Supported Living CIC", [
        {"name": "Tottenham Lane", "bed_spaces": 3, "vacancies": 0}])
    client.sign_in(UserFactory(social_worker=True))
    page = client.get("/register/").text
    checkbox = re.search(r'<input[^>]*name="vacancies"[^>]*>', page).group(0)
    sent = re.search(r'value="([^"]*)"', checkbox).group(1)  # what the browser sends if ticked

    found = client.get("/register/", query_string={"vacancies": sent, "q": ""})
    assert found.status_code == 200
    assert "There is a problem" not in found.text
    assert "1 accredited provider found" in found.text
    assert "Albion House" in found.text and "Tottenham Lane" not in found.text
    assert re.search(r'<input[^>]*name="vacancies"[^>]*checked', found.text)
