"""Benchmark: the impact preview over 20,000 stored assessments of 60 items.

Builds a throwaway embedded (SQLite) database through the real migrations, publishes a
60-item property inspection checklist, stores 20,000 scored assessments of as many properties
(each provider accredited for the properties that passed), then times ``preview_impact`` for
the strictest scheduled step. For comparison it times, in the
same run, the naive way (load every assessment as an object and fully re-score it) on a sample,
and checks both give the same answer. Target: the preview in under 1 second on a 2-core
machine (the median of ``--repeat`` runs). The last line printed is one JSON object with the
figures and the target.

    python bench/checklist_impact.py [--assessments 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from checklist_scoring import _sixty_item_version  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from accreditation import create_app  # noqa: E402
from accreditation.cases.models import Case, CaseProperty, InspectionOutcome  # noqa: E402
from accreditation.checklists import (  # noqa: E402
    CATEGORIES,
    compile_checklist,
    fingerprint,
    shipped_versions,
)
from accreditation.councils import Council  # noqa: E402
from accreditation.demo_cases import plausible_answers  # noqa: E402
from accreditation.extensions import db  # noqa: E402
from accreditation.providers.models import Organisation, Property  # noqa: E402
from accreditation.standards.impact import preview_impact  # noqa: E402
from accreditation.standards.models import Assessment, PublishedChecklist  # noqa: E402
from accreditation.workflow import CaseStatus  # noqa: E402

TARGET_SECONDS = 1.0
ASSESSED_ON = date(2026, 10, 1)


def build(count: int, seed: int) -> tuple[int, float]:
    rng = random.Random(seed)
    base = shipped_versions()[("property_inspection", 1)]
    # 60 items that all apply to every category, so every assessment really has 60.
    sixty = _sixty_item_version(base, "single_occupancy")
    checklist = replace(sixty, items=tuple(replace(item, applies_to=CATEGORIES)
                                            for item in sixty.items))
    record = PublishedChecklist(kind="property_inspection", version=checklist.version,
                                title=checklist.title, fingerprint=fingerprint(checklist),
                                definition=checklist.to_dict())
    db.session.add(record)
    db.session.flush()
    councils = [Council(name=f"Council {n}", ons_code=f"E09{n:06d}") for n in range(30)]
    db.session.add_all(councils)
    db.session.flush()
    organisation_rows = [{"id": n + 1, "name": f"Provider {n}", "company_number": f"{n:08d}",
                          "created_at": db.func.now()} for n in range(count // 10)]
    db.session.execute(sa.insert(Organisation).values(
        [{k: v for k, v in row.items() if k != "created_at"} for row in organisation_rows]))
    compiled = compile_checklist(checklist)
    step = checklist.schedule[0]
    property_rows, assessment_rows = [], []
    started = time.perf_counter()
    for n in range(count):
        category = rng.choice(CATEGORIES)
        property_rows.append({
            "id": n + 1, "organisation_id": n // 10 + 1, "name": f"House {n}",
            "address_line_1": f"{n} Bench Street", "town": "London", "postcode": "N1 9GU",
            "local_authority_id": councils[n % len(councils)].id, "category": category,
            "bed_spaces": 2, "age_min": 16, "age_max": 25, "who_for": "Care leavers"})
        # Mostly providers meeting today's standard, as on a real register.
        answers = plausible_answers(checklist, rng, rng.uniform(0.9, 1.0), category=category)
        result = compiled.score(answers, step, category=category)
        assessment_rows.append({
            "id": n + 1, "checklist_version_id": record.id, "kind": "property_inspection",
            "step_effective_from": step.effective_from, "organisation_id": n // 10 + 1,
            "property_id": n + 1, "category": category, "answers": answers,
            "result": result.to_dict(), "passed": result.passed, "percent": result.percent,
            "assessed_on": ASSESSED_ON})
    db.session.execute(sa.insert(Property), property_rows)
    db.session.execute(sa.insert(Assessment), assessment_rows)
    # Every provider holds an accreditation in force, for the properties that passed.
    db.session.execute(sa.insert(Case), [{
        "id": org, "organisation_id": org, "status": CaseStatus.ACCREDITED,
        "accredited_on": ASSESSED_ON, "expires_on": date(2027, 10, 1)}
        for org in range(1, count // 10 + 1)])
    db.session.execute(sa.insert(CaseProperty), [{
        "case_id": row["organisation_id"], "property_id": row["property_id"],
        "assessment_id": row["id"], "accredited": row["passed"],
        "outcome": InspectionOutcome.PASSED if row["passed"] else InspectionOutcome.FAILED}
        for row in assessment_rows])
    db.session.commit()
    return record.id, time.perf_counter() - started


def naive_failing(sample_size: int) -> tuple[int, int, float]:
    """The slow, obvious way on a sample: ORM objects, full scores with explanations."""
    started = time.perf_counter()
    records = db.session.scalars(
        sa.select(Assessment).order_by(Assessment.id).limit(sample_size)).all()
    checklist = records[0].checklist_version.checklist
    step = checklist.schedule[-1]
    failing = sum(
        1 for a in records
        if a.passed and not compile_checklist(checklist).score(
            a.answers, step, category=a.category).passed)
    return failing, sum(1 for a in records if a.passed), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assessments", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.sqlite'}"
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            _, build_seconds = build(args.assessments, args.seed)
            checklist = db.session.scalar(sa.select(PublishedChecklist)).checklist
            strictest = checklist.schedule[-1]
            timings = []
            for _ in range(args.repeat):
                db.session.expire_all()
                started = time.perf_counter()
                report = preview_impact("property_inspection", step=strictest,
                                        checklist=checklist)
                timings.append(time.perf_counter() - started)
            sample = min(2_000, args.assessments)
            naive_fail, naive_population, naive_seconds = naive_failing(sample)
            naive_per = naive_seconds / sample
            fast_per = statistics.median(timings) / args.assessments
            db.engine.dispose()
    impact_seconds = statistics.median(timings)
    print(f"stored {args.assessments} assessments of {len(checklist.items)} items "
          f"in {build_seconds:.1f} s (not timed)")
    print(f"impact preview (step from {strictest.effective_from}): {report.failing} of "
          f"{report.assessed} would fail; median {impact_seconds:.3f} s over {args.repeat} runs")
    print(f"naive re-scoring of {sample}: {naive_seconds:.2f} s "
          f"({naive_per * 1e6:.0f} µs per assessment vs {fast_per * 1e6:.0f} µs)")
    print(json.dumps({
        "benchmark": "checklist_impact",
        "backend": "sqlite",
        "assessments": args.assessments,
        "items_per_assessment": len(checklist.items),
        "assessed": report.assessed,
        "failing": report.failing,
        "impact_seconds": round(impact_seconds, 3),
        "impact_seconds_runs": [round(t, 3) for t in timings],
        "naive_microseconds_per_assessment": round(naive_per * 1e6, 1),
        "impact_microseconds_per_assessment": round(fast_per * 1e6, 1),
        "naive_over_impact_ratio": round(naive_per / fast_per, 1),
        "target_seconds": TARGET_SECONDS,
        "within_target": impact_seconds < TARGET_SECONDS,
    }))


if __name__ == "__main__":
    main()
