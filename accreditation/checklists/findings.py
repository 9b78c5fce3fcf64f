"""Findings and repeat findings: which items fail, and which failed on the last visit too.

A finding is a scored item that does not pass (``scoring.FAILING``: answered in a way that
fails, an answer that cannot be used, or left unanswered on a submitted inspection). A repeat
finding is an item that is a finding now and was one on the previous inspection of the same
property. Items are matched by id across checklist versions; an item new in this version was
never a finding before, so it is never a repeat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .model import Item
from .scoring import FAILING, Outcome, judge

_FAILING_VALUES = frozenset(outcome.value for outcome in FAILING)
# While answers are still being given, an unanswered item is not (yet) a finding.
_FAILING_ANSWERED = frozenset({Outcome.FAILED, Outcome.INVALID})


def stored_findings(result: Mapping[str, Any] | None) -> frozenset[str]:
    """The items a stored result (``ScoreResult.to_dict()``) found failing; none for None."""
    if not result:
        return frozenset()
    return frozenset(item["id"] for item in result.get("items", ())
                     if item.get("outcome") in _FAILING_VALUES)


def answered_findings(items: Iterable[Item], answers: Mapping[str, Any]) -> frozenset[str]:
    """The items among ``items`` whose answer so far fails (unanswered ones are not findings
    until the inspection is submitted)."""
    return frozenset(item.id for item in items
                     if item.id in answers and answers[item.id] not in (None, "")
                     and judge(item, answers[item.id]).outcome in _FAILING_ANSWERED)


def repeat_findings(previous: Iterable[str], current: Iterable[str]) -> frozenset[str]:
    """The findings of ``current`` that were findings of ``previous`` too."""
    return frozenset(current) & frozenset(previous)
