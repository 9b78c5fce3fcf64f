"""The sample size rule from the file sampling definition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accreditation.checklists import SampleRule, latest_version, sample_size

SHIPPED_RULE = latest_version("file_sampling").sample_size


@pytest.mark.parametrize(
    ("roster", "expected"),
    [
        (0, 0),
        (1, 1),
        (4, 4),  # fewer than 5 files: all of them
        (5, 5),
        (6, 5),
        (25, 5),  # square root 5
        (26, 6),  # square root 5.1, rounded up
        (36, 6),
        (37, 7),
        (100, 10),
        (101, 11),
        (10_000, 100),
        (10_001, 101),
    ],
)
def test_at_least_five_or_the_square_root_rounded_up(roster: int, expected: int) -> None:
    assert sample_size(roster, SHIPPED_RULE) == expected
    assert sample_size(roster) == expected  # the default rule is the same


@pytest.mark.parametrize(
    ("rule", "roster", "expected"),
    [
        (SampleRule(minimum=3, square_root_of_roster=False), 100, 3),
        (SampleRule(minimum=3, square_root_of_roster=False), 2, 2),
        (SampleRule(minimum=12, square_root_of_roster=True), 400, 20),
    ],
)
def test_other_rules(rule: SampleRule, roster: int, expected: int) -> None:
    assert sample_size(roster, rule) == expected


@pytest.mark.parametrize("roster", [-1, 2.0, True, "10"])
def test_roster_must_be_a_count(roster: object) -> None:
    with pytest.raises(ValueError, match="roster size must be a whole number"):
        sample_size(roster)  # type: ignore[arg-type]


@settings(max_examples=300, database=None)
@given(st.integers(0, 10**12))
def test_sample_is_never_more_than_the_roster_and_covers_the_root(roster: int) -> None:
    size = sample_size(roster)
    assert size <= roster
    if size < roster:
        # at least five, enough that its square covers the roster, and no more than needed
        assert size >= 5 and size * size >= roster
        assert size == 5 or (size - 1) ** 2 < roster
