"""Re-deriving every stored assessment: its answers scored again against the checklist version
and threshold step it is pinned to must give exactly what was stored (result, pass or fail,
percentage). A difference means a stored record was changed, or scoring changed under a
published version; either must be looked into before the decision it supports is relied on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from ..checklists.scoring import CompiledChecklist, compile_checklist
from ..extensions import db
from .models import Assessment, PublishedChecklist

BATCH = 500


@dataclass(frozen=True)
class Difference:
    assessment_id: int
    case_id: int | None
    what: str  # what differs, or why it could not be scored again

    def message(self) -> str:
        on = f" (application {self.case_id})" if self.case_id is not None else ""
        return f"Assessment {self.assessment_id}{on}: {self.what}"


@dataclass(frozen=True)
class Verification:
    checked: int
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences

    def message(self) -> str:
        if self.ok:
            return f"All {self.checked} assessments re-scored: every stored result agrees."
        return f"{len(self.differences)} of {self.checked} assessments differ when re-scored."


def _same(stored, derived) -> bool:
    """Equal as stored JSON: the database keeps the result as JSON."""
    return json.dumps(stored, sort_keys=True) == json.dumps(
        json.loads(json.dumps(derived)), sort_keys=True)


def _assessments() -> Iterator[Assessment]:
    last = 0
    while True:
        batch = db.session.scalars(sa.select(Assessment).where(Assessment.id > last)
                                   .order_by(Assessment.id).limit(BATCH)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id
        db.session.expunge_all()  # bounded memory over any number of assessments


def difference(assessment: Assessment, compiled: CompiledChecklist,
               published: PublishedChecklist) -> Difference | None:
    """What differs between ``assessment`` as stored and its answers scored again."""
    def differs(what: str) -> Difference:
        return Difference(assessment.id, assessment.case_id, what)

    try:
        step = published.step(assessment.step_effective_from)
    except LookupError:
        return differs(f"cannot be re-scored: {published.kind} v{published.version} has no "
                       f"threshold step from {assessment.step_effective_from:%-d %B %Y}")
    try:
        result = compiled.score(assessment.answers, step, category=assessment.category,
                                file_type=assessment.file_type)
    except (ValueError, KeyError, TypeError) as error:
        return differs(f"cannot be re-scored: {error}")
    again = "scoring its answers again"
    if result.passed != assessment.passed:
        return differs(f"stored as {'passed' if assessment.passed else 'failed'}, but "
                       f"{again} {'passes' if result.passed else 'fails'}")
    if result.percent != assessment.percent:
        return differs(f"stored as {assessment.percent}%, but {again} gives {result.percent}%")
    if not _same(assessment.result, result.to_dict()):
        return differs(f"the stored marks differ from {again}")
    return None


def verify_assessments() -> Verification:
    """Every stored assessment re-scored under its pinned version and step."""
    versions: dict[int, tuple[PublishedChecklist, CompiledChecklist]] = {}
    checked, differences = 0, []
    for assessment in _assessments():
        if assessment.checklist_version_id not in versions:
            published = db.session.get(PublishedChecklist, assessment.checklist_version_id)
            versions[assessment.checklist_version_id] = (
                published, compile_checklist(published.checklist))
        published, compiled = versions[assessment.checklist_version_id]
        checked += 1
        found = difference(assessment, compiled, published)
        if found is not None:
            differences.append(found)
    return Verification(checked, differences)
