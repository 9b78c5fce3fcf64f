"""Threshold schedules: which step is in force on a date, and how two steps compare."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from .model import ThresholdStep


def _check_date(on: date) -> None:
    # A step takes effect on a calendar day in England; turning a timestamp into that day needs a
    # time zone, which is the caller's decision, so datetimes are refused rather than truncated.
    if isinstance(on, datetime) or not isinstance(on, date):
        raise TypeError(f"expected a date, got {type(on).__name__}")


def step_in_force(schedule: Sequence[ThresholdStep], on: date) -> ThresholdStep | None:
    """The step in force on ``on``: the last one whose ``effective_from`` is on or before it.

    ``None`` before the first step. ``schedule`` must be in date order (validation ensures it).
    """
    _check_date(on)
    index = bisect_right([step.effective_from for step in schedule], on)
    return schedule[index - 1] if index else None


def next_step(schedule: Sequence[ThresholdStep], on: date) -> ThresholdStep | None:
    """The first step that takes effect after ``on`` (for gap reports), or ``None``."""
    _check_date(on)
    index = bisect_right([step.effective_from for step in schedule], on)
    return schedule[index] if index < len(schedule) else None


def grace_ends_on(step: ThresholdStep) -> date:
    """The last day of the step's grace period for providers accredited under an earlier step."""
    return step.effective_from + timedelta(days=step.grace_days)


def loosenings(earlier: ThresholdStep, later: ThresholdStep) -> list[str]:
    """Every way in which ``later`` asks for less than ``earlier``, in words; empty if none.

    Looser means a lower pass mark, a lower minimum for any section (a section with no minimum
    counts as 0), or an item that is no longer critical.
    """
    found: list[str] = []
    if later.pass_mark < earlier.pass_mark:
        found.append(f"lowers the pass mark from {earlier.pass_mark}% to {later.pass_mark}%")
    sections = dict.fromkeys(sid for sid, _ in (*earlier.section_minimums, *later.section_minimums))
    for sid in sections:
        before, after = earlier.minimum_for(sid), later.minimum_for(sid)
        if after < before:
            found.append(f"lowers the minimum for section '{sid}' from {before}% to {after}%")
    dropped = [i for i in earlier.critical_items if i not in later.critical_items]
    if dropped:
        names = ", ".join(f"'{i}'" for i in dropped)
        found.append(f"no longer treats {names} as critical")
    return found
