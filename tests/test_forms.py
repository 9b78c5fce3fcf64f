"""Numbers posted back by forms: never trusted, never a crash."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accreditation.forms import whole_number
from accreditation.routing import MAX_RECORD_ID


@given(st.integers(min_value=0, max_value=MAX_RECORD_ID))
def test_a_whole_number_the_database_can_hold_comes_back(number):
    assert whole_number(str(number)) == number
    assert whole_number(f" {number} ") == number


@given(st.text(max_size=24))
def test_anything_else_is_none_or_a_number_in_range(text):
    number = whole_number(text)
    assert number is None or 0 <= number <= MAX_RECORD_ID
    if number is not None:
        assert text.strip().isascii() and text.strip().isdigit()


def test_digits_python_accepts_but_int_refuses_and_overflows_are_none():
    for value in ("\u00b2", "\u0661", "99999999999999999999", str(MAX_RECORD_ID + 1), "-1",
                  "1.0", "", None):
        assert whole_number(value) is None
