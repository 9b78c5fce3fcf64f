"""Published checklist versions and stored assessments."""

from __future__ import annotations

import enum
from datetime import date, datetime
from functools import cached_property

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..checklists import ChecklistVersion, ScoreResult, ThresholdStep
from ..database import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..providers.models import PropertyAsInspected


class PublicationStatus(enum.Enum):
    """A version is a draft while it is only a file; publishing stores it; it is later retired."""

    PUBLISHED = "published"
    RETIRED = "retired"


class PublishedChecklist(db.Model):
    """A checklist version as published: its full definition, frozen, with its fingerprint."""

    __tablename__ = "checklist_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[PublicationStatus] = mapped_column(
        enum_type(PublicationStatus, "publication_status"), default=PublicationStatus.PUBLISHED)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    definition: Mapped[dict] = mapped_column(sa.JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    published_by = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("kind", "version", name="uq_checklist_version_kind_version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint(
            "(status = 'retired') = (retired_at IS NOT NULL)", name="retired_has_date"),
    )

    @cached_property
    def checklist(self) -> ChecklistVersion:
        return ChecklistVersion.from_dict(self.definition)

    def step(self, effective_from: date) -> ThresholdStep:
        for step in self.checklist.schedule:
            if step.effective_from == effective_from:
                return step
        raise LookupError(f"{self.kind} v{self.version} has no step from {effective_from}")

    def __repr__(self) -> str:
        return f"<PublishedChecklist {self.kind} v{self.version}>"


@event.listens_for(PublishedChecklist, "before_update")
def _published_content_is_immutable(mapper, connection, target: PublishedChecklist) -> None:
    # Only the status may change after publication: a change of content is a new version.
    state = sa.inspect(target)
    for name in ("kind", "version", "title", "fingerprint", "definition"):
        if state.attrs[name].history.has_changes():
            raise ValueError(
                f"{target.kind} v{target.version} is published: its {name} cannot change; "
                "publish a new version instead")


class Assessment(db.Model):
    """Answers to one checklist for one subject, scored and pinned to a version and step.

    The subject is a property (property inspection), a sampled file (file sampling, by the
    provider's pseudonymous reference) or the organisation itself (due diligence). ``result`` is
    the engine's ``ScoreResult.to_dict()``: re-scoring ``answers`` against the pinned version and
    step reproduces it exactly.
    """

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("checklist_version.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    step_effective_from: Mapped[date] = mapped_column(sa.Date)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accreditation_case.id"),
                                                index=True)
    property_id: Mapped[int | None] = mapped_column(sa.ForeignKey("property.id"), index=True)
    subject_ref: Mapped[str | None] = mapped_column(sa.String(80))
    category: Mapped[str | None] = mapped_column(sa.String(40))
    file_type: Mapped[str | None] = mapped_column(sa.String(40))
    # A property inspection keeps the property as inspected (``PropertyAsInspected``): later
    # changes to the property never change what this assessment was of.
    property_details: Mapped[dict | None] = mapped_column(sa.JSON)
    answers: Mapped[dict] = mapped_column(sa.JSON)
    result: Mapped[dict] = mapped_column(sa.JSON)
    passed: Mapped[bool] = mapped_column()
    percent: Mapped[str | None] = mapped_column(sa.String(8))
    assessed_on: Mapped[date] = mapped_column(sa.Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    checklist_version = relationship("PublishedChecklist")
    organisation = relationship("Organisation")
    home = relationship("Property")
    assessor = relationship("User")

    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'property_inspection') = (property_id IS NOT NULL AND category IS NOT NULL)",
            name="property_inspection_has_property"),
        sa.CheckConstraint(
            "(kind = 'file_sampling') = (file_type IS NOT NULL AND subject_ref IS NOT NULL)",
            name="file_sampling_has_file"),
        sa.Index("ix_assessment_kind_subject", "kind", "organisation_id", "property_id",
                 "subject_ref"),
    )

    @property
    def score(self) -> ScoreResult:
        return ScoreResult.from_dict(self.result)

    @property
    def property_as_inspected(self) -> PropertyAsInspected | None:
        """The property as it was when this inspection was recorded (None for other kinds)."""
        if self.property_details is None:
            return None
        return PropertyAsInspected.from_json(self.property_details)


class DraftStatus(enum.Enum):
    """A draft is edited, submitted for a second commissioner's approval, then published (or
    discarded). Any edit after submission sends it back to draft."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    DISCARDED = "discarded"


class ChecklistDraft(db.Model):
    """A new checklist version being written in the service: its definition (the same shape
    as a definition file and ``PublishedChecklist.definition``), who wrote it and where it is."""

    __tablename__ = "checklist_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int] = mapped_column()
    definition: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[DraftStatus] = mapped_column(
        enum_type(DraftStatus, "checklist_draft_status"), default=DraftStatus.DRAFT)
    # Where it came from, in words: "blank", "version 2", "import: name.xlsx".
    source: Mapped[str] = mapped_column(sa.String(200), default="blank")
    # Counts every edit: an approval is of the revision the approver saw.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    published_checklist_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("checklist_version.id"))

    created_by = relationship("User", foreign_keys=[created_by_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    published_checklist = relationship("PublishedChecklist")

    __table_args__ = (
        sa.CheckConstraint("version >= 1", name="draft_version_positive"),
        sa.CheckConstraint(
            "status <> 'submitted' OR submitted_at IS NOT NULL", name="submitted_has_date"),
        sa.CheckConstraint(
            "(status = 'published') = (published_checklist_id IS NOT NULL)",
            name="published_has_version"),
        sa.Index("ix_checklist_draft_kind_status", "kind", "status"),
    )

    @property
    def open(self) -> bool:
        """Still being worked on: a draft, or waiting for approval."""
        return self.status in (DraftStatus.DRAFT, DraftStatus.SUBMITTED)

    def __repr__(self) -> str:
        return f"<ChecklistDraft {self.kind} v{self.version} {self.status.value}>"
