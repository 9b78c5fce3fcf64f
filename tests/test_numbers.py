"""Numbers people type (``accreditation/numbers.py``): read as a person writes them, exactly,
and nothing a programming language would also take for a number; checked against the rule of
what they count, with a message naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accreditation.checklists.model import NUMBER_RULES, number_rule
from accreditation.numbers import (
    NotANumber,
    NumberRule,
    as_plain,
    decimal_places,
    read_number,
)

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False,
                      allow_infinity=False)


@given(amounts)
def test_a_number_written_plainly_is_read_exactly(value):
    assert read_number(f"{value:f}") == value
    assert read_number(f" {value:,f} ") == value  # with commas between thousands
    assert read_number(f"£{value:,f}") == value
    if value:
        assert read_number(f"-{value:f}") == -value  # read, so a rule can say "0 or more"


@given(amounts)
def test_millions_may_end_in_m_or_million(value):
    for written in (f"£{value:f}m", f"{value:f} million", f"{value:f}M"):
        assert read_number(written, millions=True) == value
    with pytest.raises(NotANumber):
        read_number(f"{value:f}m")  # only where the field is in millions


@given(st.floats(allow_nan=True, allow_infinity=True).map(repr)
       .filter(lambda text: "e" in text or "n" in text))
def test_exponents_nan_and_infinity_are_not_numbers(text):
    with pytest.raises(NotANumber):
        read_number(text)


@pytest.mark.parametrize("text", [
    "1e9", "1E3", "-5e-1", "NaN", "nan", "Infinity", "-inf", "1_000", "0x10", "+5", "1 000",
    "1,00", "12,3456", "..5", "5..", "£", "-", ".", "five", "5 5", "\u0661\u0662",
    "\u0665", "\uff15", "5\u00a0000", "1" * 41,
])
def test_what_is_not_a_number_as_people_write_them(text):
    with pytest.raises(NotANumber):
        read_number(text)


@given(st.text(max_size=60))
def test_any_text_is_a_number_or_refused_and_nothing_else_goes_wrong(text):
    try:
        value = read_number(text)
    except NotANumber:
        return
    assert value is None or value.is_finite()
    assert value is None or all(ch in "0123456789,.£-\u2212 \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
                                "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                                "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
                                for ch in text)


@given(st.integers(-10**6, 10**6), st.integers(0, 4))
def test_a_rule_refuses_what_is_out_of_range_or_too_precise(units, places_typed):
    rule = NumberRule(Decimal(0), Decimal(1000), 2, "m²")
    value = Decimal(units).scaleb(-places_typed)
    problem = rule.problem(value, "Bedroom size")
    allowed = 0 <= value <= 1000 and decimal_places(value) <= 2
    assert (problem is None) == allowed
    if problem:
        assert problem.startswith("Bedroom size ")


@pytest.mark.parametrize("unit, value, problem", [
    ("months", -3, "Age of it must be between 0 and 1,200 months"),
    ("months", Decimal("2.5"), "Age of it must be a whole number, like 12"),
    ("months", 999, None),
    ("working days", 1001, "Age of it must be between 0 and 1,000 working days"),
    ("m²", Decimal("-5"), "Age of it must be between 0 and 10,000 m²"),
    ("m²", Decimal("6.51"), None),
    ("£ million", Decimal("2.5"), None),
    ("£ million", Decimal("1e9"), "Age of it must be between £0 and £1,000 million"),
    ("£ million", True, "Age of it must be a number, like 2.5"),
    ("£ million", float("inf"), "Age of it must be a number, like 2.5"),
    ("hours", Decimal("-1"), "Age of it must be between 0 and 1,000,000 hours"),
])
def test_checklist_numbers_follow_their_unit(unit, value, problem):
    assert number_rule(unit).problem(value, "Age of it") == problem


def test_every_unit_the_shipped_checklists_use_has_its_own_rule():
    from accreditation.checklists import DEFINITIONS_DIR, load_definition

    units = {item.unit for path in DEFINITIONS_DIR.glob("*/*.yaml")
             for item in load_definition(path).items if item.answer_type == "number"}
    assert units and units <= NUMBER_RULES.keys()


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False))
def test_a_checked_number_keeps_its_value_in_json(value):
    plain = as_plain(value)
    assert Decimal(repr(plain)) == value
    assert isinstance(plain, int) == (value == value.to_integral_value())
