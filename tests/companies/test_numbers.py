"""Company numbers are normalised and validated before anything is asked of a register."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from accreditation.companies import InvalidCompanyNumber, normalise_company_number
from accreditation.errors import ValidationFailed

CANONICAL = re.compile(r"(?:[0-9]{8}|[A-Z]{2}[0-9]{6}|R[0-9]{7})")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09876543", "09876543"),
        ("9876543", "09876543"),
        ("1234567", "01234567"),
        ("1", "00000001"),
        (" 0987 6543 ", "09876543"),
        ("sc123456", "SC123456"),
        ("SC 123456", "SC123456"),
        ("ni012345", "NI012345"),
        ("OC301234", "OC301234"),
        ("ce001234", "CE001234"),
        ("R0000123", "R0000123"),
        ("\t12345678\n", "12345678"),
    ],
)
def test_valid_numbers_are_normalised(typed: str, expected: str) -> None:
    assert normalise_company_number(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "123456789",  # nine digits
        "SC12345",  # prefix with five digits: not padded, the prefix fixes the length
        "SC1234567",
        "S1234567",  # one letter other than R
        "ABC12345",
        "12-34-5678",
        "0000000",  # pads to 00000000, which is no company
        "09876543; DROP TABLE",
        "../../etc/passwd",
        "١٢٣٤٥٦٧٨",  # Arabic-Indic digits are digits to Python, not to Companies House
        "ＳＣ123456",  # full-width letters
    ],
)
def test_invalid_numbers_are_refused_with_a_message_for_the_form(typed: str) -> None:
    with pytest.raises(InvalidCompanyNumber) as caught:
        normalise_company_number(typed)
    assert isinstance(caught.value, ValidationFailed)
    assert caught.value.field == "company_number"
    assert "company number" in caught.value.message


@given(st.text(max_size=20))
@example("ß1234567")  # upper-cases to two letters
@example("0" * 9)
def test_any_text_normalises_to_a_canonical_number_or_raises_the_validation_error(
    text: str,
) -> None:
    try:
        number = normalise_company_number(text)
    except InvalidCompanyNumber:
        return
    assert CANONICAL.fullmatch(number)
    assert normalise_company_number(number) == number


@given(
    st.from_regex(CANONICAL, fullmatch=True).filter(lambda n: n != "00000000"),
    st.booleans(),
    st.sampled_from(["", " ", "  ", "\t"]),
)
def test_every_canonical_number_survives_case_and_spacing(
    number: str, lower: bool, space: str
) -> None:
    typed = space + (number.lower() if lower else number) + space
    assert normalise_company_number(typed) == number


@given(st.integers(min_value=1, max_value=99_999_999))
def test_short_all_digit_numbers_are_left_padded(value: int) -> None:
    assert normalise_company_number(str(value)) == f"{value:08d}"
