"""Micro-benchmark: fast re-scoring of stored assessments, as the impact preview does.

Scores 20,000 assessments of a 60-item checklist with the fast path (``summarise``) and, for
comparison, a sample with the full path (``score``, with explanations). The target is under 2
seconds for the fast path in CPython on a slow 2-core machine. Prints a JSON object as its last
line.

    python bench/checklist_scoring.py [--assessments 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from dataclasses import replace
from datetime import date

from accreditation.checklists import (
    CATEGORIES,
    NOT_APPLICABLE,
    ChecklistVersion,
    Item,
    compile_checklist,
    latest_version,
    score,
    step_in_force,
)


def _answer(item: Item, rng: random.Random) -> object:
    roll = rng.random()
    if roll < 0.03:
        return None  # not answered
    if item.allow_not_applicable and roll < 0.10:
        return NOT_APPLICABLE
    if item.answer_type == "yes_no":
        return "yes" if rng.random() < 0.85 else "no"
    if item.answer_type == "graded":
        return rng.choice((1, 2, 2, 3, 3, 3))
    if item.answer_type == "number":
        anchor = item.pass_max if item.pass_max is not None else item.pass_min
        return round(float(anchor) * rng.uniform(0.5, 1.5), 2)
    return "notes"


def _sixty_item_version(version: ChecklistVersion, category: str) -> ChecklistVersion:
    """The shipped checklist's scored items for ``category``, topped up to exactly 60 by copies
    (with new ids) so the measure matches the target: 20,000 assessments of 60 items."""
    scored = [i for i in version.items if i.scored and category in i.applies_to]
    items = list(scored[:60])
    copy = 0
    while len(items) < 60:
        source = scored[copy % len(scored)]
        items.append(replace(source, id=f"{source.id}_copy{copy}", critical=False))
        copy += 1
    return replace(version, items=tuple(items))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assessments", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    category = "ring_fenced_shared"
    assert category in CATEGORIES
    version = _sixty_item_version(latest_version("property_inspection"), category)
    items = version.items
    step = step_in_force(version.schedule, date(2027, 10, 4))
    assert step is not None
    rng = random.Random(args.seed)
    stored = [{i.id: _answer(i, rng) for i in items} for _ in range(args.assessments)]

    started = time.perf_counter()
    compiled = compile_checklist(version)
    compiled.plan(step, category=category)
    compile_seconds = time.perf_counter() - started

    started = time.perf_counter()
    passed = sum(compiled.summarise(a, step, category=category).passed for a in stored)
    fast_seconds = time.perf_counter() - started
    fast_seconds_per = fast_seconds / args.assessments

    sample = stored[: max(1, args.assessments // 20)]
    started = time.perf_counter()
    for answers in sample:
        compiled.score(answers, step, category=category)
    full_seconds_per = (time.perf_counter() - started) / len(sample)

    # The two paths must agree; a benchmark of wrong answers is worthless.
    for answers in sample[:200]:
        assert score(compiled, answers, step, category=category).passed == compiled.passes(
            answers, step, category=category
        )

    print(
        json.dumps(
            {
                "benchmark": "checklist_scoring",
                "python": platform.python_version(),
                "implementation": platform.python_implementation(),
                "assessments": args.assessments,
                "items_per_assessment": len(items),
                "passed": passed,
                "compile_seconds": round(compile_seconds, 4),
                "fast_seconds": round(fast_seconds, 4),
                "fast_microseconds_per_assessment": round(fast_seconds_per * 1e6, 2),
                "full_microseconds_per_assessment": round(full_seconds_per * 1e6, 2),
                "full_over_fast_ratio": round(full_seconds_per / fast_seconds_per, 1),
                "target_seconds": 2.0,
                "within_target": fast_seconds < 2.0,
            }
        )
    )


if __name__ == "__main__":
    main()
