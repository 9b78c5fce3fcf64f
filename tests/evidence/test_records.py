"""Evidence records through their operations: what is stored and recorded, who may add and
download what, history, locking, quota and scanning."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image
from werkzeug.datastructures import FileStorage

from accreditation.audit import AuditEvent
from accreditation.cases import operations as case_operations
from accreditation.cases.models import Condition
from accreditation.errors import Conflict, InvalidTransition, NotFound, NotPermitted
from accreditation.evidence import operations, storage_health
from accreditation.evidence.errors import UploadRejected
from accreditation.evidence.models import Evidence, EvidenceKind, EvidencePurpose, ScanStatus
from accreditation.evidence.scanning import ClamdScanner
from accreditation.extensions import db

from ..factories import PropertyFactory, UserFactory
from ..services import free_port
from . import samples
from .test_images import encode, exif_with_gps, marked_photo
from .test_scanning import EICAR

PDF = samples.pdf()


def upload(actor, data: bytes = PDF, filename: str = "Policy.pdf", *,
           purpose=EvidencePurpose.POLICY, organisation=None, **links) -> Evidence:
    organisation = organisation or (links.get("case").organisation if links.get("case")
                                    else actor.organisation)
    return operations.upload_evidence(
        actor, organisation, FileStorage(io.BytesIO(data), filename=filename), purpose=purpose,
        **links)


def read(storage, key: str) -> bytes:
    with storage.open(key) as stream:
        return stream.read()


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def rows() -> list[Evidence]:
    return list(db.session.scalars(sa.select(Evidence).order_by(Evidence.id)))


@pytest.fixture
def provider(app):
    return UserFactory(provider=True)


@pytest.fixture
def case_with_inspector(app):
    """A provider's application (draft) with an inspector assigned: built by the operations."""
    provider = UserFactory(provider=True)
    commissioner = UserFactory(commissioner=True)
    inspector = UserFactory(inspector=True)
    case = case_operations.start_application(provider)
    # Assigned as passing due diligence does; who may see evidence is what is tested here.
    case.inspector = inspector
    db.session.commit()
    return case, provider, inspector, commissioner


# --- what an upload stores and records ---------------------------------------------------------

def test_a_document_is_stored_under_a_generated_key_and_recorded(provider, app_storage):
    evidence = upload(provider, filename="../../etc/Gas safety 2026.pdf",
                      purpose=EvidencePurpose.GAS_SAFETY_CERTIFICATE)
    assert evidence.storage_key.startswith("evidence/") and "Gas" not in evidence.storage_key
    assert read(app_storage, evidence.storage_key) == PDF
    assert (evidence.kind, evidence.content_type) == (EvidenceKind.DOCUMENT, "application/pdf")
    assert evidence.display_filename == "Gas safety 2026.pdf"
    assert evidence.size_bytes == len(PDF) and len(evidence.sha256) == 64
    assert evidence.scan_status is ScanStatus.NOT_SCANNED and evidence.scanned_at is None
    assert evidence.organisation_id == provider.organisation_id
    assert evidence.uploaded_by_id == provider.id
    assert evidence.preview_key is None and evidence.is_current and not evidence.is_locked


def test_the_audit_event_has_ids_sizes_and_hashes_but_no_file_name_or_content(provider):
    evidence = upload(provider, filename="Jane Smith DBS certificate.pdf")
    [event] = events("evidence.uploaded")
    assert event.subject_id == str(evidence.id) and event.actor_id == provider.id
    assert event.details["sha256"] == evidence.sha256
    assert event.details["size"] == len(PDF)
    assert event.details["purpose"] == "policy"
    assert "Jane" not in str(event.details) and "%PDF" not in str(event.details)


def test_a_photo_loses_its_gps_location_and_gets_a_preview(provider, app_storage):
    original = encode(marked_photo((400, 300)), "JPEG", exif=exif_with_gps())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    evidence = upload(provider, original, "IMG_0042.JPG", purpose=EvidencePurpose.PHOTO)
    stored = read(app_storage, evidence.storage_key)
    photo = Image.open(io.BytesIO(stored))
    assert not photo.getexif() and not photo.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"GPS" not in stored and b"PhoneMaker" not in stored
    assert evidence.kind is EvidenceKind.PHOTO and evidence.content_type == "image/jpeg"
    assert evidence.size_bytes == len(stored) and evidence.display_filename == "IMG_0042.JPG"
    preview = Image.open(io.BytesIO(read(app_storage, evidence.preview_key)))
    assert max(preview.size) <= 320 and not preview.getexif()


def test_an_image_sent_as_a_document_is_cleaned_too(provider, app_storage):
    original = encode(marked_photo(), "JPEG", exif=exif_with_gps())
    evidence = upload(provider, original, "certificate.jpg",
                      purpose=EvidencePurpose.GAS_SAFETY_CERTIFICATE)
    assert evidence.kind is EvidenceKind.PHOTO
    assert b"GPS" not in read(app_storage, evidence.storage_key)


def test_a_photo_must_be_an_image(provider, app_storage):
    with pytest.raises(UploadRejected, match="must be a JPEG, PNG or HEIC") as refused:
        upload(provider, PDF, "photo.pdf", purpose=EvidencePurpose.PHOTO)
    assert refused.value.field == "file"
    assert rows() == [] and list(app_storage.list_keys()) == []


def test_an_unknown_purpose_is_refused_on_its_field(provider):
    with pytest.raises(UploadRejected) as refused:
        upload(provider, purpose="tax return")
    assert refused.value.field == "purpose"


# --- who may add evidence ----------------------------------------------------------------------

def test_a_provider_cannot_add_to_another_organisation(provider, app_storage):
    other = UserFactory(provider=True)
    with pytest.raises(NotFound):
        upload(provider, organisation=other.organisation)
    assert rows() == [] and list(app_storage.list_keys()) == []
    [denied] = events("access.denied")
    assert denied.actor_id == provider.id
    assert denied.details["organisation_id"] == other.organisation_id


def test_inspectors_add_photos_to_applications_assigned_to_them(case_with_inspector):
    case, _provider, inspector, _commissioner = case_with_inspector
    photo = upload(inspector, samples.jpeg(), "kitchen.jpg", purpose=EvidencePurpose.PHOTO,
                   case=case, item_id="fire_doors")
    assert (photo.case_id, photo.item_id, photo.organisation_id) == (
        case.id, "fire_doors", case.organisation_id)
    with pytest.raises(NotPermitted, match="photos only"):
        upload(inspector, case=case, purpose=EvidencePurpose.POLICY)
    stranger = UserFactory(inspector=True)
    with pytest.raises(NotFound):
        upload(stranger, samples.jpeg(), "x.jpg", purpose=EvidencePurpose.PHOTO, case=case)
    assert [event.actor_id for event in events("access.denied")] == [inspector.id, stranger.id]


def test_commissioners_add_to_any_application_and_social_workers_to_none(case_with_inspector):
    case, *_people = case_with_inspector
    commissioner = UserFactory(commissioner=True)
    assert upload(commissioner, case=case).uploaded_by_id == commissioner.id
    social_worker = UserFactory(social_worker=True)
    with pytest.raises(NotPermitted):
        upload(social_worker, case=case)


def test_a_property_must_be_the_organisations_own(provider):
    mine = PropertyFactory(organisation=provider.organisation)
    assert upload(provider, home=mine).property_id == mine.id
    with pytest.raises(NotFound):
        upload(provider, home=PropertyFactory())


def test_evidence_for_a_condition_goes_with_its_application(case_with_inspector):
    case, provider, *_ = case_with_inspector
    action = Condition(case=case, item_id="fire_doors", item_title="Fire doors",
                              description="Fit self-closers", due_on=date(2027, 1, 31))
    db.session.add(action)
    db.session.commit()
    evidence = upload(provider, condition=action)
    assert (evidence.condition_id, evidence.case_id) == (action.id, case.id)
    other = case_operations.start_application(UserFactory(provider=True))
    with pytest.raises(NotFound, match="condition"):
        upload(provider, condition=action, case=other, organisation=other.organisation)


def test_nothing_is_added_to_a_closed_application(case_with_inspector):
    case, provider, *_ = case_with_inspector
    case_operations.withdraw_application(provider, case, expected_version=case.version)
    with pytest.raises(InvalidTransition, match="withdrawn"):
        upload(provider, case=case)


# --- history, locking, removing ----------------------------------------------------------------

def test_a_new_version_supersedes_the_old_which_stays_in_the_history(provider, app_storage):
    first = upload(provider, filename="policy v1.pdf")
    second = upload(provider, samples.pdf(b"% v2\n"), "policy v2.pdf", supersedes=first)
    third = upload(provider, samples.pdf(b"% v3\n"), "policy v3.pdf", supersedes=second)
    assert (third.supersedes_id, second.supersedes_id) == (second.id, first.id)
    assert not first.is_current and not second.is_current and third.is_current
    assert read(app_storage, first.storage_key) == PDF  # never overwritten
    [entry] = operations.evidence_of(provider.organisation)
    assert entry.current == third and entry.history == [second, first]
    assert events("evidence.uploaded")[-1].details["supersedes_id"] == second.id


def test_a_version_can_be_superseded_only_once(provider):
    first = upload(provider)
    upload(provider, supersedes=first)
    with pytest.raises(Conflict, match="already been replaced"):
        upload(provider, supersedes=first)


def test_a_new_version_keeps_the_purpose(provider):
    first = upload(provider, purpose=EvidencePurpose.LEASE)
    with pytest.raises(UploadRejected, match="must also be a lease"):
        upload(provider, purpose=EvidencePurpose.POLICY, supersedes=first)


def test_submitting_a_stage_locks_its_evidence_for_good(journey, app_storage):
    provider, organisation = journey.provider, journey.organisation
    before = upload(provider, filename="insurance.pdf",
                    purpose=EvidencePurpose.INSURANCE_CERTIFICATE)  # before any application
    case = journey.submit()  # submitting locks what was sent with it
    assert before.is_locked
    with_case = upload(provider, filename="lease.pdf", purpose=EvidencePurpose.LEASE, case=case)
    elsewhere = upload(UserFactory(provider=True))  # another organisation: untouched
    assert operations.lock_case_evidence(case) == 1  # the next stage locks what came since
    db.session.commit()
    assert before.is_locked and with_case.is_locked and not elsewhere.is_locked
    with pytest.raises(InvalidTransition, match="cannot be replaced"):
        upload(provider, filename="insurance 2.pdf",
               purpose=EvidencePurpose.INSURANCE_CERTIFICATE, supersedes=before)
    with pytest.raises(InvalidTransition, match="cannot be removed"):
        operations.remove_evidence(provider, with_case)
    # Three here, besides the documents the application was submitted with.
    assert len([row for row in rows() if row.requirement is None]) == 3
    assert app_storage.exists(before.storage_key)
    # New files can still be added; they are locked with the next stage.
    later = upload(provider, filename="insurance 2.pdf", organisation=organisation,
                   purpose=EvidencePurpose.INSURANCE_CERTIFICATE, case=case)
    assert not later.is_locked


def test_removing_the_latest_version_brings_back_the_one_before(provider, app_storage):
    first = upload(provider)
    second = upload(provider, samples.jpeg(), "photo.jpg", purpose=EvidencePurpose.POLICY,
                    supersedes=first)
    keys = [second.storage_key, second.preview_key]
    with pytest.raises(InvalidTransition, match="latest version"):
        operations.remove_evidence(provider, first)
    operations.remove_evidence(provider, second)
    assert rows() == [first] and first.is_current
    assert not any(app_storage.exists(key) for key in keys)
    assert app_storage.exists(first.storage_key)
    assert events("evidence.removed")[0].subject_id == str(second.id)


def test_files_are_replaced_or_removed_only_by_the_side_that_added_them(case_with_inspector):
    case, provider, inspector, commissioner = case_with_inspector
    document = upload(provider, case=case)
    photo = upload(inspector, samples.jpeg(), "hall.jpg", purpose=EvidencePurpose.PHOTO,
                   case=case)
    assert operations.can_change_evidence(provider, document)
    assert not operations.can_change_evidence(provider, photo)
    assert not operations.can_change_evidence(commissioner, document)
    with pytest.raises(NotPermitted, match="Only whoever added hall.jpg can replace it"):
        upload(provider, samples.jpeg(), "mine.jpg", purpose=EvidencePurpose.PHOTO,
               supersedes=photo)
    with pytest.raises(NotPermitted, match="Only whoever added"):
        operations.remove_evidence(provider, photo)
    with pytest.raises(NotPermitted):
        operations.remove_evidence(commissioner, document)
    assert len(rows()) == 2
    operations.remove_evidence(inspector, photo)
    assert rows() == [document]


def test_another_provider_cannot_remove_a_file(provider):
    evidence = upload(provider)
    with pytest.raises(NotFound):
        operations.remove_evidence(UserFactory(provider=True), evidence)
    assert rows() == [evidence]


# --- quota -------------------------------------------------------------------------------------

def test_the_quota_counts_every_version_and_refuses_what_does_not_fit(app, provider, app_storage):
    first = upload(provider)
    app.config["EVIDENCE_QUOTA_BYTES"] = 2 * len(PDF) + 10
    upload(provider, supersedes=first)
    assert operations.used_bytes(provider.organisation) == 2 * len(PDF)
    with pytest.raises(UploadRejected, match="has used .* of its .* of evidence storage") as full:
        upload(provider)
    assert full.value.field == "file"
    assert len(rows()) == 2 and len(list(app_storage.list_keys())) == 2
    # Staff are never stopped by a provider's allowance.
    assert upload(UserFactory(commissioner=True), organisation=provider.organisation)


# --- scanning and downloading ------------------------------------------------------------------

def test_without_a_scanner_files_are_released_as_not_scanned(provider, app):
    evidence = upload(provider)
    assert operations.is_downloadable(evidence)
    # Once a scanner is configured, files nobody scanned are held back until scanned.
    app.extensions["evidence_scanner"] = ClamdScanner(f"tcp://127.0.0.1:{free_port()}")
    assert not operations.is_downloadable(evidence)


@pytest.fixture
def unreachable_scanner():
    return f"tcp://127.0.0.1:{free_port()}"


def test_an_unreachable_scanner_keeps_the_file_quarantined(app, provider, app_storage,
                                                          unreachable_scanner):
    app.extensions["evidence_scanner"] = ClamdScanner(unreachable_scanner, timeout=2)
    evidence = upload(provider)
    assert evidence.scan_status is ScanStatus.ERROR and evidence.scanned_at is not None
    assert app_storage.exists(evidence.storage_key)  # kept, to be scanned again
    with pytest.raises(operations.EvidenceUnavailable, match="waiting for a virus check"):
        operations.download(provider, evidence)
    [refused] = events("evidence.download_refused")
    assert refused.details == {"scan_status": "error"}
    assert events("evidence.downloaded") == []
    assert storage_health()["scanner"] == "unavailable"


def test_a_clean_scan_releases_and_a_virus_quarantines(app, provider, clamd_url):
    app.extensions["evidence_scanner"] = ClamdScanner(clamd_url, timeout=5)
    clean = upload(provider)
    assert clean.scan_status is ScanStatus.CLEAN and operations.is_downloadable(clean)
    infected = upload(provider, samples.pdf(b"% " + EICAR + b"\n"), "nasty.pdf")
    assert infected.scan_status is ScanStatus.INFECTED
    with pytest.raises(operations.EvidenceUnavailable, match="found a threat"):
        operations.download(provider, infected)


def test_rescanning_releases_files_once_the_scanner_is_back(app, provider, clamd_url,
                                                           unreachable_scanner):
    app.extensions["evidence_scanner"] = ClamdScanner(unreachable_scanner, timeout=2)
    held = upload(provider)
    assert operations.rescan_quarantined() == {"clean": 0, "infected": 0, "error": 1}
    app.extensions["evidence_scanner"] = ClamdScanner(clamd_url, timeout=5)
    assert operations.rescan_quarantined() == {"clean": 1, "infected": 0, "error": 0}
    db.session.refresh(held)
    assert held.scan_status is ScanStatus.CLEAN and operations.is_downloadable(held)
    assert [event.details["to"] for event in events("evidence.scanned")] == ["error", "clean"]


def test_who_may_download_what(case_with_inspector):
    case, provider, inspector, commissioner = case_with_inspector
    with_case = upload(provider, case=case)
    outside = upload(provider, filename="insurance.pdf")  # sent outside any application
    for user in (provider, inspector, commissioner):
        for evidence in (with_case, outside):
            assert operations.can_view_evidence(user, evidence), (user, evidence)
    for user in (UserFactory(provider=True), UserFactory(inspector=True),
                 UserFactory(social_worker=True)):
        for evidence in (with_case, outside):
            assert not operations.can_view_evidence(user, evidence), (user, evidence)


def test_a_download_is_audited_without_the_link(provider, app_storage):
    evidence = upload(provider)
    result = operations.download(provider, evidence)
    with result.stream as stream:
        assert stream.read() == PDF
    [event] = events("evidence.downloaded")
    assert event.actor_id == provider.id and event.details["via"] == "app"
    assert event.details["sha256"] == evidence.sha256


def test_health_reports_the_storage_and_the_scanner(app):
    assert storage_health() == {"status": "ok", "backend": "local", "scanner": "not configured"}


# --- the table refuses inconsistent rows -------------------------------------------------------

@pytest.mark.parametrize("changes", [
    {"kind": EvidenceKind.DOCUMENT, "preview_key": "evidence/x-preview"},
    {"kind": EvidenceKind.PHOTO, "preview_key": None},
    {"purpose": EvidencePurpose.PHOTO},
    {"scan_status": ScanStatus.CLEAN},
    {"item_id": "fire_doors"},
    {"size_bytes": 0},
], ids=["document with preview", "photo without preview", "photo that is a document",
        "scan result without time", "item without case", "empty"])
def test_check_constraints(provider, changes):
    fields = dict(organisation_id=provider.organisation_id, purpose=EvidencePurpose.POLICY,
                  kind=EvidenceKind.DOCUMENT, uploaded_by_id=provider.id,
                  storage_key="evidence/2026/11/abc", display_filename="a.pdf",
                  content_type="application/pdf", size_bytes=10, sha256="0" * 64,
                  scan_status=ScanStatus.NOT_SCANNED)
    db.session.add(Evidence(**{**fields, **changes}))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
