"""Provider organisations and their properties."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_type, utcnow
from ..extensions import db


class AccommodationCategory(enum.Enum):
    """The four categories of the Supported Accommodation (England) Regulations 2023."""

    SINGLE_OCCUPANCY = "single_occupancy"
    RING_FENCED_SHARED = "ring_fenced_shared"
    NON_RING_FENCED_SHARED = "non_ring_fenced_shared"
    SUPPORTED_LODGINGS = "supported_lodgings"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    AccommodationCategory.SINGLE_OCCUPANCY: "Single occupancy",
    AccommodationCategory.RING_FENCED_SHARED: "Shared (ring-fenced)",
    AccommodationCategory.NON_RING_FENCED_SHARED: "Shared (non-ring-fenced)",
    AccommodationCategory.SUPPORTED_LODGINGS: "Supported lodgings",
}


class Organisation(db.Model):
    """A provider organisation. Every provider-owned record hangs off one of these."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    # Companies House number (8 characters, e.g. 01234567 or SC123456); charities may have none.
    company_number: Mapped[str | None] = mapped_column(sa.String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users = relationship("User", back_populates="organisation")
    properties = relationship(
        "Property", back_populates="organisation", order_by="Property.name"
    )

    @property
    def organisation_id(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"<Organisation {self.id}>"


class Property(db.Model):
    __tablename__ = "property"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    address_line_1: Mapped[str] = mapped_column(sa.String(120))
    address_line_2: Mapped[str | None] = mapped_column(sa.String(120))
    town: Mapped[str] = mapped_column(sa.String(80))
    postcode: Mapped[str] = mapped_column(sa.String(8))
    local_authority_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id"), index=True)
    category: Mapped[AccommodationCategory] = mapped_column(
        enum_type(AccommodationCategory, "accommodation_category")
    )
    bed_spaces: Mapped[int] = mapped_column()
    age_min: Mapped[int] = mapped_column(default=16)
    age_max: Mapped[int] = mapped_column(default=25)
    who_for: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation = relationship("Organisation", back_populates="properties")
    local_authority = relationship("Council")

    __table_args__ = (
        sa.CheckConstraint("bed_spaces >= 1", name="bed_spaces_positive"),
        sa.CheckConstraint(
            "age_min >= 16 AND age_max <= 25 AND age_min <= age_max", name="age_range_16_to_25"
        ),
    )

    @property
    def postcode_district(self) -> str:
        """The outward code (e.g. 'N1' of 'N1 9GU'): safe to show where the address is not."""
        return self.postcode.split(" ")[0]
