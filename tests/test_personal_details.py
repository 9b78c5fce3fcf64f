"""Finding e-mail addresses and phone numbers in fields that promise none."""

from __future__ import annotations

import re
import signal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accreditation.personal_details import found_in


@pytest.mark.parametrize("text, found", [
    ("Jane Smith jane.smith@example.org", "an email address"),
    ("support worker", None),
    ("call 07700 900123", "a phone number"),
    ("+44 (0)20 7946 0958", "a phone number"),
    ("STAFF-014", None),
    ("@ alone", None),
])
def test_what_is_found(text, found):
    assert found_in(text) == found


@given(st.text())
def test_an_email_address_is_any_at_between_two_characters_that_are_not_spaces(text):
    expected = bool(re.search(r"[^\s@]+@[^\s@]+", text))
    assert (found_in(text) == "an email address") == expected


def test_a_very_long_text_is_checked_at_once():
    """A form posted with a megabyte in a short field is refused quickly, not after the
    minutes that re-scanning it from every position would take."""
    def too_slow(*_):
        raise TimeoutError("checking one field took longer than 10 seconds")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(10)
    try:
        for text in ("a" * 1_000_000, "+4" * 500_000, "0 " * 500_000):
            found_in(text)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
