"""Evidence records: who uploaded which file, for what, where it is stored, and its scan.

A record never changes what it points at. A new version is a new record that ``supersedes``
the old one (the old one stays, marked ``superseded_at``), so the history of what a provider
sent is kept. Once the stage it was sent for is submitted, a record is ``locked``: it can no
longer be superseded or removed. The file itself lives in the storage backend under
``storage_key``; the user's filename is display metadata only.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_type, utcnow
from ..extensions import db


class EvidencePurpose(enum.Enum):
    INSURANCE_CERTIFICATE = "insurance_certificate"
    POLICY = "policy"
    LEASE = "lease"
    GAS_SAFETY_CERTIFICATE = "gas_safety_certificate"
    ELECTRICAL_SAFETY_CERTIFICATE = "electrical_safety_certificate"
    FIRE_RISK_ASSESSMENT = "fire_risk_assessment"
    HMO_LICENCE = "hmo_licence"
    PHOTO = "photo"
    OTHER = "other"

    @property
    def label(self) -> str:
        return PURPOSE_LABELS[self]


PURPOSE_LABELS = {
    EvidencePurpose.INSURANCE_CERTIFICATE: "Insurance certificate",
    EvidencePurpose.POLICY: "Policy",
    EvidencePurpose.LEASE: "Lease or management agreement",
    EvidencePurpose.GAS_SAFETY_CERTIFICATE: "Gas safety certificate",
    EvidencePurpose.ELECTRICAL_SAFETY_CERTIFICATE: "Electrical safety certificate (EICR)",
    EvidencePurpose.FIRE_RISK_ASSESSMENT: "Fire risk assessment",
    EvidencePurpose.HMO_LICENCE: "HMO licence",
    EvidencePurpose.PHOTO: "Photo",
    EvidencePurpose.OTHER: "Other",
}


class EvidenceKind(enum.Enum):
    DOCUMENT = "document"
    PHOTO = "photo"  # any image: re-encoded without metadata, with a preview


class ScanStatus(enum.Enum):
    """Where the malware scan stands. Only ``clean`` (or ``not_scanned`` while no scanner is
    configured) may be downloaded; everything else is quarantined."""

    NOT_SCANNED = "not_scanned"  # uploaded while no scanner was configured
    PENDING = "pending"  # waiting for a scan (the upload scans at once: never committed today)
    CLEAN = "clean"
    INFECTED = "infected"
    ERROR = "error"  # the scanner failed or could not be reached: `evidence rescan` retries

    @property
    def label(self) -> str:
        return SCAN_LABELS[self]


SCAN_LABELS = {
    ScanStatus.NOT_SCANNED: "Not scanned",
    ScanStatus.PENDING: "Waiting for a virus check",
    ScanStatus.CLEAN: "Checked",
    ScanStatus.INFECTED: "Virus found",
    ScanStatus.ERROR: "Waiting for a virus check",
}
SCANNED = (ScanStatus.CLEAN, ScanStatus.INFECTED, ScanStatus.ERROR)


class Evidence(db.Model):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The row-level owner: ``can_see`` compares this with a provider user's organisation.
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("accreditation_case.id"), index=True)
    property_id: Mapped[int | None] = mapped_column(sa.ForeignKey("property.id"), index=True)
    item_id: Mapped[str | None] = mapped_column(sa.String(80))
    # What a section of the application needs that this file proves (``requirements.py``);
    # with ``property_id`` where it is needed for each property.
    requirement: Mapped[str | None] = mapped_column(sa.String(40))
    condition_id: Mapped[int | None] = mapped_column(
        "corrective_action_id", sa.ForeignKey("corrective_action.id"), index=True)
    purpose: Mapped[EvidencePurpose] = mapped_column(
        enum_type(EvidencePurpose, "evidence_purpose"))
    kind: Mapped[EvidenceKind] = mapped_column(enum_type(EvidenceKind, "evidence_kind"))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    storage_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    preview_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    display_filename: Mapped[str] = mapped_column(sa.String(120))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))

    scan_status: Mapped[ScanStatus] = mapped_column(enum_type(ScanStatus, "scan_status"))
    scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Unique: a version is superseded at most once, so the history is a line, never a tree.
    supersedes_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evidence.id"), unique=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Made by the device that sent the file (inspection photos): a photo sent again after a
    # lost reply is recognised by it and not stored twice.
    client_id: Mapped[str | None] = mapped_column(sa.String(36), unique=True, index=True)
    # An inspection photo taken back before the inspection was submitted: the file and the
    # record stay (evidence is never deleted silently), but it no longer counts for its item.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # A photo marked up on the tablet (an arrow or a circle drawn on it) is a new photo of the
    # same item; the original stays, and this says which it was drawn on.
    marks_up_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"))

    organisation = relationship("Organisation")
    case = relationship("Case")
    home = relationship("Property")
    condition = relationship("Condition")
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id])
    supersedes = relationship("Evidence", remote_side=[id], foreign_keys=[supersedes_id])
    marks_up = relationship("Evidence", remote_side=[id], foreign_keys=[marks_up_id])

    __table_args__ = (
        # Photos (any image) always have a preview; documents never do.
        sa.CheckConstraint("(kind = 'photo') = (preview_key IS NOT NULL)",
                           name="photo_has_preview"),
        sa.CheckConstraint("purpose != 'photo' OR kind = 'photo'", name="photo_is_an_image"),
        sa.CheckConstraint("size_bytes > 0", name="not_empty"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_is_hex_digest"),
        # A scan result has a time; "not scanned" and "pending" do not.
        sa.CheckConstraint(
            "(scan_status IN ('clean', 'infected', 'error')) = (scanned_at IS NOT NULL)",
            name="scan_result_has_time"),
        # A checklist item, a condition or a property in an application belongs to a case.
        sa.CheckConstraint("item_id IS NULL OR case_id IS NOT NULL", name="item_needs_case"),
        sa.CheckConstraint("corrective_action_id IS NULL OR case_id IS NOT NULL",
                           name="action_needs_case"),
        sa.CheckConstraint("supersedes_id IS NULL OR supersedes_id != id",
                           name="not_superseding_itself"),
        # What an application needs is a document, never an inspector's photo.
        sa.CheckConstraint("requirement IS NULL OR purpose != 'photo'",
                           name="requirement_is_a_document"),
        sa.CheckConstraint("(withdrawn_at IS NULL) = (withdrawn_by_id IS NULL)",
                           name="withdrawn_has_who"),
        sa.CheckConstraint("marks_up_id IS NULL OR marks_up_id != id",
                           name="not_marking_up_itself"),
    )

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_photo(self) -> bool:
        return self.kind is EvidenceKind.PHOTO

    def __repr__(self) -> str:
        return f"<Evidence {self.id} {self.purpose.value} {self.scan_status.value}>"
