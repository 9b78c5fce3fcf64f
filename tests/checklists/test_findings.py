"""Findings and repeat findings agree with the scoring engine, for any answers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accreditation.checklists import compile_checklist, shipped_versions
from accreditation.checklists.findings import (
    answered_findings,
    repeat_findings,
    stored_findings,
)

from .helpers import answers_for

VERSION = shipped_versions()[("property_inspection", 1)]
COMPILED = compile_checklist(VERSION)
STEP = VERSION.schedule[-1]
CATEGORY = "ring_fenced_shared"
ASKED = COMPILED.plan(STEP, category=CATEGORY).asked


def scored(answers):
    return COMPILED.score(answers, STEP, category=CATEGORY).to_dict()


@settings(max_examples=60, deadline=None)
@given(answers_for(VERSION))
def test_a_stored_result_finds_exactly_the_items_the_engine_failed(answers):
    result = scored(answers)
    assert stored_findings(result) == set(result["failed_items"])


@settings(max_examples=60, deadline=None)
@given(answers_for(VERSION))
def test_findings_so_far_are_the_answered_items_that_fail(answers):
    result = scored(answers)
    found = answered_findings(ASKED, answers)
    outcome = {item["id"]: item["outcome"] for item in result["items"]}
    for item in ASKED:
        given_answer = answers.get(item.id) not in (None, "")
        assert (item.id in found) == (given_answer and outcome[item.id] in ("failed", "invalid"))
    assert found <= stored_findings(result)


@settings(max_examples=60, deadline=None)
@given(answers_for(VERSION), answers_for(VERSION),
       st.sets(st.sampled_from([item.id for item in ASKED])))
def test_a_repeat_finding_failed_both_times_and_only_those(before, now, new_items):
    previous = scored(before)
    # Items new in this version were not in the last result at all.
    previous = {**previous, "items": [i for i in previous["items"] if i["id"] not in new_items]}
    current = stored_findings(scored(now))
    repeats = repeat_findings(stored_findings(previous), current)
    assert repeats == {i["id"] for i in previous["items"]
                       if i["outcome"] in ("failed", "not_answered", "invalid")} & current
    assert not repeats & new_items
    assert repeat_findings(stored_findings(None), current) == set()
