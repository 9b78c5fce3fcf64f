"""Shared test data for the checklist engine: a small valid definition and answer strategies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from accreditation.checklists import (
    CATEGORIES,
    FILE_TYPES,
    NOT_APPLICABLE,
    ChecklistVersion,
    Item,
    ThresholdStep,
    shipped_versions,
)

# A small, valid property inspection definition. Tests break it one edit at a time.
BASE_DEFINITION = """\
# A small checklist for tests.
kind: property_inspection
version: 1
title: Test inspection
sections:
  - id: protection
    title: Protection
  - id: accommodation
    title: Accommodation
items:
  - id: gas_safety_certificate
    section: protection
    label: Gas safety certificate
    text: Is there a gas safety record dated within the last 12 months?
    answer_type: yes_no
    weight: 3
    critical: true
    allow_not_applicable: true
  - id: fire_doors
    section: protection
    text: Are fire doors in good condition?
    answer_type: graded
    weight: 2
  - id: bedroom_size
    section: accommodation
    text: What is the floor area of the smallest bedroom?
    answer_type: number
    pass_range: {min: 6.51}
    unit: m²
  - id: notes
    section: accommodation
    text: Notes
    answer_type: free_text
schedule:
  - effective_from: 2026-09-01
    pass_mark: 60
    section_minimums:
      protection: 50
    critical_items: []
  - effective_from: 2027-01-04
    pass_mark: 65
    section_minimums:
      protection: 60
    critical_items: [fire_doors]
"""


def write_definition(
    root: Path, text: str, *, folder: str = "property_inspection", name: str = "v1.yaml"
) -> Path:
    path = root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, f"edit target must occur exactly once: {old!r}"
        text = text.replace(old, new)
    return text


def contexts(version: ChecklistVersion) -> list[dict[str, str]]:
    """The keyword arguments for every category / file type the version is scored by."""
    if version.context_field == "applies_to":
        return [{"category": c} for c in CATEGORIES]
    if version.context_field == "applies_to_files":
        return [{"file_type": f} for f in FILE_TYPES]
    return [{}]


def scoring_cases() -> list[tuple[ChecklistVersion, ThresholdStep, dict[str, str]]]:
    """Every shipped version x every step of its schedule x every context."""
    return [
        (version, step, context)
        for version in shipped_versions().values()
        for step in version.schedule
        for context in contexts(version)
    ]


def case_id(case: tuple[ChecklistVersion, ThresholdStep, dict[str, str]]) -> str:
    version, step, context = case
    where = "-".join(context.values()) or "organisation"
    return f"{version.kind}-v{version.version}-{step.effective_from}-{where}"


def best_answer(item: Item) -> Any:
    """The answer that earns full points (free text gets a note)."""
    if item.answer_type == "yes_no":
        return "yes"
    if item.answer_type == "graded":
        return 3
    if item.answer_type == "number":
        return item.pass_min if item.pass_min is not None else item.pass_max
    return "All fine."


def failing_answer(item: Item) -> Any:
    """An answer that fails the item."""
    if item.answer_type == "yes_no":
        return "no"
    if item.answer_type == "graded":
        assert item.pass_grade is not None
        return item.pass_grade - 1
    if item.pass_max is not None:
        return item.pass_max + 1
    assert item.pass_min is not None
    return item.pass_min - 1


def answer_values(item: Item) -> st.SearchStrategy[Any]:
    """Answers an inspector might record, mostly valid, sometimes not."""
    if item.answer_type == "free_text":
        return st.one_of(st.none(), st.text(max_size=20))
    common: list[Any] = [None, NOT_APPLICABLE]
    if item.answer_type == "yes_no":
        return st.sampled_from(["yes", "yes", "yes", "no", *common, "maybe", True, ""])
    if item.answer_type == "graded":
        return st.sampled_from([3, 3, 2, 2, 1, 0, *common, 4, -1, 2.0, True, "2"])
    bound = item.pass_max if item.pass_max is not None else item.pass_min
    assert bound is not None
    near = st.integers(int(bound) - 3, int(bound) + 3)
    return st.one_of(
        near,
        near,
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([*common, "12", [1]]),
    )


@st.composite
def answers_for(draw: st.DrawFn, version: ChecklistVersion) -> dict[str, Any]:
    """A random answer sheet: each item answered well, answered badly or left out.

    How careful the provider was is drawn first, so that sheets range from hopeless to
    perfect and both passes and fails are common (a purely random sheet almost always fails).
    """
    care = draw(st.sampled_from([0, 50, 70, 85, 95, 100]))
    answers = {}
    for item in version.items:
        if draw(st.integers(0, 99)) < care:
            answers[item.id] = best_answer(item)
        elif draw(st.integers(0, 9)) > 0:
            answers[item.id] = draw(answer_values(item))
    return answers


scoring_case = st.sampled_from(scoring_cases())
