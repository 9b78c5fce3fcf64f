"""Which threshold step is in force on a date."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accreditation.checklists import (
    ThresholdStep,
    grace_ends_on,
    latest_version,
    loosenings,
    next_step,
    shipped_versions,
    step_in_force,
)

SCHEDULE = shipped_versions()[("property_inspection", 1)].schedule


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2026, 8, 31), None),
        (date(2026, 9, 1), date(2026, 9, 1)),
        (date(2026, 11, 22), date(2026, 9, 1)),
        (date(2027, 1, 3), date(2026, 9, 1)),
        (date(2027, 1, 4), date(2027, 1, 4)),
        (date(2027, 4, 4), date(2027, 1, 4)),
        (date(2027, 4, 5), date(2027, 4, 5)),
        (date(2027, 7, 4), date(2027, 4, 5)),
        (date(2027, 7, 5), date(2027, 7, 5)),
        (date(2031, 1, 1), date(2027, 7, 5)),
    ],
)
def test_step_in_force_around_boundaries(on: date, expected: date | None) -> None:
    step = step_in_force(SCHEDULE, on)
    assert (step.effective_from if step else None) == expected


def test_next_step_is_the_one_after_today() -> None:
    upcoming = next_step(SCHEDULE, date(2026, 11, 22))
    assert upcoming is not None and upcoming.effective_from == date(2027, 1, 4)
    assert next_step(SCHEDULE, date(2027, 7, 5)) is None


def test_empty_schedule_has_no_step() -> None:
    assert step_in_force((), date(2027, 1, 1)) is None


def test_timestamps_are_refused() -> None:
    with pytest.raises(TypeError, match="expected a date"):
        step_in_force(SCHEDULE, datetime(2027, 1, 4, 0, 30))  # type: ignore[arg-type]


def test_grace_period_end() -> None:
    step = step_in_force(SCHEDULE, date(2027, 1, 4))
    assert step is not None and grace_ends_on(step) == date(2027, 3, 1)


@settings(max_examples=300, database=None)
@given(st.sampled_from([v.schedule for v in shipped_versions().values()]), st.dates())
def test_step_in_force_is_the_last_started_step(
    schedule: tuple[ThresholdStep, ...], on: date
) -> None:
    step = step_in_force(schedule, on)
    started = [s for s in schedule if s.effective_from <= on]
    assert step == (started[-1] if started else None)
    if step is not None:
        following = next_step(schedule, on)
        assert following is None or following.effective_from > on >= step.effective_from


def test_shipped_schedules_only_tighten() -> None:
    for version in shipped_versions().values():
        for earlier, later in zip(version.schedule, version.schedule[1:], strict=False):
            assert later.effective_from - earlier.effective_from >= timedelta(days=28)
            assert loosenings(earlier, later) == [] or later.relaxation


def test_loosenings_in_words() -> None:
    earlier = latest_version("property_inspection").schedule[-1]
    later = ThresholdStep(
        effective_from=earlier.effective_from + timedelta(days=90),
        pass_mark=earlier.pass_mark - 5,
        section_minimums=(("protection", 10),),
        critical_items=earlier.critical_items[1:],
    )
    found = loosenings(earlier, later)
    assert found[0] == "lowers the pass mark from 80% to 75%"
    assert "lowers the minimum for section 'protection' from 85% to 10%" in found
    assert "lowers the minimum for section 'support' from 65% to 0%" in found
    assert found[-1] == "no longer treats 'escape_routes' as critical"
