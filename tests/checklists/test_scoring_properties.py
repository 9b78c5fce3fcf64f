"""Properties of scoring that must hold for every shipped checklist, step and context."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accreditation.checklists import (
    ChecklistVersion,
    Outcome,
    ScoreResult,
    ThresholdStep,
    compile_checklist,
    judge,
    loosenings,
    score,
)

from .helpers import (
    answers_for,
    best_answer,
    case_id,
    contexts,
    failing_answer,
    scoring_case,
    scoring_cases,
)

PROPERTIES = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
Case = tuple[ChecklistVersion, ThresholdStep, dict[str, str]]


def asked(version: ChecklistVersion, context: dict[str, str]) -> list[Any]:
    value = next(iter(context.values()), None)
    return [i for i in version.items if i.applies(version.context_field, value)]


@pytest.mark.parametrize("case", scoring_cases(), ids=case_id)
def test_best_answers_pass_under_every_step(case: Case) -> None:
    version, step, context = case
    answers = {item.id: best_answer(item) for item in version.items}
    result = score(version, answers, step, **context)
    assert result.passed, result.reasons
    assert result.percent == "100.0" and result.failed_items == ()


@PROPERTIES
@given(data=st.data(), case=scoring_case)
def test_a_failing_critical_item_always_fails(data: st.DataObject, case: Case) -> None:
    version, step, context = case
    critical = [i for i in asked(version, context) if i.critical or i.id in step.critical_items]
    if not critical:
        return  # this step makes nothing critical for this context
    item = data.draw(st.sampled_from(critical))
    answers = data.draw(answers_for(version))
    answers[item.id] = data.draw(st.sampled_from([failing_answer(item), None, "rubbish"]))

    result = score(version, answers, step, **context)

    assert not result.passed
    assert item.id in result.failed_critical_items
    assert any(reason.startswith("Critical item failed") for reason in result.reasons)


@st.composite
def raised(draw: st.DrawFn, version: ChecklistVersion, step: ThresholdStep) -> ThresholdStep:
    """The same step with one or more thresholds raised."""
    new = step
    choices = draw(st.sets(st.sampled_from(["pass_mark", "minimum", "critical"]), min_size=1))
    if "pass_mark" in choices and step.pass_mark < 100:
        new = replace(new, pass_mark=draw(st.integers(step.pass_mark + 1, 100)))
    if "minimum" in choices:
        section = draw(st.sampled_from([s.id for s in version.sections]))
        current = step.minimum_for(section)
        if current < 100:
            minimums = dict(new.section_minimums)
            minimums[section] = draw(st.integers(current + 1, 100))
            new = replace(new, section_minimums=tuple(minimums.items()))
    if "critical" in choices:
        candidates = [i.id for i in version.items if i.scored and i.id not in step.critical_items]
        extra = draw(st.sampled_from(candidates))
        new = replace(new, critical_items=(*new.critical_items, extra))
    return new


@PROPERTIES
@given(data=st.data(), case=scoring_case)
def test_raising_a_threshold_never_turns_a_fail_into_a_pass(
    data: st.DataObject, case: Case
) -> None:
    version, step, context = case
    answers = data.draw(answers_for(version))
    tighter = data.draw(raised(version, step))
    assert loosenings(step, tighter) == []  # the validator's notion of "looser" agrees

    compiled = compile_checklist(version)
    before = compiled.score(answers, step, **context)
    after = compiled.score(answers, tighter, **context)

    event(f"passed before: {before.passed}, after: {after.passed}")
    assert before.passed or not after.passed


@PROPERTIES
@given(data=st.data(), case=scoring_case)
def test_rescoring_is_deterministic_and_round_trips(data: st.DataObject, case: Case) -> None:
    version, step, context = case
    answers = data.draw(answers_for(version))

    first = score(version, answers, step, **context)
    stored = json.loads(json.dumps(first.to_dict(), allow_nan=False))
    again = score(compile_checklist(version), dict(reversed(answers.items())), step, **context)

    assert ScoreResult.from_dict(stored) == first
    assert again.to_dict() == stored
    assert again == first


@PROPERTIES
@given(data=st.data(), case=scoring_case)
def test_fast_path_agrees_with_full_path(data: st.DataObject, case: Case) -> None:
    version, step, context = case
    answers = data.draw(answers_for(version))
    compiled = compile_checklist(version)

    full = compiled.score(answers, step, **context)
    fast = compiled.summarise(answers, step, **context)

    assert fast.passed == full.passed == compiled.passes(answers, step, **context)
    assert (fast.earned, fast.possible) == (full.earned, full.possible)
    assert fast.critical_failures == len(full.failed_critical_items)
    assert fast.sections_below == tuple(s.id for s in full.sections if not s.passed)
    assert sum(i.earned for i in full.items) == full.earned
    assert sum(i.possible for i in full.items) == full.possible
    assert full.passed == (not full.reasons)


@PROPERTIES
@given(data=st.data(), case=scoring_case)
def test_the_step_scorer_agrees_with_diagnose(data: st.DataObject, case: Case) -> None:
    # One scorer for many answer sheets, as impact previews use it: its caches must never let
    # one sheet's answer (True, 2.0, nan, a list...) stand for another's.
    version, step, context = case
    compiled = compile_checklist(version)
    scorer = compiled.scorer(step, **context)
    for answers in data.draw(st.lists(answers_for(version), min_size=1, max_size=6)):
        summary, failed = scorer(answers)
        assert (summary, scorer.failed_items(failed)) == compiled.diagnose(answers, step,
                                                                          **context)


@PROPERTIES
@given(data=st.data(), case=scoring_case)
def test_marks_are_exact_percentages(data: st.DataObject, case: Case) -> None:
    version, step, context = case
    result = score(version, data.draw(answers_for(version)), step, **context)
    for section in result.sections:
        if section.possible:
            shown = int(section.percent.replace(".", ""))  # tenths of a percent, rounded down
            assert shown * section.possible <= section.earned * 1000
            assert section.earned * 1000 < (shown + 1) * section.possible


def test_every_context_is_exercised() -> None:
    # A guard on the strategies above: all kinds and all categories / file types take part.
    seen = {(v.kind, tuple(c.values())) for v, _, c in scoring_cases()}
    assert len(seen) == 1 + 2 + 4
    assert all(contexts(v) for v, _, _ in scoring_cases())


@PROPERTIES
@given(data=st.data(), case=scoring_case)
def test_totals_match_judging_each_answer_on_its_own(data: st.DataObject, case: Case) -> None:
    # The compiled form caches judge() for speed; this oracle uses judge() alone, so a cache
    # that answered differently (say, True taken as grade 1) would show here.
    version, step, context = case
    answers = data.draw(answers_for(version))
    earned = possible = 0
    for item in asked(version, context):
        judgement = judge(item, answers.get(item.id))
        if judgement.outcome not in (Outcome.NOT_APPLICABLE, Outcome.NOT_SCORED):
            earned += judgement.earned
            possible += item.max_points

    summary = compile_checklist(version).summarise(answers, step, **context)

    assert (summary.earned, summary.possible) == (earned, possible)
