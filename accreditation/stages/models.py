"""What the stages record: company checks, drawn file samples, inspection drafts."""

from __future__ import annotations

import base64
import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..providers.models import FileType


class CompanyCheckOutcome(enum.Enum):
    """What asking the register about a company number came to."""

    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"

    @property
    def label(self) -> str:
        return {"found": "Found", "not_found": "No company with this number",
                "unavailable": "The register did not answer"}[self.value]


class CompanyCheck(db.Model):
    """One time the company register was asked about a case's company, whatever it answered:
    the number asked about, where (the live API or the offline copy), when, by whom, and the
    outcome; the automatic checks' result when the company was found."""

    __tablename__ = "company_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("accreditation_case.id"), index=True)
    company_number: Mapped[str] = mapped_column(sa.String(8))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    outcome: Mapped[CompanyCheckOutcome] = mapped_column(
        enum_type(CompanyCheckOutcome, "company_check_outcome"))
    # Where the answer came from: the registry's own description, and whether it is live data.
    source: Mapped[str] = mapped_column(sa.String(200))
    live: Mapped[bool] = mapped_column()
    # Why the register could not answer (``UNAVAILABLE`` only).
    message: Mapped[str | None] = mapped_column(sa.Text)
    passed: Mapped[bool | None] = mapped_column()
    result: Mapped[dict | None] = mapped_column(sa.JSON)

    checked_by = relationship("User")

    __table_args__ = (
        # Found: the checks' result is kept; otherwise there is none to keep.
        sa.CheckConstraint("(outcome = 'found') = (result IS NOT NULL AND passed IS NOT NULL)",
                           name="found_has_result"),
    )

    @property
    def found(self) -> bool:
        return self.outcome is CompanyCheckOutcome.FOUND

    @property
    def source_label(self) -> str:
        return ("Companies House (live)" if self.live
                else "Offline copy of the register (not live data)")

    @property
    def summary(self) -> str:
        """The outcome in a few words: "Found: HARBOUR LIGHTS HOUSING LTD, 5 of 5 checks
        passed", "No company with this number", "The register did not answer: ..."."""
        if self.outcome is CompanyCheckOutcome.FOUND:
            outcomes = self.result.get("outcomes") or []
            passed = sum(outcome.get("passed") is True for outcome in outcomes)
            name = self.result.get("company_name") or "a company with no name given"
            return f"Found: {name}, {passed} of {len(outcomes)} checks passed"
        if self.outcome is CompanyCheckOutcome.UNAVAILABLE and self.message:
            return f"{self.outcome.label}: {self.message}"
        return self.outcome.label


def company_checks_for(case) -> list[CompanyCheck]:
    """Every check made for the case, the latest first."""
    return list(db.session.scalars(sa.select(CompanyCheck).where(CompanyCheck.case_id == case.id)
                                   .order_by(CompanyCheck.id.desc())))


def unconfirmed_company_reason(case) -> str | None:
    """Why Companies House has not confirmed the case's company (None if it has): the warning
    shown before due diligence is passed without a check that found it."""
    if confirming_company_check(case) is not None:
        return None
    number = case.organisation.company_number
    unconfirmed = "Companies House has not confirmed this company"
    if not number:
        return (f"{unconfirmed}: the provider has no company number. Check the organisation "
                "another way, for example on the Charity Commission's register.")
    checks = company_checks_for(case)
    if not checks:
        return f"{unconfirmed}: company number {number} has not been checked yet."
    last = checks[0]
    if last.company_number != number:
        return (f"{unconfirmed}: its company number has changed to {number} since the last "
                "check. Check it again.")
    when = f"{last.checked_at:%-d %B %Y at %H:%M}"
    where = "Companies House" if last.live else "the offline copy of the register"
    if last.outcome is CompanyCheckOutcome.NOT_FOUND:
        return (f"{unconfirmed}: the last check, on {when}, found no company with number "
                f"{number} on {where}.")
    return f"{unconfirmed}: {where} did not answer the last check, on {when}."


def confirming_company_check(case) -> CompanyCheck | None:
    """The latest check that found the company under the number the organisation has now,
    if any: what due diligence can rely on."""
    number = case.organisation.company_number
    if not number:
        return None
    return db.session.scalar(
        sa.select(CompanyCheck).where(CompanyCheck.case_id == case.id,
                                      CompanyCheck.company_number == number,
                                      CompanyCheck.outcome == CompanyCheckOutcome.FOUND)
        .order_by(CompanyCheck.id.desc()).limit(1))


class FileSample(db.Model):
    """A random sample drawn from one roster of a provider, defensible later.

    The roster as it stood (``roster``), its hash and the seed are kept: drawing again from
    them gives the same files, so anyone can check the sample was not chosen by hand, and
    changes to the roster afterwards cannot change it.
    """

    __tablename__ = "file_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("accreditation_case.id"), index=True)
    file_type: Mapped[FileType] = mapped_column(enum_type(FileType, "sample_file_type"))
    seed: Mapped[str] = mapped_column(sa.String(64))
    roster_hash: Mapped[str] = mapped_column(sa.String(64))
    roster: Mapped[list] = mapped_column(sa.JSON)
    size: Mapped[int] = mapped_column()
    rule: Mapped[str] = mapped_column(sa.String(300))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    drawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    files = relationship("SampledFile", back_populates="sample", order_by="SampledFile.position")

    __table_args__ = (
        sa.UniqueConstraint("case_id", "file_type", name="uq_file_sample_case_id_file_type"),
    )


class SampledFile(db.Model):
    __tablename__ = "sampled_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("file_sample.id"), index=True)
    position: Mapped[int] = mapped_column()
    reference: Mapped[str] = mapped_column(sa.String(40))
    role: Mapped[str] = mapped_column(sa.String(80))
    started_on: Mapped[date] = mapped_column(sa.Date)
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment.id"))

    sample = relationship("FileSample", back_populates="files")
    assessment = relationship("Assessment")

    __table_args__ = (
        sa.UniqueConstraint("sample_id", "position", name="uq_sampled_file_sample_id_position"),
    )


# --- inspections on tablets (properties, sampled files): drafts, change log, conflicts ------

class ChangeStatus(enum.Enum):
    APPLIED = "applied"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class ConflictResolution(enum.Enum):
    MINE = "mine"  # the device's answer, the one that arrived late
    SERVER = "server"  # the answer the server already had


class InspectionSubjectMixin:
    """What the row is about: one property's inspection (``case_property_id``) or one sampled
    file's assessment (``sampled_file_id``), never both."""

    case_property_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_property.id"), index=True)
    sampled_file_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sampled_file.id"), index=True)

    @staticmethod
    def one_subject() -> sa.CheckConstraint:
        return sa.CheckConstraint("(case_property_id IS NULL) != (sampled_file_id IS NULL)",
                                  name="one_subject")


class DraftAnswer(InspectionSubjectMixin, db.Model):
    """The current answer to one checklist item of one property's inspection, before it is
    submitted. ``revision`` counts accepted changes (1 for the first); a device sends the
    revision it last saw with every change, so a change made without seeing a newer answer
    is noticed instead of overwriting it."""

    __tablename__ = "draft_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[str] = mapped_column(sa.String(80))
    value: Mapped[str | int | float | None] = mapped_column(sa.JSON(none_as_null=True))
    note: Mapped[str | None] = mapped_column(sa.Text)
    revision: Mapped[int] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))

    link = relationship("CaseProperty")
    updated_by = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("case_property_id", "item_id",
                            name="uq_draft_answer_case_property_id_item_id"),
        sa.UniqueConstraint("sampled_file_id", "item_id",
                            name="uq_draft_answer_sampled_file_id_item_id"),
        sa.CheckConstraint("revision >= 1", name="revision_from_one"),
        InspectionSubjectMixin.one_subject(),
    )


class ChangeLogEntry(InspectionSubjectMixin, db.Model):
    """Every change a device sent, once, with what became of it: the history of the answers.

    ``client_id`` is made on the device for each change; it is unique per user, so a change
    sent again (the reply was lost on a bad connection) is recognised and answered with the
    result stored here instead of being applied twice. ``server_revision`` is the item's
    revision when the change arrived and ``revision`` the one after it (one more when the change
    was applied and changed the answer)."""

    __tablename__ = "answer_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(36))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    device_id: Mapped[str | None] = mapped_column(sa.String(64))
    item_id: Mapped[str] = mapped_column(sa.String(80))
    value: Mapped[str | int | float | None] = mapped_column(sa.JSON(none_as_null=True))
    note: Mapped[str | None] = mapped_column(sa.Text)
    base_revision: Mapped[int] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The result, as the device was told it (and is told again on a replay).
    status: Mapped[ChangeStatus] = mapped_column(enum_type(ChangeStatus, "answer_change_status"))
    server_revision: Mapped[int] = mapped_column()
    revision: Mapped[int | None] = mapped_column()
    server_value: Mapped[str | int | float | None] = mapped_column(sa.JSON(none_as_null=True))
    server_note: Mapped[str | None] = mapped_column(sa.Text)
    message: Mapped[str | None] = mapped_column(sa.Text)

    user = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "client_id", name="uq_answer_change_user_id_client_id"),
        sa.Index("ix_answer_change_item", "case_property_id", "item_id"),
        sa.Index("ix_answer_change_file_item", "sampled_file_id", "item_id"),
        InspectionSubjectMixin.one_subject(),
        sa.CheckConstraint("base_revision >= 0", name="base_revision_not_negative"),
        sa.CheckConstraint("status != 'rejected' OR message IS NOT NULL",
                           name="rejected_has_message"),
        sa.CheckConstraint("status = 'rejected' OR revision IS NOT NULL",
                           name="accepted_has_revision"),
    )


class AnswerConflict(InspectionSubjectMixin, db.Model):
    """A change that arrived after someone else had changed the same answer: kept, not
    applied, until the inspector chooses which answer stays."""

    __tablename__ = "answer_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[str] = mapped_column(sa.String(80))
    change_id: Mapped[int] = mapped_column(sa.ForeignKey("answer_change.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolution: Mapped[ConflictResolution | None] = mapped_column(
        enum_type(ConflictResolution, "conflict_resolution"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    change = relationship("ChangeLogEntry")
    link = relationship("CaseProperty")
    sampled_file = relationship("SampledFile")
    resolved_by = relationship("User")
    # The item's answer now: "keep this one" keeps it.
    draft = relationship(
        "DraftAnswer", viewonly=True, uselist=False,
        primaryjoin="and_(or_(foreign(AnswerConflict.case_property_id) == "
                    "DraftAnswer.case_property_id, "
                    "foreign(AnswerConflict.sampled_file_id) == DraftAnswer.sampled_file_id), "
                    "foreign(AnswerConflict.item_id) == DraftAnswer.item_id)")

    __table_args__ = (
        sa.CheckConstraint(
            "(resolution IS NULL) = (resolved_at IS NULL) "
            "AND (resolution IS NULL) = (resolved_by_id IS NULL)",
            name="resolved_has_who_and_when"),
        InspectionSubjectMixin.one_subject(),
    )

    @property
    def subject(self):
        """The property inspection or the sampled file the conflict is about."""
        return self.link if self.case_property_id is not None else self.sampled_file

    @property
    def is_open(self) -> bool:
        return self.resolution is None

    # What the late device said (shown as "yours"), and the server's answer now (it may
    # have changed again since the conflict arose).
    @property
    def value(self):
        return self.change.value

    @property
    def note(self) -> str | None:
        return self.change.note

    @property
    def server_value(self):
        return self.draft.value if self.draft is not None else self.change.server_value

    @property
    def server_note(self) -> str | None:
        return self.draft.note if self.draft is not None else self.change.server_note

    @property
    def server_revision(self) -> int:
        return self.draft.revision if self.draft is not None else self.change.server_revision

    @property
    def client_id(self) -> str:
        return self.change.client_id


class InspectionSubmission(InspectionSubjectMixin, db.Model):
    """A property's inspection answers sent for scoring, and the assessment they gave.

    ``client_id`` (optional, unique per user) makes the submission safe to send again."""

    __tablename__ = "inspection_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str | None] = mapped_column(sa.String(36))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment.id"))

    assessment = relationship("Assessment")
    link = relationship("CaseProperty")
    sampled_file = relationship("SampledFile")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "client_id",
                            name="uq_inspection_submission_user_id_client_id"),
        InspectionSubjectMixin.one_subject(),
    )


def samples_for(case) -> list[FileSample]:
    """The samples drawn for a case (staff files, then young people's)."""
    return list(db.session.scalars(
        sa.select(FileSample).where(FileSample.case_id == case.id)
        .order_by(FileSample.file_type)))


class InspectionAcknowledgement(db.Model):
    """The provider's representative on site, at the end of a property's inspection: their
    name, role and drawn signature under the findings they read, or the inspector's record
    that they declined to sign (with the reason they gave, if any).

    ``client_id`` is made on the tablet: sending it again stores nothing new. ``findings`` is
    what the representative was shown (the items that did not pass, with their notes), kept
    as it was when the acknowledgement arrived."""

    __tablename__ = "inspection_acknowledgement"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_property_id: Mapped[int] = mapped_column(sa.ForeignKey("case_property.id"), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    # When it was given on the tablet (perhaps offline), and when the server received it.
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    declined: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    name: Mapped[str | None] = mapped_column(sa.String(120))
    role: Mapped[str | None] = mapped_column(sa.String(120))
    reason: Mapped[str | None] = mapped_column(sa.String(1000))
    # A PNG drawn on the tablet, re-encoded by the server (no metadata); none without one.
    signature_png: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    findings: Mapped[list] = mapped_column(sa.JSON)

    link = relationship("CaseProperty")
    recorded_by = relationship("User")

    __table_args__ = (
        sa.CheckConstraint("declined OR (name IS NOT NULL AND role IS NOT NULL)",
                           name="signed_with_name_and_role"),
        sa.CheckConstraint("NOT declined OR signature_png IS NULL", name="declined_unsigned"),
        sa.CheckConstraint("declined OR reason IS NULL", name="reason_only_when_declined"),
    )

    @property
    def signature_data_uri(self) -> str | None:
        """The signature written into a page printed as PDF, which fetches nothing."""
        if self.signature_png is None:
            return None
        return "data:image/png;base64," + base64.b64encode(self.signature_png).decode("ascii")
