"""Publishing and retiring checklist versions; recording assessments.

Each operation checks who may do it, changes state, writes the audit event and commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .. import audit, clock
from ..auth.models import Role, User
from ..checklists import (
    DEFINITIONS_DIR,
    KINDS,
    ChecklistVersion,
    ThresholdStep,
    answer_problem,
    compile_checklist,
    fingerprint,
    load_definition,
    load_definitions,
    next_step,
    step_in_force,
    validate_path,
)
from ..database import utcnow
from ..errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from ..extensions import db
from ..providers.models import Organisation, Property
from .models import Assessment, PublicationStatus, PublishedChecklist


def _require_commissioner(actor: User | None) -> None:
    # actor None: the command line, run by whoever administers the servers.
    if actor is not None and actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners can manage checklists.")


def published_fingerprints() -> dict[tuple[str, int], str]:
    rows = db.session.execute(
        sa.select(PublishedChecklist.kind, PublishedChecklist.version,
                  PublishedChecklist.fingerprint))
    return {(kind, version): digest for kind, version, digest in rows}


def check_definitions(path: str | Path = DEFINITIONS_DIR) -> list:
    """Problems in the definition files, including published versions edited in place."""
    return validate_path(path, published_fingerprints())


def publish_definitions(
    actor: User | None, path: str | Path = DEFINITIONS_DIR
) -> list[PublishedChecklist]:
    """Store every valid version under ``path`` that is not yet published.

    Nothing is published unless every file is valid: one problem anywhere refuses the lot,
    with the problems in the error message.
    """
    _require_commissioner(actor)
    problems = check_definitions(path)
    if problems:
        raise ValidationFailed(
            "The checklist definitions have problems; nothing was published:\n"
            + "\n".join(f"- {problem}" for problem in problems))
    path = Path(path)
    if path.is_dir():
        versions = load_definitions(path)
    else:
        version = load_definition(path)
        versions = {(version.kind, version.version): version}
    already = published_fingerprints()
    published = [store_version(actor, version)
                 for (kind, number), version in sorted(versions.items())
                 if (kind, number) not in already]
    db.session.commit()
    return published


def store_version(actor: User | None, version: ChecklistVersion,
                  details: Mapping[str, Any] | None = None) -> PublishedChecklist:
    """Store one valid version as published and audit it (flushes; the caller commits).

    The one place a version is published, from a file or from an approved draft.
    """
    _require_commissioner(actor)
    record = PublishedChecklist(
        kind=version.kind, version=version.version, title=version.title,
        fingerprint=fingerprint(version), definition=version.to_dict(),
        published_by_id=getattr(actor, "id", None),
    )
    db.session.add(record)
    db.session.flush()
    audit.record("checklist.published", actor=actor, subject=record,
                 details={"kind": version.kind, "version": version.version,
                          "fingerprint": record.fingerprint, **(details or {})})
    return record


def retire_checklist(actor: User | None, kind: str, version: int) -> PublishedChecklist:
    """Retire a published version: no new assessment uses it; past ones keep it pinned."""
    _require_commissioner(actor)
    record = db.session.scalar(sa.select(PublishedChecklist).filter_by(kind=kind, version=version))
    if record is None:
        raise NotFound(f"Version {version} of {kind} has not been published.")
    if record.status is PublicationStatus.RETIRED:
        raise InvalidTransition(f"Version {version} of {kind} is already retired.")
    if record.id in versions_in_force().values():
        raise InvalidTransition(
            f"Version {version} of {kind} is the version in force, so it cannot be retired: "
            "publish a newer version and retire this one once the newer one's first step "
            "has begun.")
    record.status = PublicationStatus.RETIRED
    record.retired_at = utcnow()
    audit.record("checklist.retired", actor=actor, subject=record,
                 details={"kind": kind, "version": version})
    db.session.commit()
    return record


def published_versions(kind: str) -> list[PublishedChecklist]:
    """Published (not retired) versions of ``kind``, oldest first."""
    return list(db.session.scalars(
        sa.select(PublishedChecklist)
        .where(PublishedChecklist.kind == kind,
               PublishedChecklist.status == PublicationStatus.PUBLISHED)
        .order_by(PublishedChecklist.version)))


def published_version(kind: str, version: int) -> PublishedChecklist:
    """Version ``version`` of ``kind`` as it was published (retired ones too); NotFound if it
    never was."""
    record = db.session.scalar(
        sa.select(PublishedChecklist).filter_by(kind=kind, version=version))
    if record is None:
        raise NotFound(f"Version {version} of the {kind.replace('_', ' ')} checklist has not "
                       "been published.")
    return record


def _first_step_date(record: PublishedChecklist) -> date | None:
    schedule = record.checklist.schedule
    return schedule[0].effective_from if schedule else None


def current_checklist(kind: str, on: date | None = None) -> PublishedChecklist:
    """The version of ``kind`` in force on ``on`` (default today): the newest published one
    whose first step has begun. A version published ahead of its first step waits for it."""
    on = on or clock.today()
    versions = published_versions(kind)
    in_force = [record for record in versions
                if (first := _first_step_date(record)) is not None and first <= on]
    if in_force:
        return in_force[-1]
    if versions:
        raise NotFound(
            f"No published {kind.replace('_', ' ')} checklist is in force on {on:%-d %B %Y}.")
    raise NotFound(
        f"No {kind.replace('_', ' ')} checklist is published. A commissioner publishes "
        "checklists with 'accreditation checklists publish'.")


def versions_in_force(on: date | None = None) -> dict[str, int]:
    """kind -> id of the published version in force on ``on``, for kinds that have one."""
    in_force = {}
    for kind in KINDS:
        try:
            in_force[kind] = current_checklist(kind, on).id
        except NotFound:
            continue
    return in_force


def upcoming_step(kind: str, today: date) -> tuple[PublishedChecklist, ThresholdStep] | None:
    """The next threshold step after ``today`` that will apply to ``kind``: a later step of the
    version in force, or the first step of a newer published version, whichever comes first."""
    current = current_checklist(kind, today)
    candidates = []
    for record in published_versions(kind):
        if record.version < current.version:
            continue
        step = next_step(record.checklist.schedule, today)
        if step is not None:
            candidates.append((step.effective_from, -record.version, record, step))
    if not candidates:
        return None
    _, _, record, step = min(candidates, key=lambda c: (c[0], c[1]))
    return record, step


def upcoming_steps(kind: str, today: date) -> list[tuple[PublishedChecklist, ThresholdStep]]:
    """Every threshold step after ``today`` that will apply to ``kind``, in date order, each
    with the version it belongs to (a newer version's first step ends the older schedule)."""
    current_checklist(kind, today)
    dates = sorted({step.effective_from for record in published_versions(kind)
                    for step in record.checklist.schedule if step.effective_from > today})
    found = []
    for on in dates:
        record = current_checklist(kind, on)
        step = step_in_force(record.checklist.schedule, on)
        if step is not None and step.effective_from == on:
            found.append((record, step))
    return found


def record_assessment(
    actor: User | None,
    *,
    kind: str,
    organisation: Organisation,
    answers: Mapping[str, Any],
    assessed_on: date,
    property: Property | None = None,  # noqa: A002 (the domain's word)
    subject_ref: str | None = None,
    file_type: str | None = None,
    case=None,
    commit: bool = True,
) -> Assessment:
    """Score ``answers`` with the current checklist and the step in force on ``assessed_on``.

    Answers that cannot be used (a grade of 7, "maybe" for a yes/no question, an unknown item)
    are refused with the item named, and nothing is stored.
    """
    if actor is not None and actor.role not in (Role.INSPECTOR, Role.COMMISSIONER):
        raise NotPermitted("Only inspectors and commissioners record assessments.")
    record = current_checklist(kind, assessed_on)
    checklist = record.checklist
    step = step_in_force(checklist.schedule, assessed_on)
    if step is None:
        raise ValidationFailed(
            f"{checklist.title} v{checklist.version} has no threshold step in force on "
            f"{assessed_on:%-d %B %Y}.")
    known = {item.id: item for item in checklist.items}
    for item_id, value in answers.items():
        if item_id not in known:
            raise ValidationFailed(f"'{item_id}' is not an item of {checklist.title} "
                                   f"v{checklist.version}.", field=item_id)
        problem = answer_problem(known[item_id], value) if value is not None else None
        if problem:
            raise ValidationFailed(f"{known[item_id].title}: {problem}", field=item_id)
    category = property.category.value if property is not None else None
    result = compile_checklist(checklist).score(
        answers, step, category=category, file_type=file_type)
    assessment = Assessment(
        checklist_version_id=record.id, kind=kind, step_effective_from=step.effective_from,
        organisation_id=organisation.id, property_id=property.id if property else None,
        case_id=case.id if case is not None else None,
        subject_ref=subject_ref, category=category, file_type=file_type,
        property_details=property.as_inspected().to_json() if property is not None else None,
        answers=dict(answers), result=result.to_dict(), passed=result.passed,
        percent=result.percent, assessed_on=assessed_on, assessor_id=getattr(actor, "id", None),
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record("assessment.recorded", actor=actor, subject=assessment,
                 details={"kind": kind, "version": checklist.version,
                          "step": step.effective_from.isoformat(), "passed": result.passed})
    if commit:
        db.session.commit()
    return assessment
