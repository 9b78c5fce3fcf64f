"""Scoring examples: what an inspector or provider reads in the result."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from accreditation.checklists import (
    ChecklistVersion,
    Outcome,
    ScoreResult,
    ThresholdStep,
    answer_problem,
    compile_checklist,
    passes,
    percent,
    score,
    shipped_versions,
    step_in_force,
    summarise,
)

from .helpers import best_answer

PROPERTY_V1 = shipped_versions()[("property_inspection", 1)]
FILES_V1 = shipped_versions()[("file_sampling", 1)]
DUE_DILIGENCE_V1 = shipped_versions()[("due_diligence", 1)]


def best_answers(version: ChecklistVersion, **changes: Any) -> dict[str, Any]:
    answers = {item.id: best_answer(item) for item in version.items}
    answers.update(changes)
    return answers


def step_on(version: ChecklistVersion, on: date) -> ThresholdStep:
    step = step_in_force(version.schedule, on)
    assert step is not None
    return step


def tiny(
    *, pass_mark: int = 70, minimum: int = 0, critical: tuple[str, ...] = ()
) -> tuple[ChecklistVersion, ThresholdStep]:
    """Ten yes/no items of weight 1 in one section, and one step."""
    version = ChecklistVersion.from_dict(
        {
            "kind": "due_diligence",
            "version": 1,
            "title": "Tiny",
            "sections": [{"id": "only", "title": "Only"}],
            "items": [
                {
                    "id": f"q{n}",
                    "section": "only",
                    "text": f"Question {n}?",
                    "answer_type": "yes_no",
                }
                for n in range(10)
            ],
            "schedule": [{"effective_from": "2026-09-01", "pass_mark": pass_mark}],
        }
    )
    step = ThresholdStep(
        date(2026, 9, 1), pass_mark, (("only", minimum),) if minimum else (), critical
    )
    return version, step


def test_failed_critical_item_explains_itself() -> None:
    step = step_on(PROPERTY_V1, date(2027, 2, 1))
    answers = best_answers(PROPERTY_V1, gas_safety_certificate="no", escape_routes="no")

    result = score(PROPERTY_V1, answers, step, category="ring_fenced_shared")

    assert not result.passed
    by_id = {i.id: i for i in result.items}
    assert by_id["escape_routes"].explanation == (
        "Escape routes: answered no; critical from 4 January 2027 — fails the assessment"
    )
    assert by_id["gas_safety_certificate"].explanation == (
        "Gas safety certificate: answered no; critical — fails the assessment"
    )
    assert result.failed_critical_items == ("escape_routes", "gas_safety_certificate")
    assert result.reasons[:2] == (
        "Critical item failed: Escape routes (critical from 4 January 2027)",
        "Critical item failed: Gas safety certificate",
    )


def test_critical_since_is_the_start_of_an_unbroken_run() -> None:
    step = step_on(PROPERTY_V1, date(2027, 8, 1))
    result = score(PROPERTY_V1, best_answers(PROPERTY_V1), step, category="single_occupancy")
    by_id = {i.id: i for i in result.items}
    assert by_id["escape_routes"].critical_from == "2027-01-04"
    assert by_id["damp_and_mould"].critical_from == "2027-07-05"
    assert (
        by_id["fire_risk_assessment"].critical
        and by_id["fire_risk_assessment"].critical_from is None
    )
    assert by_id["damp_and_mould"].explanation == (
        "Damp and mould: graded 3 of 3 (pass grade 2); passed, 9 of 9 points "
        "(critical from 5 July 2027)"
    )


def test_explanations_for_each_answer_type() -> None:
    step = step_on(FILES_V1, date(2026, 12, 1))
    answers = best_answers(
        FILES_V1,
        dbs_age_months=40,
        supervision_recorded=1,
        reasons_for_leaving_checked="not_applicable",
        identity_checked=None,
        interview_record="maybe",
    )
    result = score(FILES_V1, answers, step, file_type="staff")
    lines = {i.id: i.explanation for i in result.items}
    assert lines["dbs_age_months"] == (
        "Age of DBS check: 40 months (passes from 0 to 36 months); failed, 0 of 6 points"
    )
    assert lines["supervision_recorded"] == (
        "Supervision: graded 1 of 3 (pass grade 2); failed, 2 of 6 points"
    )
    assert lines["reasons_for_leaving_checked"] == (
        "Reasons for leaving care work verified: answered not applicable; left out of the score"
    )
    assert lines["identity_checked"] == "Identity: not answered; failed, 0 of 6 points"
    assert lines["interview_record"] == (
        "Interview record: answer 'maybe' cannot be used (expected yes or no); "
        "failed, 0 of 3 points"
    )
    assert lines["staff_file_notes"] == "Staff file notes: notes recorded (free text, not scored)"
    assert set(result.failed_items) == {
        "dbs_age_months",
        "supervision_recorded",
        "identity_checked",
        "interview_record",
    }


def test_not_applicable_leaves_the_item_out_of_the_denominator() -> None:
    step = step_on(PROPERTY_V1, date(2026, 12, 1))
    answered = score(PROPERTY_V1, best_answers(PROPERTY_V1), step, category="ring_fenced_shared")
    left_out = score(
        PROPERTY_V1,
        best_answers(PROPERTY_V1, hmo_licence="not_applicable"),
        step,
        category="ring_fenced_shared",
    )
    hmo = PROPERTY_V1.item("hmo_licence")
    assert left_out.possible == answered.possible - hmo.max_points
    assert left_out.earned == answered.earned - hmo.max_points
    assert left_out.percent == "100.0"


def test_not_applicable_is_invalid_where_the_item_does_not_allow_it() -> None:
    step = step_on(PROPERTY_V1, date(2026, 12, 1))
    answers = best_answers(PROPERTY_V1, safeguarding_lead="not_applicable")
    result = score(PROPERTY_V1, answers, step, category="single_occupancy")
    item = next(i for i in result.items if i.id == "safeguarding_lead")
    assert item.outcome == Outcome.INVALID
    assert not result.passed and result.failed_critical_items == ("safeguarding_lead",)
    assert answer_problem(PROPERTY_V1.item("safeguarding_lead"), "not_applicable") == (
        "this item cannot be answered not applicable"
    )


def test_unanswered_item_counts_as_failed() -> None:
    step = step_on(PROPERTY_V1, date(2026, 12, 1))
    answers = best_answers(PROPERTY_V1)
    del answers["heating"]
    result = score(PROPERTY_V1, answers, step, category="single_occupancy")
    assert "heating" in result.failed_items
    assert result.possible - result.earned == PROPERTY_V1.item("heating").max_points


@pytest.mark.parametrize(
    ("category", "asked", "not_asked"),
    [
        ("single_occupancy", "bedroom_locks", "hmo_licence"),
        ("supported_lodgings", "visitor_policy", "hmo_licence"),
        ("ring_fenced_shared", "hmo_licence", None),
    ],
)
def test_items_that_do_not_apply_to_the_category_are_left_out(
    category: str, asked: str, not_asked: str | None
) -> None:
    step = step_on(PROPERTY_V1, date(2026, 12, 1))
    answers = best_answers(PROPERTY_V1, hmo_licence="no")
    result = score(PROPERTY_V1, answers, step, category=category)
    ids = {i.id for i in result.items}
    assert asked in ids
    if not_asked:
        assert not_asked not in ids
        assert result.passed  # the "no" to a question not asked does not count


@pytest.mark.parametrize(
    ("file_type", "asked", "not_asked"),
    [
        ("staff", "enhanced_dbs_barred_list", "placement_plan"),
        ("young_person", "placement_plan", "enhanced_dbs_barred_list"),
    ],
)
def test_file_type_chooses_the_items(file_type: str, asked: str, not_asked: str) -> None:
    step = step_on(FILES_V1, date(2026, 12, 1))
    result = score(FILES_V1, best_answers(FILES_V1), step, file_type=file_type)
    ids = {i.id for i in result.items}
    assert asked in ids and not_asked not in ids
    assert result.passed


@pytest.mark.parametrize(
    ("version", "context"),
    [
        (PROPERTY_V1, {}),
        (PROPERTY_V1, {"category": "hostel"}),
        (PROPERTY_V1, {"file_type": "staff"}),
        (FILES_V1, {"category": "single_occupancy"}),
        (FILES_V1, {}),
        (DUE_DILIGENCE_V1, {"category": "single_occupancy"}),
    ],
)
def test_scoring_needs_the_right_context(
    version: ChecklistVersion, context: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="scored"):
        score(version, {}, version.schedule[0], **context)


def test_pass_mark_is_met_exactly_at_the_boundary() -> None:
    version, step = tiny(pass_mark=70)
    seven = {f"q{n}": "yes" if n < 7 else "no" for n in range(10)}
    six = {f"q{n}": "yes" if n < 6 else "no" for n in range(10)}
    assert passes(version, seven, step)  # 21 of 30 points: exactly 70%
    result = score(version, six, step)
    assert not result.passed
    assert (result.earned, result.possible, result.percent) == (18, 30, "60.0")
    assert result.reasons == ("Overall mark 60.0% is below the pass mark of 70%",)


def test_percent_is_rounded_down_so_a_shown_pass_mark_is_really_met() -> None:
    assert percent(2, 3) == "66.6"
    assert percent(2099, 3000) == "69.9"  # 69.97%: showing 70.0 would contradict a fail at 70
    assert percent(0, 0) is None


def test_section_minimum_fails_an_otherwise_passing_assessment() -> None:
    version, step = tiny(pass_mark=50, minimum=80)
    answers = {f"q{n}": "yes" if n < 7 else "no" for n in range(10)}
    result = score(version, answers, step)
    assert not result.passed
    assert result.sections[0].passed is False
    assert result.reasons == ("Only scored 70.0%, below the section minimum of 80%",)
    assert summarise(version, answers, step).sections_below == ("only",)


def test_nothing_scored_cannot_pass() -> None:
    step = step_on(DUE_DILIGENCE_V1, date(2026, 12, 1))
    answers = {i.id: "not_applicable" for i in DUE_DILIGENCE_V1.items if i.allow_not_applicable}
    version = ChecklistVersion.from_dict(
        DUE_DILIGENCE_V1.to_dict()
        | {
            "items": [
                i.to_dict("due_diligence") for i in DUE_DILIGENCE_V1.items if i.allow_not_applicable
            ],
            "sections": [
                s.to_dict()
                for s in DUE_DILIGENCE_V1.sections
                if s.id in {"company_and_finance", "people_and_registration"}
            ],
            "schedule": [step.to_dict() | {"section_minimums": {}}],
        }
    )
    result = score(version, answers, version.schedule[0])
    assert not result.passed and result.percent is None
    assert result.reasons[-1].startswith("Nothing was scored")


@pytest.mark.parametrize(
    ("item_id", "value", "problem"),
    [
        ("fire_doors", True, "expected a grade from 0 to 3"),
        ("fire_doors", 2.0, "expected a grade from 0 to 3"),
        ("fire_doors", 4, "expected a grade from 0 to 3"),
        ("fire_doors", 2, None),
        ("bedroom_size", "7", "expected a number from 0 to 10,000 m² with up to 2 decimal places"),
        ("bedroom_size", float("nan"),
         "expected a number from 0 to 10,000 m² with up to 2 decimal places"),
        ("bedroom_size", 6.5, None),
        ("bedroom_size", -5, "expected a number from 0 to 10,000 m² with up to 2 decimal places"),
        ("bedroom_size", 6.505,
         "expected a number from 0 to 10,000 m² with up to 2 decimal places"),
        ("bedroom_size", 1e9, "expected a number from 0 to 10,000 m² with up to 2 decimal places"),
        ("electrical_safety_eicr", 999, None),  # "enter 999" for an unsatisfactory report
        ("electrical_safety_eicr", -5, "expected a whole number from 0 to 1,200 months"),
        ("electrical_safety_eicr", 2.5, "expected a whole number from 0 to 1,200 months"),
        ("gas_safety_certificate", "YES", "expected yes or no or not applicable"),
        ("gas_safety_certificate", "not_applicable", None),
        ("gas_safety_certificate", None, None),
        ("leadership_notes", 42, None),  # free text is never scored, so never invalid
    ],
)
def test_answer_problem(item_id: str, value: Any, problem: str | None) -> None:
    assert answer_problem(PROPERTY_V1.item(item_id), value) == problem


def test_step_naming_unknown_items_is_refused() -> None:
    step = ThresholdStep(date(2027, 1, 1), 50, critical_items=("no_such_item",))
    with pytest.raises(ValueError, match="no_such_item"):
        score(PROPERTY_V1, {}, step, category="single_occupancy")


def test_result_pins_version_step_and_fingerprint_and_survives_json() -> None:
    compiled = compile_checklist(PROPERTY_V1)
    step = step_on(PROPERTY_V1, date(2027, 5, 1))
    answers = best_answers(
        PROPERTY_V1, fire_doors=1, bedroom_size=6.0, hmo_licence="not_applicable"
    )
    result = compiled.score(answers, step, category="non_ring_fenced_shared")
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["kind"] == "property_inspection" and stored["version"] == 1
    assert stored["fingerprint"] == compiled.fingerprint
    assert stored["step"]["effective_from"] == "2027-04-05"
    assert ScoreResult.from_dict(stored) == result
    rescored = compile_checklist(PROPERTY_V1).score(
        answers, step, category="non_ring_fenced_shared"
    )
    assert rescored.to_dict() == stored
