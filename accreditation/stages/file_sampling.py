"""Stage 2, file sampling: a random, reproducible sample of the provider's declared files.

The sample is drawn by the system, never chosen: the roster as it stands is put in a fixed
order and hashed, a random seed is generated, and ``random.Random(seed)`` picks the files.
Seed, hash and the roster itself are stored, so ``redraw`` gives the same files at any later
date, and changing the roster afterwards cannot change the sample.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from datetime import date
from typing import Any

import sqlalchemy as sa

from .. import audit
from ..auth.models import Role, User
from ..cases.access import ensure_inspector_on_case
from ..cases.models import Case
from ..checklists import SampleRule, sample_size
from ..errors import InvalidTransition, NotPermitted, ValidationFailed
from ..extensions import db
from ..providers.models import FileType, RosterEntry
from ..standards.operations import current_checklist, record_assessment
from ..workflow import CaseStatus
from .models import FileSample, SampledFile, samples_for


def roster_snapshot(case: Case, file_type: FileType) -> list[dict[str, Any]]:
    """The roster in canonical order: what is hashed and drawn from."""
    entries = db.session.scalars(
        sa.select(RosterEntry).where(RosterEntry.organisation_id == case.organisation_id,
                                     RosterEntry.file_type == file_type)
        .order_by(RosterEntry.reference))
    return [{"reference": e.reference, "role": e.role, "started_on": e.started_on.isoformat()}
            for e in entries]


def roster_hash(roster: list[dict[str, Any]]) -> str:
    canonical = json.dumps(roster, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def draw(roster: list[dict[str, Any]], seed: str, size: int) -> list[dict[str, Any]]:
    """The files ``seed`` picks from ``roster`` (a pure function: same inputs, same files)."""
    if size >= len(roster):
        return list(roster)
    rng = random.Random(int(seed, 16))  # noqa: S311 (reproducible by design; the seed is random)
    return rng.sample(roster, size)


def redraw(sample: FileSample) -> list[str]:
    """The references a stored sample's seed and roster give: equal to the sample's files."""
    return [entry["reference"] for entry in draw(sample.roster, sample.seed, sample.size)]


def _sample_rule() -> SampleRule:
    checklist = current_checklist("file_sampling").checklist
    return checklist.sample_size or SampleRule()


def draw_file_samples(actor: User, case: Case) -> list[FileSample]:
    """Draw the staff and young people's samples for a case, once."""
    if actor.role not in (Role.INSPECTOR, Role.COMMISSIONER):
        raise NotPermitted("Only inspectors and commissioners draw samples.")
    ensure_inspector_on_case(actor, case)
    if case.status is not CaseStatus.FILE_SAMPLING:
        raise InvalidTransition("Samples are drawn at the file sampling stage.")
    if samples_for(case):
        raise InvalidTransition("The samples for this application have already been drawn; "
                                "they cannot be drawn again.")
    rule = _sample_rule()
    samples = []
    for file_type in FileType:
        roster = roster_snapshot(case, file_type)
        if not roster:
            continue
        size = sample_size(len(roster), rule)
        seed = secrets.token_hex(16)
        sample = FileSample(case_id=case.id, file_type=file_type, seed=seed,
                            roster_hash=roster_hash(roster), roster=roster, size=size,
                            rule=rule.description or _describe(rule), drawn_by_id=actor.id)
        for position, entry in enumerate(draw(roster, seed, size), start=1):
            sample.files.append(SampledFile(
                position=position, reference=entry["reference"], role=entry["role"],
                started_on=date.fromisoformat(entry["started_on"])))
        db.session.add(sample)
        db.session.flush()
        audit.record("file_sample.drawn", actor=actor, subject=sample,
                     details={"case_id": case.id, "file_type": file_type.value,
                              "roster_size": len(roster), "size": size,
                              "seed": seed, "roster_hash": sample.roster_hash})
        samples.append(sample)
    if not samples:
        raise ValidationFailed("The provider has not declared any files to sample.")
    db.session.commit()
    return samples


def _describe(rule: SampleRule) -> str:
    if rule.square_root_of_roster:
        return (f"At least {rule.minimum} files or the square root of the roster, whichever "
                "is larger; every file if there are fewer.")
    return f"{rule.minimum} files; every file if there are fewer."


def record_file_assessment(actor: User, sampled: SampledFile, answers: dict,
                           assessed_on: date) -> None:
    case = db.session.get(Case, sampled.sample.case_id)
    ensure_inspector_on_case(actor, case)
    if case.status is not CaseStatus.FILE_SAMPLING:
        raise InvalidTransition("Files are assessed at the file sampling stage.")
    assessment = record_assessment(
        actor, kind="file_sampling", organisation=case.organisation, case=case,
        subject_ref=sampled.reference, file_type=sampled.sample.file_type.value,
        answers=answers, assessed_on=assessed_on, commit=False)
    sampled.assessment_id = assessment.id
    db.session.commit()
