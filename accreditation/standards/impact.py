"""Impact previews and gap reports: stored answers re-scored against a stricter standard.

Both ask the pure engine; neither changes anything. The population previewed is what current
accreditation rests on (``accredited_population``): who is accredited today, and on what
answers.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..cases.models import Case, CaseProperty
from ..checklists import (
    ChecklistVersion,
    StepScorer,
    ThresholdStep,
    compile_checklist,
    step_in_force,
)
from ..councils import Council
from ..extensions import db
from ..providers.models import CATEGORY_LABELS, Organisation, Property
from ..workflow import IN_FORCE
from .models import Assessment, PublishedChecklist
from .operations import current_checklist, upcoming_steps

NOT_PROPERTY_SPECIFIC = "Not property-specific"


@dataclass
class ImpactReport:
    kind: str
    version: int
    title: str
    step: ThresholdStep
    assessed: int = 0
    failing: int = 0
    organisations_affected: set[int] = field(default_factory=set)
    by_local_authority: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    by_item: Counter = field(default_factory=Counter)
    item_titles: dict[str, str] = field(default_factory=dict)
    failing_assessment_ids: list[int] = field(default_factory=list)

    def top_items(self, limit: int = 10) -> list[tuple[str, str, int]]:
        return [(item_id, self.item_titles.get(item_id, item_id), count)
                for item_id, count in self.by_item.most_common(limit)]

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "version": self.version,
            "step": self.step.to_dict(),
            "assessed": self.assessed,
            "failing": self.failing,
            "organisations_affected": len(self.organisations_affected),
            "by_local_authority": dict(sorted(self.by_local_authority.items())),
            "by_category": dict(sorted(self.by_category.items())),
            "top_failing_items": [
                {"id": item_id, "title": title, "failures": count}
                for item_id, title, count in self.top_items()
            ],
        }


def accredited_population(kind: str) -> list[tuple]:
    """The stored answers that accreditation in force rests on, for ``kind``.

    For property inspections: the pinned assessment of every accredited property of an
    application whose accreditation is in force (accredited or reassessment due). For due
    diligence and file sampling: the latest assessment of each subject (the organisation, or
    each sampled file) of those applications. Rows of (assessment id, organisation id,
    category, file type, answers, local authority name), in the order of the assessments.

    One query of just these columns, without ORM objects; the answers arrive as JSON text and
    are decoded in one go (the decoder then shares one string for each item id across rows).
    """
    columns = (Assessment.id, Assessment.organisation_id, Assessment.category,
               Assessment.file_type, sa.cast(Assessment.answers, sa.Text), Council.name)
    if kind == "property_inspection":
        query = (
            sa.select(*columns)
            .join(CaseProperty, CaseProperty.assessment_id == Assessment.id)
            .join(Case, Case.id == CaseProperty.case_id)
            .where(CaseProperty.accredited.is_(True), Case.status.in_(IN_FORCE))
        )
    else:
        ranked = (
            sa.select(
                Assessment.id,
                sa.func.row_number().over(
                    partition_by=(Assessment.case_id, Assessment.subject_ref),
                    order_by=(Assessment.assessed_on.desc(), Assessment.id.desc()),
                ).label("rank"),
            ).join(Case, Case.id == Assessment.case_id)
            .where(Assessment.kind == kind, Case.status.in_(IN_FORCE)).subquery()
        )
        query = (sa.select(*columns).join(ranked, ranked.c.id == Assessment.id)
                 .where(ranked.c.rank == 1))
    rows = db.session.connection().execute(
        query.outerjoin(Property, Property.id == Assessment.property_id)
        .outerjoin(Council, Council.id == Property.local_authority_id)
        .order_by(Assessment.id)).all()
    answers = json.loads("[" + ",".join(row[4] for row in rows) + "]")
    return [(row[0], row[1], row[2], row[3], decoded, row[5])
            for row, decoded in zip(rows, answers, strict=True)]


def preview_impact(
    kind: str, *, step: ThresholdStep | None = None, as_of: date | None = None,
    checklist: ChecklistVersion | None = None,
) -> ImpactReport:
    """Who, of those accredited today, would fall below ``step`` (or the step in force on
    ``as_of``) of ``checklist`` (default: the current published version of ``kind``)."""
    checklist = checklist or current_checklist(kind).checklist
    if step is None:
        if as_of is None:
            raise ValueError("give a step or a date")
        step = step_in_force(checklist.schedule, as_of)
        if step is None:
            raise LookupError(f"{checklist.title} v{checklist.version} has no step in force on "
                              f"{as_of.isoformat()}")
    compiled = compile_checklist(checklist)
    report = ImpactReport(kind=kind, version=checklist.version, title=checklist.title, step=step,
                          item_titles={item.id: item.title for item in checklist.items})
    category_labels = {category.value: label for category, label in CATEGORY_LABELS.items()}
    scorers: dict[tuple[str | None, str | None], StepScorer] = {}
    for assessment_id, organisation_id, category, file_type, answers, authority in (
            accredited_population(kind)):
        report.assessed += 1
        scorer = scorers.get((category, file_type))
        if scorer is None:
            scorer = scorers[(category, file_type)] = compiled.scorer(
                step, category=category, file_type=file_type)
        summary, failed = scorer(answers)
        if summary.passed:
            continue
        failed_items = scorer.failed_items(failed)
        report.failing += 1
        report.failing_assessment_ids.append(assessment_id)
        report.organisations_affected.add(organisation_id)
        report.by_local_authority[authority or NOT_PROPERTY_SPECIFIC] += 1
        report.by_category[category_labels.get(category, NOT_PROPERTY_SPECIFIC)] += 1
        report.by_item.update(failed_items)
    return report


@dataclass(frozen=True)
class Gap:
    """What one assessment would fail under the next step, and what to fix."""

    assessment: Assessment
    subject: str
    version: int
    step: ThresholdStep
    passes: bool
    reasons: tuple[str, ...]
    items_to_fix: tuple[tuple[str, str], ...]  # (title, explanation)


def gap_report(organisation: Organisation, today: date) -> list[Gap]:
    """For an organisation's latest assessment of each subject: the first coming threshold
    step it would not meet (else the next step), from which date, and the items to fix."""
    gaps = []
    latest: dict[tuple, Assessment] = {}
    for assessment in db.session.scalars(
            sa.select(Assessment).where(Assessment.organisation_id == organisation.id)
            .order_by(Assessment.assessed_on, Assessment.id)):
        latest[(assessment.kind, assessment.property_id, assessment.subject_ref)] = assessment
    for assessment in latest.values():
        coming = upcoming_steps(assessment.kind, today)
        if not coming:
            continue
        # The first coming step the assessment would not meet, else the next one.
        scored = []
        for record, step in coming:
            result = compile_checklist(record.checklist).score(
                assessment.answers, step, category=assessment.category,
                file_type=assessment.file_type)
            scored.append((record, step, result))
            if not result.passed:
                break
        record, step, result = scored[-1] if not scored[-1][2].passed else scored[0]
        checklist = record.checklist
        failed = {item.id: item for item in result.items}
        gaps.append(Gap(
            assessment=assessment,
            subject=_subject(assessment),
            version=checklist.version,
            step=step,
            passes=result.passed,
            reasons=result.reasons,
            items_to_fix=tuple((failed[i].title, failed[i].explanation)
                               for i in result.failed_items),
        ))
    return sorted(gaps, key=lambda gap: (gap.passes, gap.subject))


def _subject(assessment: Assessment) -> str:
    if assessment.home is not None:
        return assessment.home.name
    if assessment.subject_ref:
        return f"File {assessment.subject_ref}"
    return "Your organisation"



# --- the history of the standard ----------------------------------------------------------------

SUBJECTS = {
    "due_diligence": "providers",
    "file_sampling": "sampled files",
    "property_inspection": "properties",
}


@dataclass(frozen=True)
class StepHistory:
    """One threshold step of a published version and, once it has taken effect, how many met it.

    On the day: of the latest assessment of each subject on or before the day the step took
    effect, how many pass it. Now: of what accreditation in force rests on today
    (``accredited_population``), how many pass it. Both re-score the stored answers under
    the step.
    """

    step: ThresholdStep
    in_force: bool
    met_on_the_day: int = 0
    assessed_on_the_day: int = 0
    meet_now: int = 0
    assessed_now: int = 0


@dataclass(frozen=True)
class VersionHistory:
    record: PublishedChecklist
    subjects: str
    steps: tuple[StepHistory, ...]


def standard_history(today: date) -> list[VersionHistory]:
    """Every published version (retired ones too) by kind and version, with every step and,
    for each step that has taken effect by ``today``, how many met it on the day and meet it now.
    """
    records = db.session.scalars(
        sa.select(PublishedChecklist).options(sa.orm.selectinload(PublishedChecklist.published_by))
        .order_by(PublishedChecklist.kind, PublishedChecklist.version)).all()
    stored: dict[str, list] = {}
    accredited: dict[str, list] = {}
    history = []
    for record in records:
        kind = record.kind
        compiled = compile_checklist(record.checklist)
        steps = []
        for step in record.checklist.schedule:
            day = step.effective_from
            if day > today:
                steps.append(StepHistory(step, in_force=False))
                continue
            if kind not in stored:
                stored[kind] = _assessments_over_time(kind)
                accredited[kind] = [(category, file_type, answers) for
                                    _, _, category, file_type, answers, _ in
                                    accredited_population(kind)]
            latest: dict[tuple, tuple] = {}
            for subject, assessed_on, category, file_type, answers in stored[kind]:
                if assessed_on > day:
                    break
                latest[subject] = (category, file_type, answers)
            steps.append(StepHistory(
                step, in_force=True,
                met_on_the_day=_passing(compiled, step, latest.values()),
                assessed_on_the_day=len(latest),
                meet_now=_passing(compiled, step, accredited[kind]),
                assessed_now=len(accredited[kind])))
        history.append(VersionHistory(record, SUBJECTS[kind], tuple(steps)))
    return history


def _assessments_over_time(kind: str) -> list[tuple]:
    """(subject, assessed on, category, file type, answers) of every assessment of ``kind``,
    oldest first (the later of two on one day last)."""
    rows = db.session.execute(
        sa.select(Assessment.organisation_id, Assessment.property_id, Assessment.subject_ref,
                  Assessment.assessed_on, Assessment.category, Assessment.file_type,
                  Assessment.answers)
        .where(Assessment.kind == kind)
        .order_by(Assessment.assessed_on, Assessment.id))
    return [((organisation_id, property_id, subject_ref), assessed_on, category, file_type,
             answers)
            for organisation_id, property_id, subject_ref, assessed_on, category, file_type,
            answers in rows]


def _passing(compiled, step: ThresholdStep, rows) -> int:
    return sum(1 for category, file_type, answers in rows
               if compiled.passes(answers, step, category=category, file_type=file_type))
