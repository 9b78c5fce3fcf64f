"""The last visit to a property: what its previous inspection found, for the next one.

The previous inspection of a property is the latest property-inspection assessment of the same
property recorded before the inspection in hand: before this round of inspection began (the
application's last change of status, as ``inspection_drafts`` counts rounds) while it is being
inspected, or before the assessment in hand once it is recorded. An assessment recorded again
on the same application before its status changed (the audit trail has each change) is the
same round of inspection, not an earlier visit.

Read-only: the inspection pages, check answers, the report and the case page ask here, and
``checklists.findings`` says which items are findings and repeat findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..audit import AuditEvent
from ..cases.models import CaseProperty, Condition, ConditionStatus
from ..checklists import Item
from ..checklists.findings import answered_findings, repeat_findings, stored_findings
from ..evidence.models import Evidence, EvidencePurpose
from ..extensions import db
from ..standards.models import Assessment
from ..workflow import TRANSITIONS
from .models import ChangeLogEntry, ChangeStatus
from .property_inspection import INSPECTABLE

KIND = "property_inspection"


@dataclass
class LastVisit:
    """What the previous inspection of a property found, item by item."""

    assessment: Assessment
    answers: dict[str, object]
    notes: dict[str, str]
    photos: dict[str, list[Evidence]]
    findings: frozenset[str]

    @property
    def assessed_on(self) -> date:
        return self.assessment.assessed_on


@dataclass
class Recheck:
    """An item to check again, and why (failed last time; named by open conditions)."""

    item: Item
    failed: bool
    conditions: list[Condition] = field(default_factory=list)


def current_assessment(link: CaseProperty) -> Assessment | None:
    """The assessment of the inspection in hand: this round's while the property is being
    inspected, else the one the application keeps for it."""
    assessment = link.assessment
    if assessment is None:
        return None
    case = link.case
    if case.status in INSPECTABLE and assessment.recorded_at < case.status_changed_at:
        return None  # an earlier round's: this round has not been scored yet
    return assessment


def previous_inspection(link: CaseProperty, of: Assessment | None = None) -> Assessment | None:
    """The latest inspection of this property before the one in hand (see the module), or
    before the recorded inspection ``of``."""
    query = sa.select(Assessment).where(Assessment.kind == KIND,
                                        Assessment.property_id == link.property_id)
    current = of or current_assessment(link)
    if current is None:
        return db.session.scalar(
            query.where(Assessment.recorded_at < link.case.status_changed_at)
            .order_by(Assessment.recorded_at.desc(), Assessment.id.desc()).limit(1))
    earlier = db.session.scalars(
        query.where(Assessment.id != current.id, Assessment.recorded_at <= current.recorded_at)
        .order_by(Assessment.recorded_at.desc(), Assessment.id.desc()))
    return next((assessment for assessment in earlier
                 if not _same_round(assessment, current)), None)


def _same_round(earlier: Assessment, later: Assessment) -> bool:
    """Whether ``earlier`` was recorded in the same round of inspection as ``later`` (the
    same application, which has not changed status in between): recorded again, not a visit
    of its own."""
    if earlier.case_id is None or earlier.case_id != later.case_id:
        return False
    moved = db.session.scalar(sa.select(sa.exists().where(
        AuditEvent.subject_type == "accreditation_case",
        AuditEvent.subject_id == str(later.case_id),
        AuditEvent.action.in_([f"case.{trigger}" for trigger in TRANSITIONS]),
        AuditEvent.occurred_at > earlier.recorded_at,
        AuditEvent.occurred_at <= later.recorded_at)))
    return not moved


def _notes(previous: Assessment) -> dict[str, str]:
    """item id -> the note kept with each answer of the previous inspection, as the tablet
    had it when the inspection was recorded."""
    link_id = db.session.scalar(sa.select(CaseProperty.id).where(
        CaseProperty.case_id == previous.case_id,
        CaseProperty.property_id == previous.property_id))
    if link_id is None:
        return {}
    notes: dict[str, str] = {}
    for change in db.session.scalars(
            sa.select(ChangeLogEntry)
            .where(ChangeLogEntry.case_property_id == link_id,
                   ChangeLogEntry.status == ChangeStatus.APPLIED,
                   ChangeLogEntry.received_at <= previous.recorded_at)
            .order_by(ChangeLogEntry.revision, ChangeLogEntry.id)):
        if change.note:
            notes[change.item_id] = change.note
        else:
            notes.pop(change.item_id, None)
    return notes


def _photos(previous: Assessment) -> dict[str, list[Evidence]]:
    photos: dict[str, list[Evidence]] = {}
    for record in db.session.scalars(
            sa.select(Evidence)
            .where(Evidence.case_id == previous.case_id,
                   Evidence.property_id == previous.property_id,
                   Evidence.item_id.is_not(None), Evidence.purpose == EvidencePurpose.PHOTO,
                   Evidence.created_at <= previous.recorded_at,
                   sa.or_(Evidence.superseded_at.is_(None),
                          Evidence.superseded_at > previous.recorded_at))
            .order_by(Evidence.id)):
        photos.setdefault(record.item_id, []).append(record)
    return photos


def last_visit(link) -> LastVisit | None:
    """The previous inspection of ``link``'s property, with its answers, notes, photos and
    findings; None for a sampled file or a property not inspected before."""
    if not isinstance(link, CaseProperty):
        return None
    previous = previous_inspection(link)
    if previous is None:
        return None
    return LastVisit(assessment=previous, answers=dict(previous.answers),
                     notes=_notes(previous), photos=_photos(previous),
                     findings=stored_findings(previous.result))


def open_conditions(link) -> dict[str, list[Condition]]:
    """item id -> the conditions not yet confirmed as met that name that item of this
    property, on any of its organisation's applications."""
    if not isinstance(link, CaseProperty):
        return {}
    named: dict[str, list[Condition]] = {}
    for condition in db.session.scalars(
            sa.select(Condition)
            .where(Condition.property_id == link.property_id, Condition.item_id.is_not(None),
                   Condition.status != ConditionStatus.CONFIRMED)
            .order_by(Condition.due_on, Condition.id)):
        named.setdefault(condition.item_id, []).append(condition)
    return named


def to_check_again(items: Iterable[Item], visit: LastVisit | None,
                   conditions: dict[str, list[Condition]]) -> list[Recheck]:
    """The items of this checklist that failed last time or are named by open conditions,
    in checklist order."""
    failed = visit.findings if visit else frozenset()
    return [Recheck(item, item.id in failed, conditions.get(item.id, []))
            for item in items if item.id in failed or item.id in conditions]


def repeats_in_drafts(visit: LastVisit | None, items: Iterable[Item],
                      answers: dict) -> frozenset[str]:
    """The repeat findings among the answers given so far (the check answers page)."""
    if visit is None:
        return frozenset()
    return repeat_findings(visit.findings, answered_findings(items, answers))


def repeats_in(link: CaseProperty, assessment: Assessment | None = None) -> frozenset[str]:
    """The repeat findings of a property's recorded inspection (its report, the case page)."""
    assessment = assessment or link.assessment
    if assessment is None:
        return frozenset()
    previous = previous_inspection(link, of=assessment)
    if previous is None:
        return frozenset()
    return repeat_findings(stored_findings(previous.result), stored_findings(assessment.result))
