"""Inspections on tablets: draft answers, idempotent sync, conflicts, submission.

Two kinds of subject are inspected this way, through one code path: a property's inspection
(a ``CaseProperty``, the property inspection checklist, scored by
``record_property_inspection``) and a sampled file's assessment (a ``SampledFile``, the file
sampling checklist, scored by ``record_file_assessment``). Every operation below takes either;
``_Subject`` holds what differs between them. Photos are taken for properties only.

Until an inspection is submitted its answers are drafts on the server, one per checklist item
(``DraftAnswer``), each with a ``revision`` that counts accepted changes. Devices send changes
(``AnswerChange``) made offline, kept with their results as ``ChangeLogEntry`` rows; every
change carries a ``client_id`` made on the device and the revision the device last saw
(``base_revision``). The guarantees:

- an answer typed on site is never lost and never counted twice: a change sent again (same
  user, same ``client_id``) is answered with the result stored the first time and changes
  nothing (a unique key in the database, so also when two copies arrive at once);
- a change made without seeing a newer answer from someone else (another device, another
  person, a resolved conflict) whose answer differs is not applied: it is kept as an open
  ``AnswerConflict`` until the inspector chooses "keep yours" (the device's) or "keep this
  one" (the server's). The same answer is simply applied. An answer is its value and its
  note: a different note alone is also a conflict, so no note is silently dropped;
- changes from one device (same user and ``device_id``) do not conflict with each other:
  a device that edits an item twice while offline sends both with the same base revision;
- every change is kept in ``answer_change`` with its result: that table is the history.
  Audit events are written for submissions, resolutions and refusals, not for each change;
- submitting scores the drafts with the subject's one scoring operation and refuses while
  conflicts are open or scored items are unanswered; it is idempotent.

Changes are applied in the order they arrive (a device sends its outbox oldest first).
All operations on one inspection take a lock on its subject's row first, so two requests for
the same inspection never interleave.

Beyond the agreed names, this module also offers ``get_inspection_for`` and
``get_file_assessment_for`` (load a subject with the access check), ``file_assessments_for``,
``is_submitted``, ``checklist_for``, ``photos_for``,
``submit_inspection_once`` (also says whether this call created the assessment),
``save_answers(..., device_id=...)``, ``withdraw_item_photo``, ``item_photo_for``,
``findings_for``, ``record_acknowledgement`` and ``acknowledgement_for``.
"""

from __future__ import annotations

import io
import math
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from .. import audit, clock
from ..auth.models import Role, User
from ..auth.tokens import TABLET_TOKEN_NAME, create_token
from ..cases.access import assigned_to, may_inspect
from ..cases.models import Case, CaseProperty
from ..checklists import ChecklistVersion, Item, answer_problem
from ..checklists.scoring import Outcome, judge
from ..database import utcnow
from ..denials import refuse
from ..errors import Conflict, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from ..evidence.models import Evidence, EvidencePurpose
from ..evidence.operations import upload_evidence
from ..extensions import db
from ..routing import MAX_RECORD_ID
from ..standards.models import Assessment
from ..standards.operations import current_checklist
from ..workflow import CaseStatus
from .file_sampling import record_file_assessment
from .models import (
    AnswerConflict,
    ChangeLogEntry,
    ChangeStatus,
    ConflictResolution,
    DraftAnswer,
    FileSample,
    InspectionAcknowledgement,
    InspectionSubmission,
    SampledFile,
)
from .property_inspection import INSPECTABLE, record_property_inspection

KIND = "property_inspection"
FILE_KIND = "file_sampling"
DEVICE_TOKEN_LIFETIME = timedelta(hours=12)
MAX_NOTE = 2000
MAX_TEXT_VALUE = 2000
MAX_DEVICE_ID = 64
NOT_FOUND_MESSAGE = "We could not find that inspection."
FILE_NOT_FOUND_MESSAGE = "We could not find that file in a sample."
# Cases whose property inspections are coming next: listed so a tablet can prepare them.
UPCOMING = (CaseStatus.FILE_SAMPLING,)

__all__ = [
    "Acknowledgement",
    "AnswerChange",
    "AnswerConflict",
    "ChangeLogEntry",
    "ChangeResult",
    "DraftAnswer",
    "acknowledgement_for",
    "add_item_photo",
    "case_of",
    "checklist_kind",
    "drafts_for",
    "file_assessments_for",
    "get_file_assessment_for",
    "get_inspection_for",
    "inspections_for",
    "is_inspectable",
    "is_submitted",
    "issue_device_token",
    "open_conflicts",
    "findings_for",
    "photos_for",
    "record_acknowledgement",
    "resolve_conflict",
    "save_answers",
    "submit_inspection",
    "submit_inspection_once",
    "withdraw_item_photo",
]


@dataclass(frozen=True)
class AnswerChange:
    """One change as a device sends it (stored, with its result, as a ``ChangeLogEntry``)."""

    client_id: str  # UUID made on the device, unique per change
    item_id: str
    value: str | int | float | None
    note: str | None
    base_revision: int  # the revision the device last saw for this item (0: never saw one)


@dataclass(frozen=True)
class ChangeResult:
    client_id: str
    status: str  # "applied" | "conflict" | "rejected"
    item_id: str
    revision: int | None  # after the change (applied) or the server's (conflict)
    server_value: Any = None  # the server's current answer (conflict)
    server_note: str | None = None
    message: str | None = None  # why it was rejected
    replayed: bool = False  # this client_id had been seen before: the stored result

    def to_json(self) -> dict:
        return {"client_id": self.client_id, "status": self.status, "item_id": self.item_id,
                "revision": self.revision, "server_value": self.server_value,
                "server_note": self.server_note, "message": self.message,
                "replayed": self.replayed}


# --- what is inspected ---------------------------------------------------------------------------

Inspected = CaseProperty | SampledFile


class _Subject:
    """What differs between a property's inspection and a sampled file's assessment."""

    def __init__(self, row: Inspected):
        self.row = row
        self.is_file = isinstance(row, SampledFile)
        self.column = "sampled_file_id" if self.is_file else "case_property_id"
        self.kind = FILE_KIND if self.is_file else KIND

    @property
    def case(self) -> Case:
        return db.session.get(Case, self.row.sample.case_id) if self.is_file else self.row.case

    def where(self, model) -> sa.ColumnElement[bool]:
        """Rows of ``model`` (drafts, changes, conflicts, submissions) about this subject."""
        return getattr(model, self.column) == self.row.id

    def keys(self) -> dict[str, int]:
        return {self.column: self.row.id}

    @property
    def context(self) -> str:
        """What selects the checklist's items: the property's category, the file's type."""
        return (self.row.sample.file_type.value if self.is_file
                else self.row.home.category.value)

    @property
    def checklist_name(self) -> str:
        return "this file's checklist" if self.is_file else \
            "this property's inspection checklist"

    def stage_closed(self) -> str | None:
        """Why the application's stage does not allow answers now, or None."""
        case = self.case
        if self.is_file:
            if case.status is not CaseStatus.FILE_SAMPLING:
                return (f"This file assessment is closed: application {case.reference} is "
                        f"{case.status.phrase}. Files are assessed at the file "
                        "sampling stage.")
            return None
        if case.status not in INSPECTABLE:
            return (f"This inspection is closed: application {case.reference} is "
                    f"{case.status.phrase}. Properties are inspected at the property "
                    "inspection stage or when accreditation is reassessed.")
        if case.status is CaseStatus.REASSESSMENT_DUE and not self.row.accredited:
            return "This inspection is closed: only accredited properties are reassessed."
        return None

    def score(self, actor: User, answers: dict) -> Assessment:
        """The subject's one scoring operation (it commits)."""
        if self.is_file:
            record_file_assessment(actor, self.row, answers, clock.today())
            return self.row.assessment
        return record_property_inspection(actor, self.row, answers, clock.today())


def _subject(row: Inspected) -> _Subject:
    return _Subject(row)


def case_of(link: Inspected) -> Case:
    """The application a property's inspection or a sampled file belongs to."""
    return _subject(link).case


def checklist_kind(link: Inspected) -> str:
    """``property_inspection`` or ``file_sampling``."""
    return _subject(link).kind


# --- access ------------------------------------------------------------------------------------

def _ensure_may_inspect(actor: User, link: Inspected) -> None:
    if actor is None or not may_inspect(actor, _subject(link).case):
        refuse(actor, NotFound(FILE_NOT_FOUND_MESSAGE if isinstance(link, SampledFile)
                               else NOT_FOUND_MESSAGE),
               "inspection not assigned to this user", subject=link)


def _get(model, row_id: int):
    # An id no database column can hold (from a URL) is simply not found.
    return db.session.get(model, row_id) if 0 < row_id < 2 ** 63 else None


def get_inspection_for(actor: User, link_id: int) -> CaseProperty:
    """The property inspection ``link_id`` if ``actor`` may carry it out: the inspector
    assigned to its application, or a commissioner. Anyone else gets 404 (audited)."""
    link = _get(CaseProperty, link_id)
    if link is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    _ensure_may_inspect(actor, link)
    return link


def get_file_assessment_for(actor: User, sampled_id: int) -> SampledFile:
    """The sampled file ``sampled_id`` if ``actor`` may assess it (as above: the assigned
    inspector or a commissioner; anyone else gets 404, audited)."""
    sampled = _get(SampledFile, sampled_id)
    if sampled is None:
        raise NotFound(FILE_NOT_FOUND_MESSAGE)
    _ensure_may_inspect(actor, sampled)
    return sampled


def _lock(link: Inspected) -> None:
    """Serialise work on one inspection: a row lock on PostgreSQL, the write lock on SQLite.
    Taken before anything is read, so decisions are made on what is really current."""
    session = db.session
    model, link_id = type(link), link.id  # read now: after the commit below it would be read again
    if session.get_bind().dialect.name == "sqlite" and not (
            session.new or session.dirty or session.deleted):
        # SQLite cannot turn a read that began before someone else's write into a write:
        # end the read, so the lock is the first statement of a fresh transaction.
        session.commit()
    session.execute(
        sa.update(model).where(model.id == link_id).values(id=model.id)
        .execution_options(synchronize_session=False))


# --- state of an inspection ---------------------------------------------------------------------

def checklist_for(link: Inspected) -> tuple[ChecklistVersion, list[Item]]:
    """The checklist in force and the items it asks about this subject (by the property's
    category or the file's type)."""
    subject = _subject(link)
    checklist = current_checklist(subject.kind).checklist
    return checklist, [item for item in checklist.items
                       if item.applies(checklist.context_field, subject.context)]


def _current_submission(link: Inspected) -> InspectionSubmission | None:
    """The submission made since the application last changed status (a return to the
    provider, a reassessment...): each such period is one round of inspection."""
    subject = _subject(link)
    return db.session.scalar(
        sa.select(InspectionSubmission)
        .where(subject.where(InspectionSubmission),
               InspectionSubmission.submitted_at >= subject.case.status_changed_at)
        .order_by(InspectionSubmission.id.desc()).limit(1))


def _scored_this_round(link: Inspected) -> Assessment | None:
    """The subject's assessment if it was recorded in this round some other way (the
    checklist pages or API, or before the tablet pages existed)."""
    assessment = link.assessment
    if assessment is not None and assessment.recorded_at >= _subject(link).case.status_changed_at:
        return assessment
    return None


def is_submitted(link: Inspected) -> bool:
    """Whether this round's inspection of the property is submitted (or scored already)."""
    return _current_submission(link) is not None or _scored_this_round(link) is not None


def _closed_reason(link: Inspected) -> str | None:
    """Why answers for ``link`` cannot be changed now, or None if they can."""
    closed = _subject(link).stage_closed()
    if closed:
        return closed
    if is_submitted(link):
        return "This inspection has already been submitted, so its answers cannot change."
    return None


def is_inspectable(link: Inspected) -> bool:
    return _closed_reason(link) is None


def drafts_for(link: Inspected) -> dict[str, DraftAnswer]:
    """item_id -> the current draft answer."""
    return {draft.item_id: draft for draft in db.session.scalars(
        sa.select(DraftAnswer).where(_subject(link).where(DraftAnswer)))}


def open_conflicts(link: Inspected) -> list[AnswerConflict]:
    """Changes kept because someone else had changed the answer first, oldest first."""
    return list(db.session.scalars(
        sa.select(AnswerConflict)
        .where(_subject(link).where(AnswerConflict),
               AnswerConflict.resolution.is_(None))
        .order_by(AnswerConflict.id)))


def photos_for(link: Inspected) -> dict[str, list[Evidence]]:
    """item_id -> the current photos of this property's items in this application (files
    have none)."""
    photos: dict[str, list[Evidence]] = {}
    if isinstance(link, SampledFile):
        return photos
    for record in db.session.scalars(
            sa.select(Evidence)
            .where(Evidence.case_id == link.case_id, Evidence.property_id == link.property_id,
                   Evidence.item_id.is_not(None), Evidence.purpose == EvidencePurpose.PHOTO,
                   Evidence.superseded_at.is_(None), Evidence.withdrawn_at.is_(None))
            .order_by(Evidence.id)):
        photos.setdefault(record.item_id, []).append(record)
    return photos


def photos_missing(link: Inspected, applicable: list[Item]) -> list[Item]:
    """The items marked "photo required" that have no photo yet (sampled files have none)."""
    if isinstance(link, SampledFile):
        return []
    photos = photos_for(link)
    return [item for item in applicable if item.photo_required and not photos.get(item.id)]


def inspections_for(actor: User) -> list[CaseProperty]:
    """The property inspections assigned to ``actor``: those that can be carried out now
    (property inspection stage; reassessment of accredited properties) and those coming
    next (applications at file sampling), so a tablet can prepare them before a visit."""
    if actor.role not in (Role.INSPECTOR, Role.COMMISSIONER):
        raise NotPermitted("Only inspectors carry out inspections.")
    links = db.session.scalars(
        sa.select(CaseProperty).join(Case)
        .where(assigned_to(actor), Case.status.in_((*INSPECTABLE, *UPCOMING)))
        .order_by(Case.id, CaseProperty.id))
    return [link for link in links
            if link.case.status is not CaseStatus.REASSESSMENT_DUE or link.accredited]


def file_assessments_for(actor: User) -> list[SampledFile]:
    """The sampled files of the applications at file sampling assigned to ``actor``, in
    sample order (staff files, then young people's), to assess on the provider's premises."""
    if actor.role not in (Role.INSPECTOR, Role.COMMISSIONER):
        raise NotPermitted("Only inspectors carry out inspections.")
    return list(db.session.scalars(
        sa.select(SampledFile).join(FileSample).join(Case, Case.id == FileSample.case_id)
        .where(assigned_to(actor), Case.status == CaseStatus.FILE_SAMPLING)
        .order_by(Case.id, FileSample.file_type, SampledFile.position)))


# --- saving answers ----------------------------------------------------------------------------

def _client_id(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise ValidationFailed("client_id must be a UUID made on the device.",
                               field="client_id") from None


def _same_answer(a_value, a_note, b_value, b_note) -> bool:
    # 2 and 2.0 are the same number; "2" and 2 are not the same answer; True is no answer.
    def normal(value):
        return (type(value) is str, value)
    return normal(a_value) == normal(b_value) and (a_note or None) == (b_note or None)


def _problem(change: AnswerChange, items: dict[str, Item], checklist_name: str) -> str | None:
    item = items.get(change.item_id)
    if item is None:
        return f"'{change.item_id}' is not a question of {checklist_name}. Reload the checklist."
    value = change.value
    if isinstance(value, bool) or not isinstance(value, str | int | float | type(None)) or (
            isinstance(value, float) and not math.isfinite(value)):
        return f"{item.title}: the answer must be text, a number or empty."
    if isinstance(value, str) and len(value) > MAX_TEXT_VALUE:
        return f"{item.title}: the answer is longer than {MAX_TEXT_VALUE} characters."
    if "\x00" in (value if isinstance(value, str) else "") + (
            change.note if isinstance(change.note, str) else ""):
        return f"{item.title}: the answer or note contains a character that is not text."
    if value is not None and value != "":
        problem = answer_problem(item, value)
        if problem:
            return f"{item.title}: {problem}."
    if change.note is not None and (not isinstance(change.note, str)
                                    or len(change.note) > MAX_NOTE):
        return f"{item.title}: the note must be text of at most {MAX_NOTE} characters."
    if not isinstance(change.base_revision, int) or isinstance(change.base_revision, bool) \
            or not 0 <= change.base_revision <= MAX_RECORD_ID:
        return f"base_revision must be a whole number from 0 to {MAX_RECORD_ID}."
    return None


def _stored_result(row: ChangeLogEntry, *, replayed: bool) -> ChangeResult:
    return ChangeResult(
        client_id=row.client_id, status=row.status.value, item_id=row.item_id,
        revision=row.revision, server_value=row.server_value, server_note=row.server_note,
        message=row.message, replayed=replayed)


def _find_change(actor: User, client_id: str) -> ChangeLogEntry | None:
    return db.session.scalar(sa.select(ChangeLogEntry).where(
        ChangeLogEntry.user_id == actor.id, ChangeLogEntry.client_id == client_id))


def _written_by_device_since(link: Inspected, item_id: str, actor: User,
                             device_id: str | None, base_revision: int) -> int:
    """How many revisions after ``base_revision`` this same device wrote."""
    if device_id is None:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ChangeLogEntry)
        .where(_subject(link).where(ChangeLogEntry), ChangeLogEntry.item_id == item_id,
               ChangeLogEntry.user_id == actor.id, ChangeLogEntry.device_id == device_id,
               ChangeLogEntry.status == ChangeStatus.APPLIED,
               ChangeLogEntry.revision > ChangeLogEntry.server_revision,
               ChangeLogEntry.revision > base_revision))


def _apply(actor: User, link: Inspected, change: AnswerChange, client_id: str,
           device_id: str | None, closed: str | None, items: dict[str, Item]) -> ChangeResult:
    """Decide and record one new change (in the caller's transaction, flushed)."""
    subject = _subject(link)
    draft = db.session.scalar(sa.select(DraftAnswer).where(
        subject.where(DraftAnswer), DraftAnswer.item_id == change.item_id))
    current = draft.revision if draft else 0
    row = ChangeLogEntry(
        client_id=client_id, user_id=actor.id, device_id=device_id, **subject.keys(),
        item_id=change.item_id[:80], value=change.value, note=change.note,
        # Kept within what the column holds: an unusable one is rejected below.
        base_revision=(min(max(change.base_revision, 0), MAX_RECORD_ID)
                       if isinstance(change.base_revision, int) else 0),
        server_revision=current, received_at=utcnow())
    problem = _problem(change, items, subject.checklist_name)
    if closed or problem:
        row.status, row.message = ChangeStatus.REJECTED, closed or problem
        if problem:  # an unusable value is not kept (closed or not): the text may be anything
            row.value, row.note = None, None
        db.session.add(row)
        db.session.flush()
        return _stored_result(row, replayed=False)

    note = change.note or None
    same = draft is not None and _same_answer(draft.value, draft.note, change.value, note)
    stale = (draft is not None and change.base_revision < current and not same
             and _written_by_device_since(link, change.item_id, actor, device_id,
                                          change.base_revision)
             < current - change.base_revision)
    if stale:
        row.status, row.revision = ChangeStatus.CONFLICT, current
        row.server_value, row.server_note = draft.value, draft.note
        db.session.add(row)
        db.session.flush()
        db.session.add(AnswerConflict(**subject.keys(), item_id=change.item_id,
                                      change_id=row.id, created_at=row.received_at))
    else:
        row.status = ChangeStatus.APPLIED
        if draft is None and change.value is None and note is None:
            row.revision = 0  # clearing an answer that was never given changes nothing
        elif same:
            row.revision = current
        else:
            if draft is None:
                draft = DraftAnswer(**subject.keys(), item_id=change.item_id, revision=0)
                db.session.add(draft)
            draft.value, draft.note = change.value, note
            draft.revision = current + 1
            draft.updated_at, draft.updated_by_id = row.received_at, actor.id
            row.revision = draft.revision
        db.session.add(row)
    db.session.flush()
    return _stored_result(row, replayed=False)


def save_answers(actor: User, link: Inspected, changes: list[AnswerChange], *,
                 device_id: str | None = None) -> list[ChangeResult]:
    """Apply a device's changes to a property's or sampled file's draft answers, in order;
    one result each.

    Guarantees: a change whose ``client_id`` this user sent before is not applied again
    (its stored result comes back with ``replayed``); a stale change whose answer differs is
    kept as an open conflict and the server's answer is untouched; a change for an unknown
    item, with an unusable value, or for an inspection that is closed or submitted is
    ``rejected`` with a message (and recorded). Not the actor's inspection: 404, audited.
    Commits once.
    """
    _ensure_may_inspect(actor, link)
    if device_id is not None and (not isinstance(device_id, str) or "\x00" in device_id
                                  or not 0 < len(device_id) <= MAX_DEVICE_ID):
        raise ValidationFailed(f"device_id must be 1 to {MAX_DEVICE_ID} characters.",
                               field="device_id")
    client_ids = [_client_id(change.client_id) for change in changes]
    _lock(link)
    closed = _closed_reason(link)
    _, applicable = checklist_for(link)
    items = {item.id: item for item in applicable}
    results: list[ChangeResult] = []
    rejected = 0
    for change, client_id in zip(changes, client_ids, strict=True):
        stored = _find_change(actor, client_id)
        if stored is not None:
            results.append(_stored_result(stored, replayed=True))
            continue
        try:
            with db.session.begin_nested():
                result = _apply(actor, link, change, client_id, device_id, closed, items)
        except sa.exc.IntegrityError:
            # The same change arrived by another way at the same moment and was stored
            # first: its result is the one to give.
            stored = _find_change(actor, client_id)
            if stored is None:
                raise
            result = _stored_result(stored, replayed=True)
        if result.status == ChangeStatus.REJECTED.value and not result.replayed:
            rejected += 1
        results.append(result)
    if rejected:
        audit.record("inspection.changes_rejected", actor=actor, subject=link, details={
            "case_id": _subject(link).case.id, "rejected": rejected, "closed": closed is not None,
            "device_id": device_id})
    db.session.commit()
    return results


# --- conflicts ---------------------------------------------------------------------------------

def resolve_conflict(actor: User, conflict_id: int, keep: str) -> DraftAnswer:
    """Settle a conflict: ``keep="mine"`` makes the late device's answer the draft,
    ``keep="server"`` keeps the answer the server had. Either way the item's revision goes
    up, so every device sees that the answer was decided. Audited. Resolving an already
    resolved conflict the same way again changes nothing."""
    try:
        choice = ConflictResolution(keep)
    except ValueError:
        raise ValidationFailed("Choose which answer to keep: yours or this one.",
                               field="keep") from None
    conflict = db.session.get(AnswerConflict, conflict_id)
    if conflict is None:
        raise NotFound("We could not find that conflict.")
    link = conflict.subject
    subject = _subject(link)
    _ensure_may_inspect(actor, link)
    _lock(link)
    db.session.refresh(conflict)
    draft = db.session.scalar(sa.select(DraftAnswer).where(
        subject.where(DraftAnswer), DraftAnswer.item_id == conflict.item_id))
    if not conflict.is_open:
        if conflict.resolution is choice and draft is not None:
            db.session.commit()
            return draft
        raise InvalidTransition("This answer was already settled another way. Reload the "
                                "inspection to see the answer kept.")
    closed = _closed_reason(link)
    if closed:
        raise InvalidTransition(closed)
    now = utcnow()
    change = conflict.change
    if draft is None:  # cannot happen (a conflict needs an answer to clash with); be safe
        draft = DraftAnswer(**subject.keys(), item_id=conflict.item_id, revision=0)
        db.session.add(draft)
    if choice is ConflictResolution.MINE:
        draft.value, draft.note = change.value, change.note
    draft.revision += 1
    draft.updated_at, draft.updated_by_id = now, actor.id
    conflict.resolution, conflict.resolved_at, conflict.resolved_by_id = choice, now, actor.id
    db.session.flush()
    audit.record("inspection.conflict_resolved", actor=actor, subject=conflict, details={
        **subject.keys(), "case_id": subject.case.id, "item_id": conflict.item_id,
        "kept": choice.value, "revision": draft.revision})
    db.session.commit()
    return draft


# --- photos ------------------------------------------------------------------------------------

def _find_photo(client_id: str) -> Evidence | None:
    return db.session.scalar(sa.select(Evidence).where(Evidence.client_id == client_id))


def _replayed_photo(actor: User, link: CaseProperty, record: Evidence) -> Evidence:
    if record.uploaded_by_id != actor.id or record.case_id != link.case_id \
            or record.property_id != link.property_id:
        raise Conflict("That photo id has already been used for another photo. Nothing was "
                       "saved: send the photo again from the inspection page.")
    return record


def add_item_photo(actor: User, link: CaseProperty, item_id: str, client_id: str,
                   file_storage: FileStorage | None,
                   marks_up: str | None = None) -> tuple[Evidence, bool]:
    """Add a photo to a checklist item of a property's inspection; returns the record and
    whether this call created it. A photo sent again with the same ``client_id`` returns the
    first record and stores nothing (no row, no object), also when both copies arrive at
    once. The file goes through the usual evidence checks (content, size, metadata stripped,
    scan) in ``upload_evidence``. Uploads for one inspection are taken one at a time.
    ``marks_up``: the ``client_id`` of the photo of the same item this one was drawn on (a
    marked-up copy; the original stays)."""
    _ensure_may_inspect(actor, link)
    if isinstance(link, SampledFile):
        raise ValidationFailed("Photos are taken at property inspections, not of files.",
                               field="file")
    client_id = _client_id(client_id)
    existing = _find_photo(client_id)
    if existing is not None:
        return _replayed_photo(actor, link, existing), False
    # One photo of an inspection at a time: a copy arriving meanwhile waits, then finds this
    # one (and SQLite never has two writers racing to commit).
    _lock(link)
    existing = _find_photo(client_id)
    if existing is not None:
        db.session.commit()
        return _replayed_photo(actor, link, existing), False
    closed = _closed_reason(link)
    if closed:
        raise InvalidTransition(closed)
    _, applicable = checklist_for(link)
    if item_id not in {item.id for item in applicable}:
        raise ValidationFailed(f"'{item_id}' is not a question of this property's inspection "
                               "checklist.", field="item_id")
    original = None
    if marks_up:
        original = _find_photo(_client_id(marks_up))
        if (original is None or original.case_id != link.case_id
                or original.property_id != link.property_id or original.item_id != item_id):
            db.session.commit()
            raise ValidationFailed("marks_up: send the photo that was marked up first, for the "
                                   "same item.", field="marks_up")
    try:
        record = upload_evidence(actor, link.case.organisation, file_storage,
                                 purpose=EvidencePurpose.PHOTO, case=link.case,
                                 item_id=item_id, home=link.home, client_id=client_id,
                                 marks_up=original)
    except Conflict:
        # Another copy of this upload committed first: its record is the answer.
        existing = _find_photo(client_id)
        if existing is None:
            raise
        return _replayed_photo(actor, link, existing), False
    return record, True


def item_photo_for(actor: User, link: CaseProperty, evidence_id: int) -> Evidence:
    """A current photo of an item of this property's inspection, for ``actor`` who may carry
    it out (anyone else: 404, audited). Withdrawn photos are not found."""
    _ensure_may_inspect(actor, link)
    record = _get(Evidence, evidence_id)
    if (record is None or record.purpose is not EvidencePurpose.PHOTO or record.item_id is None
            or record.case_id != link.case_id or record.property_id != link.property_id
            or record.withdrawn_at is not None):
        raise NotFound("We could not find that photo.")
    return record


def withdraw_item_photo(actor: User, link: CaseProperty,
                        photo_client_id: str) -> tuple[Evidence, bool]:
    """Take back a photo of an item before the inspection is submitted; returns the record and
    whether this call withdrew it. The record and its file stay (marked withdrawn, audited
    ``evidence.withdrawn``); the photo no longer counts for an item that needs one. A repeat
    (the same photo's ``client_id``) answers with the first withdrawal and changes nothing.
    Only whoever added the photo may withdraw it (audited refusal); once the inspection is
    submitted or closed it is refused (audited)."""
    _ensure_may_inspect(actor, link)
    photo_client_id = _client_id(photo_client_id)
    _lock(link)
    record = _find_photo(photo_client_id)
    if (record is None or record.item_id is None or record.case_id != link.case_id
            or record.property_id != link.property_id):
        db.session.commit()
        raise NotFound("We could not find that photo.")
    if record.withdrawn_at is not None:
        db.session.commit()
        return record, False
    if record.uploaded_by_id != actor.id:
        refuse(actor, NotPermitted("Only whoever took a photo can remove it."),
               "photo added by someone else", subject=record)
    closed = _closed_reason(link)
    if closed:
        db.session.rollback()
        audit.record("evidence.withdraw_refused", actor=actor, subject=record, details={
            "case_id": link.case_id, "item_id": record.item_id, "reason": "inspection closed"})
        db.session.commit()
        raise InvalidTransition("This inspection has been submitted, so its photos can no "
                                "longer be removed.")
    record.withdrawn_at = utcnow()
    record.withdrawn_by_id = actor.id
    audit.record("evidence.withdrawn", actor=actor, subject=record, details={
        "case_id": link.case_id, "property_id": link.property_id, "item_id": record.item_id,
        "sha256": record.sha256, "client_id": record.client_id})
    db.session.commit()
    return record, True


# --- the provider's acknowledgement on site ------------------------------------------------------

MAX_ACK_NAME = 120
MAX_ACK_REASON = 1000
MAX_SIGNATURE_BYTES = 200_000
MAX_SIGNATURE_SIDE = 2000
# A tablet's clock may be a little ahead; an acknowledgement may wait offline for days.
SIGNED_AT_AHEAD = timedelta(minutes=10)
SIGNED_AT_OLDEST = timedelta(days=30)


@dataclass(frozen=True)
class Acknowledgement:
    """What the tablet (or the page) sends: the representative's name, role and drawing, or
    that they declined to sign."""

    client_id: str
    declined: bool
    name: str | None = None
    role: str | None = None
    reason: str | None = None
    signature_png: bytes | None = None
    signed_at: datetime | None = None  # on the tablet; None: now


def findings_for(link: CaseProperty) -> list[dict]:
    """The items of this property's inspection whose answer does not pass, in checklist order,
    each with its note: what the provider's representative reads before signing."""
    _, applicable = checklist_for(link)
    drafts = drafts_for(link)
    findings = []
    for item in applicable:
        draft = drafts.get(item.id)
        if draft is None or draft.value in (None, ""):
            continue  # not answered yet: nothing found
        if judge(item, draft.value).outcome in (Outcome.FAILED, Outcome.INVALID):
            findings.append({"item_id": item.id, "title": item.title, "note": draft.note})
    return findings


def acknowledgement_for(link: CaseProperty) -> InspectionAcknowledgement | None:
    """The latest acknowledgement given at this property's inspection, if any."""
    return db.session.scalar(
        sa.select(InspectionAcknowledgement)
        .where(InspectionAcknowledgement.case_property_id == link.id)
        .order_by(InspectionAcknowledgement.signed_at.desc(),
                  InspectionAcknowledgement.id.desc()).limit(1))


def _clean_signature(data: bytes) -> bytes:
    """The drawing as a new PNG made from its pixels only: nothing else it carried is kept."""
    if len(data) > MAX_SIGNATURE_BYTES:
        raise ValidationFailed("The signature is too large. Clear it and sign again.",
                               field="signature")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["PNG"])
            if max(image.size) > MAX_SIGNATURE_SIDE:
                raise ValueError("too large")
            image.load()
    except Exception:  # noqa: BLE001 - anything unreadable is the same problem to the person
        raise ValidationFailed("The signature could not be read. Clear it and sign again.",
                               field="signature") from None
    clean = Image.new("RGBA", image.size)
    clean.paste(image.convert("RGBA"))
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=True)
    return out.getvalue()


# The problems the tablet finds before anything is sent, by field (the page shows them, and the
# service says the same of what it is sent).
ACKNOWLEDGEMENT_PROBLEMS = {
    "name": "Enter the name of the provider's representative",
    "role": "Enter the representative's role",
    "reason": "Give a reason only when the representative declined to sign",
    "declined": "Clear the signature, or untick that the representative declined to sign",
}


def _acknowledgement_problems(ack: Acknowledgement) -> dict[str, str]:
    problems: dict[str, str] = {}
    for field, value, what in (("name", ack.name, "Name"), ("role", ack.role, "Role")):
        if value and len(value) > MAX_ACK_NAME:
            problems[field] = f"{what} must be {MAX_ACK_NAME} characters or fewer"
        elif not value and not ack.declined:
            problems[field] = ACKNOWLEDGEMENT_PROBLEMS[field]
    if ack.reason and len(ack.reason) > MAX_ACK_REASON:
        problems["reason"] = f"Reason must be {MAX_ACK_REASON} characters or fewer"
    if ack.reason and not ack.declined:
        problems["reason"] = ACKNOWLEDGEMENT_PROBLEMS["reason"]
    if ack.declined and ack.signature_png:
        problems["signature"] = ACKNOWLEDGEMENT_PROBLEMS["declined"]
    if ack.signed_at is not None:
        now = utcnow()
        if ack.signed_at > now + SIGNED_AT_AHEAD or ack.signed_at < now - SIGNED_AT_OLDEST:
            problems["signed_at"] = ("The time of signing must be within the last 30 days: "
                                     "check the tablet's clock")
    return problems


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def record_acknowledgement(actor: User, link: CaseProperty,
                           ack: Acknowledgement) -> tuple[InspectionAcknowledgement, bool]:
    """Keep the provider's acknowledgement of a property's findings (name, role, a drawn
    signature re-encoded as a PNG), or the inspector's record that the representative declined
    to sign; returns it and whether this call stored it. For whoever may carry out the
    inspection (anyone else: 404, audited), while it is open (409 once submitted). Sent again
    with the same ``client_id`` it answers with the first and stores nothing. Every problem is
    reported at once. Audited ``inspection.acknowledged`` (or ``inspection.acknowledgement_
    declined``)."""
    from ..providers.operations import Problems

    _ensure_may_inspect(actor, link)
    if isinstance(link, SampledFile):
        raise ValidationFailed("Only property inspections are signed for on site.")
    client_id = _client_id(ack.client_id)
    ack = Acknowledgement(client_id=client_id, declined=bool(ack.declined),
                          name=_text(ack.name), role=_text(ack.role), reason=_text(ack.reason),
                          signature_png=ack.signature_png or None, signed_at=ack.signed_at)
    _lock(link)
    earlier = db.session.scalar(sa.select(InspectionAcknowledgement).where(
        InspectionAcknowledgement.client_id == client_id))
    if earlier is not None:
        db.session.commit()
        if earlier.case_property_id != link.id or earlier.recorded_by_id != actor.id:
            raise Conflict("That acknowledgement id was already used for another "
                           "inspection. Nothing was saved.")
        return earlier, False
    closed = _closed_reason(link)
    if closed:
        db.session.commit()
        raise InvalidTransition("This inspection has been submitted, so the provider's "
                                "acknowledgement can no longer be added."
                                if is_submitted(link) else closed)
    problems = _acknowledgement_problems(ack)
    signature = None
    if ack.signature_png and "signature" not in problems:
        try:
            signature = _clean_signature(ack.signature_png)
        except ValidationFailed as error:
            problems["signature"] = error.message
    if problems:
        db.session.commit()
        raise Problems(problems)
    record = InspectionAcknowledgement(
        case_property_id=link.id, client_id=client_id, recorded_by_id=actor.id,
        signed_at=ack.signed_at or utcnow(), recorded_at=utcnow(), declined=ack.declined,
        name=ack.name, role=ack.role, reason=ack.reason if ack.declined else None,
        signature_png=signature, findings=findings_for(link))
    db.session.add(record)
    db.session.flush()
    audit.record("inspection.acknowledgement_declined" if ack.declined
                 else "inspection.acknowledged", actor=actor, subject=link, details={
                     "case_id": link.case_id, "acknowledgement_id": record.id,
                     "signed": signature is not None, "findings": len(record.findings)})
    db.session.commit()
    return record, True


# --- submitting --------------------------------------------------------------------------------

def _refuse_submit(actor: User, link: Inspected, reason: str, error: Exception, **details):
    db.session.rollback()
    audit.record("inspection.submit_refused", actor=actor, subject=link,
                 details={"case_id": _subject(link).case.id, "reason": reason, **details})
    db.session.commit()
    raise error


def _find_submission(actor: User, client_id: str) -> InspectionSubmission | None:
    return db.session.scalar(sa.select(InspectionSubmission).where(
        InspectionSubmission.user_id == actor.id, InspectionSubmission.client_id == client_id))


def _assessment_of(submission: InspectionSubmission) -> Assessment:
    # A submission is committed with its assessment; the link between them is written just
    # after. Should that second step never have happened, the subject's assessment is it.
    return submission.assessment or (submission.link or submission.sampled_file).assessment


def submit_inspection_once(actor: User, link: Inspected,
                           client_id: str | None = None) -> tuple[Assessment, bool]:
    """``submit_inspection``, also saying whether this call scored the inspection (False:
    the assessment of the earlier submission)."""
    _ensure_may_inspect(actor, link)
    subject = _subject(link)
    if client_id is not None:
        client_id = _client_id(client_id)
    _lock(link)
    if client_id is not None:
        earlier = _find_submission(actor, client_id)
        if earlier is not None:
            if getattr(earlier, subject.column) != link.id:
                raise Conflict("That submission id was already used for another inspection.")
            db.session.commit()
            return _assessment_of(earlier), False
    earlier = _current_submission(link)
    if earlier is not None:
        db.session.commit()
        return _assessment_of(earlier), False
    scored = _scored_this_round(link)
    if scored is not None:
        db.session.commit()
        return scored, False
    closed = subject.stage_closed()
    if closed:
        _refuse_submit(actor, link, "inspection closed", InvalidTransition(closed))
    conflicts = open_conflicts(link)
    _, applicable = checklist_for(link)
    titles = {item.id: item.title for item in applicable}
    if conflicts:
        names = sorted({titles.get(c.item_id, c.item_id) for c in conflicts})
        _refuse_submit(
            actor, link, "open conflicts", InvalidTransition(
                f"{len(names)} {'answer was' if len(names) == 1 else 'answers were'} changed "
                "on another device too. Choose which to keep before you submit: "
                + "; ".join(names) + "."), conflicts=len(conflicts))
    drafts = drafts_for(link)
    answers = {item.id: drafts[item.id].value for item in applicable
               if item.id in drafts and drafts[item.id].value not in (None, "")}
    missing = [item for item in applicable if item.scored and item.id not in answers]
    unphotographed = photos_missing(link, applicable)
    problems = []
    if missing:
        problems.append("Answer every question before you submit. Not answered yet: "
                        + "; ".join(item.title for item in missing) + ".")
    if unphotographed:
        problems.append("Add a photo of each item that needs one before you submit. No photo "
                        "yet: " + "; ".join(item.title for item in unphotographed) + ".")
    if problems:
        _refuse_submit(
            actor, link, "answers missing" if missing else "photos missing",
            ValidationFailed("\n".join(problems)), missing=len(missing),
            photos_missing=len(unphotographed))
    submission = InspectionSubmission(**subject.keys(), client_id=client_id,
                                      user_id=actor.id, submitted_at=utcnow())
    db.session.add(submission)
    db.session.flush()
    try:
        # Scores, and commits the assessment together with the submission.
        assessment = subject.score(actor, answers)
    except (ValidationFailed, InvalidTransition, NotPermitted, NotFound) as error:
        _refuse_submit(actor, link, "not scored", error)
    submission.assessment_id = assessment.id
    audit.record("inspection.submitted", actor=actor, subject=link, details={
        "case_id": subject.case.id, "assessment_id": assessment.id, "passed": assessment.passed,
        "answers": len(answers)})
    db.session.commit()
    return assessment, True


def submit_inspection(actor: User, link: Inspected,
                      client_id: str | None = None) -> Assessment:
    """Score a property's or sampled file's draft answers with the checklist in force
    (through ``record_property_inspection`` or ``record_file_assessment``) and close the
    drafts for this round of inspection.

    Refuses, audited and with a message naming the items, while conflicts are open or
    scored items are unanswered. Idempotent: submitting again (with the same ``client_id``,
    or once the inspection is submitted) returns the same assessment and scores nothing."""
    return submit_inspection_once(actor, link, client_id)[0]


# --- the tablet's token ------------------------------------------------------------------------

def issue_device_token(actor: User) -> tuple[str, datetime]:
    """A bearer token for the tablet page of a signed-in inspector or commissioner, labelled
    "tablet", that stops working after 12 hours. Audited; refused (audited) for other roles."""
    if actor is None or actor.role not in (Role.INSPECTOR, Role.COMMISSIONER):
        refuse(actor, NotPermitted("Only inspectors use the tablet inspection pages."),
               "device token for a role that does not inspect")
    expires_at = utcnow() + DEVICE_TOKEN_LIFETIME
    _, token = create_token(actor, TABLET_TOKEN_NAME, actor=actor, expires_at=expires_at)
    return token, expires_at
