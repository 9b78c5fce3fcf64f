"""What the stages record: company checks, drawn file samples."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..providers.models import FileType


class CompanyCheck(db.Model):
    """The automatic Companies House checks made for a case, kept with their time."""

    __tablename__ = "company_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("accreditation_case.id"), index=True)
    company_number: Mapped[str] = mapped_column(sa.String(8))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    passed: Mapped[bool] = mapped_column()
    result: Mapped[dict] = mapped_column(sa.JSON)


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
