"""Operations on evidence records: upload, download, lock, remove, rescan and sweep.

The file and its record must never disagree in the harmful direction: a record always points
at a stored object. So an upload stores the object *before* its row commits, and removes the
object again if the commit fails; a crash in between leaves only an object without a row,
which ``sweep_orphans`` removes later (it only ever removes objects no row names). Removing a
record works the other way round: the row goes first, then the object.

Each operation checks who may act (refusals are audited), checks its guards, writes one audit
event (ids, sizes and hashes; never file contents, filenames or other personal data) and
commits once.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import timedelta
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from .. import audit
from ..auth.models import Role, User
from ..cases.access import assigned_to, can_view_case, is_assigned_inspector
from ..cases.models import Case, Condition, open_case_for
from ..database import utcnow
from ..denials import refuse
from ..errors import Conflict, DomainError, InvalidTransition, NotFound, NotPermitted
from ..extensions import db
from ..providers.models import Organisation, Property
from ..providers.operations import editing_frozen_reason
from . import requirements
from .content import describe_size, inspect_upload
from .errors import UploadRejected
from .images import clean_image
from .models import SCANNED, Evidence, EvidenceKind, EvidencePurpose, ScanStatus
from .scanning import Scanner
from .storage import (
    CHUNK,
    KEY_PREFIX,
    ObjectNotFound,
    Storage,
    StorageError,
    new_key,
)

log = logging.getLogger(__name__)

GiB = 1024 * 1024 * 1024
# Presigned download links are for the person who was just allowed to follow one.
DOWNLOAD_URL_SECONDS = 60
SWEEP_BATCH = 500
_ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")

PHOTO_TYPES_MESSAGE = "The photo must be a JPEG, PNG or HEIC file"
NO_FILE_MESSAGE = "Choose a file to upload"
NOT_FOUND_MESSAGE = "We could not find that file."


class EvidenceUnavailable(DomainError):
    """The record exists and may be seen, but its file may not be downloaded (yet)."""

    status_code = 409
    title = "This file cannot be downloaded"


class StorageUnavailable(DomainError):
    status_code = 503
    title = "Sorry, files cannot be saved or opened just now"


def storage() -> Storage:
    return current_app.extensions["evidence_storage"]


def scanner() -> Scanner:
    return current_app.extensions["evidence_scanner"]


# --- who may do what ---------------------------------------------------------------------------

def can_view_evidence(user: User, evidence: Evidence) -> bool:
    """Providers see their own organisation's evidence; inspectors and commissioners the
    evidence of applications they work on (``can_view_case``); social workers none.

    Evidence sent outside an application (``case`` empty, e.g. an insurance certificate sent
    before applying) goes with every application of its organisation.
    """
    if user.role is Role.PROVIDER:
        return evidence.organisation_id == user.organisation_id
    if user.role is Role.SOCIAL_WORKER:
        return False
    if evidence.case is not None:
        return can_view_case(user, evidence.case)
    if user.role is Role.COMMISSIONER:
        return True
    return db.session.scalar(sa.select(sa.exists().where(
        Case.organisation_id == evidence.organisation_id, assigned_to(user))))


def _upload_refusal(actor: User, organisation: Organisation, case: Case | None,
                    purpose: EvidencePurpose) -> tuple[str, DomainError] | None:
    """Why ``actor`` may not add evidence here (for the audit trail, and the error to raise),
    or ``None`` if they may. Providers add to their own organisation; inspectors add photos to
    the applications assigned to them; commissioners add to any; social workers never."""
    if actor.role is Role.PROVIDER:
        if organisation.id == actor.organisation_id:
            return None
        return "evidence of another organisation", NotFound(NOT_FOUND_MESSAGE)
    if actor.role is Role.COMMISSIONER:
        return None
    if actor.role is Role.INSPECTOR:
        if case is None or not is_assigned_inspector(actor, case):
            return ("inspector not assigned to the application",
                    NotFound("We could not find that application."))
        if purpose is not EvidencePurpose.PHOTO:
            # Inspectors record what they see (photos on inspection items), not documents.
            return "inspectors add photos only", NotPermitted("Inspectors can add photos only.")
        return None
    return "role may not add evidence", NotPermitted("You cannot add evidence.")


def is_changeable_by(user: User, evidence: Evidence) -> bool:
    """Whether ``user`` may replace or remove ``evidence`` (lock and history aside): files
    are changed by the side that added them. A provider changes its organisation's own
    uploads, never an inspector's photos; staff change only what they added themselves."""
    if user.role is Role.PROVIDER:
        return (evidence.organisation_id == user.organisation_id
                and evidence.uploaded_by.role is Role.PROVIDER)
    return user.role in (Role.INSPECTOR, Role.COMMISSIONER) and evidence.uploaded_by_id == user.id


def is_inspection_photo(evidence: Evidence) -> bool:
    """A photo of a checklist item, taken during an inspection: kept on record. The inspector
    takes it back on the inspection page, which marks it withdrawn and deletes nothing
    (``stages.inspection_drafts.withdraw_item_photo``); the file pages never change it."""
    return evidence.purpose is EvidencePurpose.PHOTO and evidence.item_id is not None


def can_change_evidence(user: User, evidence: Evidence) -> bool:
    """What the pages offer: a new version or removal of the latest, unlocked version."""
    return (evidence.is_current and not evidence.is_locked and not is_inspection_photo(evidence)
            and is_changeable_by(user, evidence))


def is_downloadable(evidence: Evidence) -> bool:
    """Released by a clean scan; or never scanned, while no scanner is configured at all.
    Once a scanner is configured, files uploaded before it stay back until scanned."""
    if evidence.scan_status is ScanStatus.CLEAN:
        return True
    return evidence.scan_status is ScanStatus.NOT_SCANNED and not scanner().configured


# --- reading -----------------------------------------------------------------------------------

@dataclass
class EvidenceEntry:
    """The current version of a file and the versions it replaced, newest first."""

    current: Evidence
    history: list[Evidence] = field(default_factory=list)


def _with_history(records: Iterable[Evidence]) -> list[EvidenceEntry]:
    records = list(records)
    by_id = {record.id: record for record in records}
    entries = []
    for record in records:
        if not record.is_current:
            continue
        entry = EvidenceEntry(record)
        older = by_id.get(record.supersedes_id)
        while older is not None:
            entry.history.append(older)
            older = by_id.get(older.supersedes_id)
        entries.append(entry)
    return sorted(entries, key=lambda entry: (entry.current.created_at, entry.current.id),
                  reverse=True)


def _shown() -> tuple:
    """What the pages show of each file, loaded with the files rather than one query per row
    (built when asked: at import time not every model is mapped yet)."""
    return selectinload(Evidence.uploaded_by), selectinload(Evidence.home)


def evidence_of(organisation: Organisation) -> list[EvidenceEntry]:
    """Everything an organisation has sent or had recorded, with each file's history."""
    return _with_history(db.session.scalars(
        sa.select(Evidence).where(Evidence.organisation_id == organisation.id)
        .options(*_shown())))


def evidence_for_case(case: Case) -> list[EvidenceEntry]:
    """The evidence an application is assessed on: its own, and its organisation's evidence
    sent outside any application (the same set ``can_view_evidence`` opens to its staff)."""
    return _with_history(db.session.scalars(
        sa.select(Evidence).where(
            Evidence.organisation_id == case.organisation_id,
            sa.or_(Evidence.case_id == case.id, Evidence.case_id.is_(None)))
        .options(*_shown())))


def used_bytes(organisation: Organisation) -> int:
    """What the organisation's files take up, earlier versions included (they are kept)."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Evidence.size_bytes), 0))
        .where(Evidence.organisation_id == organisation.id))
    return int(total)  # PostgreSQL sums BIGINT as NUMERIC


def describe_bytes(size: int) -> str:
    if size >= GiB:
        return f"{size / GiB:.1f} GB".replace(".0 GB", " GB")
    return describe_size(size)


# --- upload ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Object:
    key: str
    data: BinaryIO | bytes
    content_type: str
    size: int
    # Of the bytes as they were checked: the storage refuses bytes that do not have it.
    crc32: int | None = None


def _purpose(value: EvidencePurpose | str) -> EvidencePurpose:
    try:
        return EvidencePurpose(value)
    except ValueError:
        raise UploadRejected("Choose what the file is", field="purpose") from None


def _item_id(value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is not None and not _ITEM_ID.fullmatch(value):
        raise UploadRejected("The checklist item is not one we know", field="item_id")
    return value


def upload_evidence(actor: User, organisation: Organisation, file_storage: FileStorage | None,
                    *, purpose: EvidencePurpose | str, case: Case | None = None,
                    item_id: str | None = None,
                    condition: Condition | None = None,
                    supersedes: Evidence | None = None,
                    home: Property | None = None,
                    requirement: str | None = None,
                    client_id: str | None = None,
                    marks_up: Evidence | None = None) -> Evidence:
    """Check, clean, scan and store an uploaded file, and record it.

    Guarantees: nothing is stored for a refused upload (``UploadRejected`` says why, on the
    ``file`` field unless another field is at fault); the object is stored before its row is
    committed and deleted again if the commit fails, so no row ever points at a missing
    object; photos are re-encoded without metadata (EXIF GPS above all) and get a preview;
    with a scanner configured the file is scanned and stays quarantined unless it is clean
    (an unreachable scanner gives ``error``: quarantined, never released); one audit event.

    A new version (``supersedes``) keeps the old record as history; it takes the old one's
    application, item, condition, property and requirement, and must be for the same
    purpose.

    ``client_id`` (unique) names the upload as the sending device made it; a second upload
    with the same one fails to commit (``Conflict``) and stores nothing. ``marks_up``: the
    photo this one is a marked-up copy of (an arrow or a circle drawn on it); it stays.
    """
    purpose = _purpose(purpose)
    item_id = _item_id(item_id)
    if supersedes is not None:
        if supersedes.organisation_id != organisation.id:
            raise NotFound(NOT_FOUND_MESSAGE)
        if supersedes.purpose is not purpose:
            raise UploadRejected(
                f"A new version must also be a {supersedes.purpose.label.lower()}",
                field="purpose")
        case = case or supersedes.case
        item_id = item_id or supersedes.item_id
        condition = condition or supersedes.condition
        home = home or supersedes.home
        requirement = requirement or supersedes.requirement
    if condition is not None:
        case = case or condition.case
        if condition.case_id != case.id:
            raise NotFound("We could not find that condition.")
    if case is not None and case.organisation_id != organisation.id:
        raise NotFound("We could not find that application.")
    if home is not None and home.organisation_id != organisation.id:
        raise NotFound("We could not find that property.")
    if item_id is not None and case is None:
        raise UploadRejected("A checklist item belongs to an application", field="item_id")

    refusal = _upload_refusal(actor, organisation, case, purpose)
    if refusal is not None:
        reason, error = refusal
        refuse(actor, error, reason, subject=case, organisation_id=organisation.id)
    if supersedes is not None:
        _ensure_can_replace(actor, supersedes)
    if case is not None and case.status.is_closed:
        raise InvalidTransition(
            f"Application {case.reference} is {case.status.phrase}: files can no "
            "longer be added to it.")
    if file_storage is None or not file_storage.filename:
        raise UploadRejected(NO_FILE_MESSAGE, field="file")

    config = current_app.config
    try:
        checked = inspect_upload(file_storage.stream, filename=file_storage.filename,
                                 max_bytes=config["EVIDENCE_MAX_BYTES"])
    except UploadRejected as error:  # keep its kind (a file too large is a 413)
        _record_refused_file(actor, organisation, error)
        raise type(error)(error.message, field="file") from None
    with checked:
        if purpose is EvidencePurpose.PHOTO and not checked.is_image:
            raise UploadRejected(PHOTO_TYPES_MESSAGE, field="file")
        key = new_key()
        if checked.is_image:
            try:
                photo = clean_image(checked)
            except UploadRejected as error:
                _record_refused_file(actor, organisation, error)
                raise UploadRejected(error.message, field="file") from None
            objects = [_Object(key, photo.data, photo.content_type, photo.size, photo.crc32),
                       _Object(f"{key}-preview", photo.preview, photo.preview_content_type,
                               len(photo.preview))]
            record = Evidence(kind=EvidenceKind.PHOTO, preview_key=objects[1].key,
                              display_filename=photo.display_filename,
                              content_type=photo.content_type, size_bytes=photo.size)
            scanned: BinaryIO = io.BytesIO(photo.data)
        else:
            objects = [_Object(key, checked.stream, checked.content_type, checked.size,
                               checked.crc32)]
            record = Evidence(kind=EvidenceKind.DOCUMENT, display_filename=checked.display_filename,
                              content_type=checked.content_type, size_bytes=checked.size)
            scanned = checked.stream
        if actor.role is Role.PROVIDER:
            # Staff uploads are counted but never refused: an inspection must not stop
            # because a provider filled its allowance.
            _check_quota(organisation, record.size_bytes)
        record.organisation_id = organisation.id
        record.case_id = case.id if case else None
        record.item_id = item_id
        record.condition_id = condition.id if condition else None
        record.property_id = home.id if home else None
        record.requirement = requirement
        record.purpose = purpose
        record.uploaded_by_id = actor.id
        record.storage_key = key
        record.supersedes_id = supersedes.id if supersedes else None
        record.client_id = client_id
        record.marks_up_id = marks_up.id if marks_up else None
        # Scanned before it is stored: the time between storing and committing stays short.
        _apply_scan(record, scanned)
        if not checked.is_image:  # photos are stored from their re-encoded bytes
            checked.stream.seek(0)  # the scan read it to the end; storing reads from here
        _store_and_commit(actor, record, objects, supersedes)
    return record


def upload_provider_evidence(actor: User, file_storage: FileStorage | None, *,
                             purpose: EvidencePurpose | str,
                             supersedes: Evidence | None = None) -> Evidence:
    """A provider's upload from its evidence page: for its own organisation, and with its
    application in progress if it has one (so that submitting a stage locks it). A new
    version stays with whatever the version it replaces was sent with."""
    organisation = actor.organisation
    case = None if supersedes else open_case_for(organisation)
    return upload_evidence(actor, organisation, file_storage, purpose=purpose, case=case,
                           supersedes=supersedes)


def upload_required_evidence(actor: User, key: str, home: Property | None,
                             file_storage: FileStorage | None, *,
                             supersedes: Evidence | None = None) -> Evidence:
    """A provider's file for a piece of evidence a section of its application needs
    (``requirements.REQUIREMENTS``), for one of its properties where it is needed for each.

    Guarantees: only a provider, for its own organisation (another organisation's property
    or file answers 404, audited); only a piece the application needs (for a property it
    applies to); not while the application is being assessed; a new version only of a file
    for the same piece. The upload itself is ``upload_evidence``'s.
    """
    organisation = actor.organisation
    if actor.role is not Role.PROVIDER:
        refuse(actor, NotPermitted("Only providers upload their application's evidence."),
               "role may not upload an application's evidence")
    if home is not None and home.organisation_id != organisation.id:
        refuse(actor, NotFound("We could not find that property."),
               "property of another organisation", subject=home)
    if supersedes is not None and supersedes.organisation_id != organisation.id:
        refuse(actor, NotFound(NOT_FOUND_MESSAGE), "evidence of another organisation",
               subject=supersedes)
    wanted = requirements.requirement(key)
    if wanted is None or not wanted.applies_to(home):
        raise NotFound("Your application does not need that file.")
    if supersedes is not None and (supersedes.requirement != key
                                   or supersedes.property_id != (home.id if home else None)):
        raise NotFound(NOT_FOUND_MESSAGE)
    frozen = editing_frozen_reason(organisation)
    if frozen is not None:
        raise InvalidTransition(frozen)
    return upload_evidence(actor, organisation, file_storage, purpose=wanted.purpose,
                           case=None if supersedes else open_case_for(organisation),
                           home=home, requirement=key, supersedes=supersedes)


def _ensure_can_replace(actor: User, old: Evidence) -> None:
    if not is_changeable_by(actor, old):
        raise NotPermitted(f"Only whoever added {old.display_filename} can replace it.")
    if is_inspection_photo(old):
        raise InvalidTransition(f"{old.display_filename} is a photo taken during an inspection. "
                                "Take a new photo on the inspection page.")
    if old.is_locked:
        raise InvalidTransition(
            f"{old.display_filename} was sent with a stage of the application that has been "
            "submitted, so it cannot be replaced. Upload the new file on its own instead.")
    if not old.is_current:
        raise Conflict(f"{old.display_filename} has already been replaced by a newer version. "
                       "Nothing was saved: reload the page and try again.")


def _record_refused_file(actor: User, organisation: Organisation,
                         error: UploadRejected) -> None:
    """A file the content checks refused (its type, active content, a zip bomb, its size...):
    kept in the audit trail with the reason; nothing of the file is kept."""
    db.session.rollback()
    audit.record("evidence.upload_refused", actor=actor, subject=organisation,
                 details={"reason": error.message})
    db.session.commit()


def _check_quota(organisation: Organisation, size: int) -> None:
    quota = current_app.config["EVIDENCE_QUOTA_BYTES"]
    used = used_bytes(organisation)
    if used + size > quota:
        raise UploadRejected(
            f"Your organisation has used {describe_bytes(used)} of its {describe_bytes(quota)} "
            f"of evidence storage, so this file ({describe_bytes(size)}) does not fit. Remove "
            "files you no longer need, or contact the consortium's commissioning team",
            field="file")


def _apply_scan(record: Evidence, stream: BinaryIO) -> None:
    active = scanner()
    if not active.configured:
        record.scan_status, record.scanned_at = ScanStatus.NOT_SCANNED, None
        return
    result = active.scan(stream)
    record.scan_status, record.scanned_at = ScanStatus(result.status), utcnow()
    if result.status != "clean":
        # The detail is a virus name or the scanner's trouble: for the log, not for the page.
        log.warning("evidence scan: %s (%s)", result.status, result.detail)


def _store_and_commit(actor: User, record: Evidence, objects: list[_Object],
                      supersedes: Evidence | None) -> None:
    """Store the objects, then write the record, with the SHA-256 of the bytes stored, and its
    audit event and commit: a row is only ever written for an object already stored, and no
    row or audit lock is held while a file travels to the store (which may take seconds), so
    other writers never wait for it."""
    stored: list[str] = []
    try:
        for item in objects:
            sha256 = storage().put(item.key, item.data, content_type=item.content_type,
                                   size=item.size, crc32=item.crc32)
            stored.append(item.key)
            if item.key == record.storage_key:
                record.sha256 = sha256
        db.session.add(record)
        db.session.flush()
        if supersedes is not None:
            _mark_superseded(supersedes)
        audit.record("evidence.uploaded", actor=actor, subject=record, details={
            "organisation_id": record.organisation_id, "case_id": record.case_id,
            "item_id": record.item_id,
            "condition_id": record.condition_id,
            "property_id": record.property_id, "purpose": record.purpose.value,
            "requirement": record.requirement, "kind": record.kind.value,
            "content_type": record.content_type,
            "size": record.size_bytes, "sha256": record.sha256,
            "scan_status": record.scan_status.value, "supersedes_id": record.supersedes_id,
        })
    except BaseException as error:
        # Nothing was committed: the objects can go at once.
        db.session.rollback()
        _discard(stored)
        if isinstance(error, sa.exc.IntegrityError):
            raise Conflict("Someone else changed these files at the same moment. Nothing was "
                           "saved: reload the page and try again.") from None
        if isinstance(error, StorageError | OSError):
            log.error("evidence could not be stored: %s", error)
            raise StorageUnavailable("We could not save the file. Nothing was saved: try "
                                     "again in a few minutes.") from None
        raise
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _discard_unless_recorded(stored, record.storage_key)
        raise


def _mark_superseded(old: Evidence) -> None:
    # A guarded UPDATE rather than the value read earlier: it waits for, and then respects, a
    # concurrent lock (stage submitted) or replacement, whichever committed first.
    updated = db.session.execute(
        sa.update(Evidence)
        .where(Evidence.id == old.id, Evidence.superseded_at.is_(None),
               Evidence.locked_at.is_(None))
        .values(superseded_at=utcnow())
        .execution_options(synchronize_session="fetch")).rowcount
    if updated != 1:
        raise Conflict(f"{old.display_filename} was replaced or submitted while you were "
                       "uploading. Nothing was saved: reload the page and try again.")


def _discard(keys: Iterable[str]) -> None:
    for key in keys:
        try:
            storage().delete(key)
        except (StorageError, OSError) as error:
            log.warning("could not delete %s (the orphan sweep will): %s", key, error)


def _discard_unless_recorded(keys: list[str], storage_key: str) -> None:
    """After a failed commit: a commit can fail *after* the database made it durable (the
    connection drops on the way back), so look before deleting; if we cannot even look,
    leave the objects to the sweep, which removes them only if no row names them."""
    if not keys:
        return
    try:
        recorded = db.session.scalar(
            sa.select(Evidence.id).where(Evidence.storage_key == storage_key)) is not None
        db.session.rollback()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        log.warning("upload commit failed and its record cannot be checked; "
                    "leaving %s to the orphan sweep: %s", keys, error)
        return
    if not recorded:
        _discard(keys)


# --- download ----------------------------------------------------------------------------------

@dataclass
class Download:
    """What the web layer sends: a redirect to ``url`` (S3, short-lived and signed) or, when
    the backend has no URLs of its own (local disk), ``stream`` (the caller closes it)."""

    evidence: Evidence
    url: str | None = None
    stream: BinaryIO | None = None


def download(actor: User, evidence: Evidence) -> Download:
    """Let ``actor`` download ``evidence`` if they may see it and it is released.

    Every attempt is audited: ``evidence.downloaded``, ``access.denied`` (not theirs: 404, or
    403 for roles that never see evidence) or ``evidence.download_refused`` (quarantined).
    """
    if not can_view_evidence(actor, evidence):
        refuse(actor, NotPermitted("You do not have permission to see this page.")
               if actor.role is Role.SOCIAL_WORKER else NotFound(NOT_FOUND_MESSAGE),
               "evidence not visible to this user", subject=evidence)
    if not is_downloadable(evidence):
        audit.record("evidence.download_refused", actor=actor, subject=evidence,
                     details={"scan_status": evidence.scan_status.value})
        db.session.commit()
        if evidence.scan_status is ScanStatus.INFECTED:
            raise EvidenceUnavailable("Our virus scanner found a threat in this file, so it "
                                      "cannot be downloaded.")
        raise EvidenceUnavailable("This file is waiting for a virus check. You can download "
                                  "it once the check is done; try again later.")
    store = storage()
    result = Download(evidence)
    try:
        result.url = store.download_url(
            evidence.storage_key, filename=evidence.display_filename,
            expires_in=DOWNLOAD_URL_SECONDS, content_type=evidence.content_type)
        if result.url is None:
            result.stream = store.open(evidence.storage_key)
    except ObjectNotFound:
        log.error("evidence %s has no stored object %s", evidence.id, evidence.storage_key)
        raise NotFound("The file is missing. Contact the consortium's commissioning "
                       "team.") from None
    except (StorageError, OSError) as error:
        log.error("evidence %s could not be opened: %s", evidence.id, error)
        raise StorageUnavailable("We could not open the file. Try again in a few "
                                 "minutes.") from None
    try:
        audit.record("evidence.downloaded", actor=actor, subject=evidence, details={
            "via": "presigned_url" if result.url else "app", "size": evidence.size_bytes,
            "sha256": evidence.sha256})
        db.session.commit()
    except BaseException:
        if result.stream is not None:
            result.stream.close()
        raise
    return result


def open_preview(evidence: Evidence) -> BinaryIO:
    """The small JPEG rendition of a photo (made when it was uploaded, the right way up and
    without metadata), for a page that has already checked who is asking. Held back like the
    file itself until it is released by a scan. The caller closes the stream."""
    if evidence.preview_key is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    if not is_downloadable(evidence):
        raise EvidenceUnavailable("This photo is waiting for a virus check.")
    try:
        return storage().open(evidence.preview_key)
    except ObjectNotFound:
        log.error("evidence %s has no stored preview %s", evidence.id, evidence.preview_key)
        raise NotFound("The photo is missing. Contact the consortium's commissioning "
                       "team.") from None
    except (StorageError, OSError) as error:
        log.error("evidence %s preview could not be opened: %s", evidence.id, error)
        raise StorageUnavailable("We could not open the photo. Try again in a few "
                                 "minutes.") from None


# --- locking and removing ----------------------------------------------------------------------

def lock_case_evidence(case: Case) -> int:
    """Make the evidence a stage was submitted with immutable: the application's own records
    and its organisation's records sent outside any application. Call it in the operation
    that submits a stage, before that operation commits (this only flushes); returns how many
    records were locked. Locked records cannot be replaced or removed; new files can still be
    added (they are locked when the next stage is submitted)."""
    result = db.session.execute(
        sa.update(Evidence)
        .where(Evidence.organisation_id == case.organisation_id,
               sa.or_(Evidence.case_id == case.id, Evidence.case_id.is_(None)),
               Evidence.locked_at.is_(None))
        .values(locked_at=utcnow())
        .execution_options(synchronize_session="fetch"))
    db.session.flush()
    return result.rowcount


def remove_evidence(actor: User, evidence: Evidence) -> None:
    """Remove the latest version of a file that has not been submitted. The version it
    replaced, if any, becomes the latest again. The row goes first, then the object: a
    failure in between leaves only an orphan for the sweep, never a row without a file."""
    if not can_view_evidence(actor, evidence):
        refuse(actor, NotFound(NOT_FOUND_MESSAGE), "evidence not visible to this user",
               subject=evidence)
    if not is_changeable_by(actor, evidence):
        refuse(actor,
               NotPermitted(f"Only whoever added {evidence.display_filename} can remove it."),
               "evidence added by someone else", subject=evidence)
    if is_inspection_photo(evidence):
        raise InvalidTransition(
            f"{evidence.display_filename} is a photo taken during an inspection. Remove it "
            "from the inspection page.")
    if evidence.is_locked:
        raise InvalidTransition(
            f"{evidence.display_filename} was sent with a stage of the application that has "
            "been submitted, so it cannot be removed.")
    if not evidence.is_current:
        raise InvalidTransition("Only the latest version of a file can be removed.")
    keys = [key for key in (evidence.storage_key, evidence.preview_key) if key]
    audit.record("evidence.removed", actor=actor, subject=evidence, details={
        "organisation_id": evidence.organisation_id, "case_id": evidence.case_id,
        "purpose": evidence.purpose.value, "size": evidence.size_bytes,
        "sha256": evidence.sha256, "supersedes_id": evidence.supersedes_id})
    older = evidence.supersedes
    db.session.delete(evidence)
    db.session.flush()
    if older is not None:
        older.superseded_at = None
    db.session.commit()
    _discard(keys)


# --- background work ---------------------------------------------------------------------------

def rescan_quarantined(limit: int | None = None) -> dict[str, int]:
    """Scan again what is held back for want of a scan: ``error`` (the scanner failed or was
    unreachable), ``pending``, and files uploaded before a scanner was configured. Returns how
    many ended in each status. One commit per file, so progress survives an interruption."""
    active = scanner()
    counts = {status.value: 0 for status in SCANNED}
    if not active.configured:
        return counts
    query = (sa.select(Evidence)
             .where(Evidence.scan_status.in_(
                 (ScanStatus.ERROR, ScanStatus.PENDING, ScanStatus.NOT_SCANNED)))
             .order_by(Evidence.id).limit(limit))
    for record in db.session.scalars(query).all():
        try:
            stream = storage().open(record.storage_key)
        except (StorageError, OSError) as error:
            log.error("evidence %s could not be opened for scanning: %s", record.id, error)
            continue
        with stream:
            result = active.scan(stream)
        before = record.scan_status.value
        record.scan_status, record.scanned_at = ScanStatus(result.status), utcnow()
        audit.record("evidence.scanned", subject=record,
                     details={"from": before, "to": result.status})
        db.session.commit()
        counts[result.status] += 1
    return counts


def sweep_orphans(older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete stored objects that no record names and that were written before
    ``now - older_than``; returns how many were removed.

    The age keeps it away from uploads in progress (stored, not yet committed). An object a
    record names, as its file or its preview, is never removed, whatever its age. On local
    disk, temp files left by writes that crashed are removed too (and counted).
    """
    store = storage()
    cutoff = utcnow() - older_than
    removed = 0
    batch: list[str] = []
    for key in store.list_keys(KEY_PREFIX, older_than=cutoff):
        batch.append(key)
        if len(batch) >= SWEEP_BATCH:
            removed += _remove_unrecorded(store, batch)
            batch = []
    removed += _remove_unrecorded(store, batch)
    remove_temp_files = getattr(store, "remove_stale_temp_files", None)
    if remove_temp_files is not None:
        removed += remove_temp_files(older_than.total_seconds())
    if removed:
        audit.record("evidence.orphans_swept", details={"removed": removed})
        db.session.commit()
    return removed


def _remove_unrecorded(store: Storage, keys: list[str]) -> int:
    if not keys:
        return 0
    recorded = set(db.session.scalars(
        sa.select(Evidence.storage_key).where(Evidence.storage_key.in_(keys))))
    recorded |= set(db.session.scalars(
        sa.select(Evidence.preview_key).where(Evidence.preview_key.in_(keys))))
    db.session.rollback()  # end the read: deleting can take a while
    removed = 0
    for key in keys:
        if key not in recorded:
            store.delete(key)
            removed += 1
    return removed



def upload_condition_evidence(actor: User, condition: Condition,
                              file_storage: FileStorage | None) -> Evidence:
    """A provider's evidence that it has met a condition of its accreditation."""
    if actor.role is not Role.PROVIDER or condition.case.organisation_id != actor.organisation_id:
        refuse(actor, NotFound("We could not find that condition."),
               "condition of another organisation", subject=condition.case)
    return upload_evidence(actor, actor.organisation, file_storage,
                           purpose=EvidencePurpose.OTHER, case=condition.case,
                           condition=condition)


def evidence_for_condition(condition: Condition) -> list[Evidence]:
    """The current files sent for a condition, oldest first."""
    return [record for record in db.session.scalars(
        sa.select(Evidence).where(Evidence.condition_id == condition.id)
        .order_by(Evidence.id)) if record.is_current]


@dataclass
class StoreCheck:
    """What ``verify_stored`` found: records checked, and the keys of objects missing or whose
    bytes are not those the record's SHA-256 was taken of."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.different


def verify_stored(batch_size: int = SWEEP_BATCH) -> StoreCheck:
    """Check every evidence record's object: it exists and its SHA-256 is the record's (and a
    photo's preview exists). Only reads, a batch of records at a time, so it runs on a live
    system: a file is stored before its record commits, so every record it sees has its file."""
    store = storage()
    result = StoreCheck()
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(Evidence.id, Evidence.storage_key, Evidence.sha256, Evidence.preview_key)
            .where(Evidence.id > last_id).order_by(Evidence.id).limit(batch_size)).all()
        db.session.rollback()  # end the read: reading the objects can take a while
        if not rows:
            return result
        for evidence_id, key, sha256, preview_key in rows:
            last_id = evidence_id
            result.checked += 1
            try:
                with closing(store.open(key)) as stream:
                    digest = hashlib.sha256()
                    for chunk in iter(lambda stream=stream: stream.read(CHUNK), b""):
                        digest.update(chunk)
                if digest.hexdigest() != sha256:
                    result.different.append(key)
            except ObjectNotFound:
                result.missing.append(key)
            if preview_key and not store.exists(preview_key):
                result.missing.append(preview_key)
