"""Provider organisations and their properties."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..councils import Council
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


class Tenure(enum.Enum):
    OWNED = "owned"
    LEASED = "leased"
    MANAGEMENT_AGREEMENT = "management_agreement"

    @property
    def label(self) -> str:
        return {"owned": "Owned by the provider", "leased": "Leased from a landlord",
                "management_agreement": "Managed for a landlord"}[self.value]


class PersonRole(enum.Enum):
    DIRECTOR = "director"
    REGISTERED_MANAGER = "registered_manager"

    @property
    def label(self) -> str:
        return {"director": "Director", "registered_manager": "Registered manager"}[self.value]


class FileType(enum.Enum):
    STAFF = "staff"
    YOUNG_PERSON = "young_person"

    @property
    def label(self) -> str:
        return {"staff": "Staff file", "young_person": "Young person's file"}[self.value]


class Organisation(db.Model):
    """A provider organisation. Every provider-owned record hangs off one of these."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    # Companies House number (8 characters, e.g. 01234567 or SC123456); charities may have none.
    company_number: Mapped[str | None] = mapped_column(sa.String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    registered_office: Mapped[str | None] = mapped_column(sa.String(300))
    # The data protection registration number on the ICO's register of fee payers.
    ico_registration_number: Mapped[str | None] = mapped_column(sa.String(8))
    insurer: Mapped[str | None] = mapped_column(sa.String(120))
    # Cover in £ million, exactly, to the nearest £10,000 (2.5 is £2.5 million).
    public_liability_millions: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    employers_liability_millions: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    # In whole pounds, so that a cover such as £2.5 million is kept exactly; 0: none.
    professional_indemnity_pounds: Mapped[int | None] = mapped_column(sa.BigInteger)
    insurance_expires_on: Mapped[date | None] = mapped_column(sa.Date)

    users = relationship("User", back_populates="organisation")
    properties = relationship(
        "Property", back_populates="organisation", order_by="Property.name"
    )
    people = relationship("OrganisationPerson", back_populates="organisation",
                          order_by="OrganisationPerson.full_name")
    policies = relationship("Policy", back_populates="organisation", order_by="Policy.name")
    roster = relationship("RosterEntry", back_populates="organisation",
                          order_by="(RosterEntry.file_type, RosterEntry.reference)")
    cases = relationship("Case", back_populates="organisation", order_by="Case.id")

    __table_args__ = (
        sa.CheckConstraint("professional_indemnity_pounds >= 0",
                           name="professional_indemnity_not_negative"),
        *(sa.CheckConstraint(f"{column} IS NULL OR {column} > 0", name=f"{column}_positive")
          for column in ("public_liability_millions", "employers_liability_millions")),
    )

    @property
    def organisation_id(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"<Organisation {self.id}>"


class CompanyNumberDispute(db.Model):
    """Two organisations registered with one company number.

    The organisation that registered it first (the holder) keeps it until a commissioner
    decides; the other (the claimant) is registered without it and cannot apply meanwhile.
    The commissioner's decision says which organisation keeps the number.
    """

    __tablename__ = "company_number_dispute"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_number: Mapped[str] = mapped_column(sa.String(8), index=True)
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # An organisation claims a number at most once: when it registers.
    claimant_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    kept_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))

    holder = relationship("Organisation", foreign_keys=[holder_id])
    claimant = relationship("Organisation", foreign_keys=[claimant_id])
    kept_by = relationship("Organisation", foreign_keys=[kept_by_id])

    __table_args__ = (
        sa.CheckConstraint("holder_id != claimant_id", name="two_organisations"),
        # Decided means: when, by whom, and which of the two keeps the number.
        sa.CheckConstraint(
            "(resolved_at IS NULL) = (kept_by_id IS NULL) AND "
            "(resolved_at IS NULL) = (resolved_by_id IS NULL)", name="resolved_completely"),
        sa.CheckConstraint("kept_by_id IS NULL OR kept_by_id = holder_id OR "
                           "kept_by_id = claimant_id", name="kept_by_one_of_the_two"),
    )


def open_company_number_claim(organisation: Organisation) -> CompanyNumberDispute | None:
    """The undecided dispute in which ``organisation`` claims a number registered first by
    another organisation, if any."""
    return db.session.scalar(sa.select(CompanyNumberDispute).where(
        CompanyNumberDispute.claimant_id == organisation.id,
        CompanyNumberDispute.resolved_at.is_(None)))


def open_company_number_disputes() -> list[CompanyNumberDispute]:
    return list(db.session.scalars(
        sa.select(CompanyNumberDispute).where(CompanyNumberDispute.resolved_at.is_(None))
        .order_by(CompanyNumberDispute.created_at)))


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
    tenure: Mapped[Tenure | None] = mapped_column(enum_type(Tenure, "tenure"))
    landlord_name: Mapped[str | None] = mapped_column(sa.String(160))
    lease_ends_on: Mapped[date | None] = mapped_column(sa.Date)
    landlord_consent: Mapped[bool | None] = mapped_column()
    vacancies: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    vacancies_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation = relationship("Organisation", back_populates="properties")
    local_authority = relationship("Council")

    __table_args__ = (
        sa.CheckConstraint("bed_spaces >= 1", name="bed_spaces_positive"),
        sa.CheckConstraint(
            "age_min >= 16 AND age_max <= 25 AND age_min <= age_max", name="age_range_16_to_25"
        ),
        sa.CheckConstraint("vacancies >= 0 AND vacancies <= bed_spaces",
                           name="vacancies_within_bed_spaces"),
    )

    @property
    def landlord_arrangements_complete(self) -> bool:
        if self.tenure is None:
            return False
        if self.tenure is Tenure.OWNED:
            return True
        return bool(self.landlord_name) and self.landlord_consent is not None

    @property
    def postcode_district(self) -> str:
        """The outward code (e.g. 'N1' of 'N1 9GU'): safe to show where the address is not."""
        return self.postcode.split(" ")[0]

    @property
    def address_lines(self) -> list[str]:
        return [line for line in (self.address_line_1, self.address_line_2, self.town,
                                  self.postcode) if line]

    def as_inspected(self) -> PropertyAsInspected:
        """What an inspection of this property saw, kept with the inspection's record."""
        return PropertyAsInspected(
            name=self.name, address_line_1=self.address_line_1,
            address_line_2=self.address_line_2, town=self.town, postcode=self.postcode,
            local_authority=self.local_authority.name, category=self.category,
            bed_spaces=self.bed_spaces, age_min=self.age_min, age_max=self.age_max,
            who_for=self.who_for)


# What accreditation covers: on a property on the register, a change to any of these waits for a
# commissioner's approval (the name and vacancies change at once). Checked by
# ``providers.operations.update_property``.
ACCREDITED_FIELDS = ("address_line_1", "address_line_2", "town", "postcode", "local_authority_id",
                     "category", "bed_spaces", "age_min", "age_max", "who_for")


@dataclass(frozen=True)
class PropertyAsInspected:
    """A property's details as they were when it was inspected (stored as JSON)."""

    name: str
    address_line_1: str
    address_line_2: str | None
    town: str
    postcode: str
    local_authority: str
    category: AccommodationCategory
    bed_spaces: int
    age_min: int
    age_max: int
    who_for: str

    @property
    def address_lines(self) -> list[str]:
        return [line for line in (self.address_line_1, self.address_line_2, self.town,
                                  self.postcode) if line]

    def to_json(self) -> dict:
        return {**asdict(self), "category": self.category.value}

    @classmethod
    def from_json(cls, data: dict) -> PropertyAsInspected:
        return cls(**{**data, "category": AccommodationCategory(data["category"])})


class PropertyChangeStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"pending": "Waiting for approval", "approved": "Approved",
                "refused": "Not approved", "withdrawn": "Withdrawn"}[self.value]


class PropertyChange(db.Model):
    """A provider's request to change what was accredited about a property on the register.

    ``changes`` holds the new values of the accredited fields that differ (as JSON: enums by
    value), ``previous`` their values when the request was made. A property has at most one
    pending request; a new one withdraws it.
    """

    __tablename__ = "property_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(sa.ForeignKey("property.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changes: Mapped[dict] = mapped_column(sa.JSON)
    previous: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[PropertyChangeStatus] = mapped_column(
        enum_type(PropertyChangeStatus, "property_change_status"),
        default=PropertyChangeStatus.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reasons: Mapped[str | None] = mapped_column(sa.Text)

    home = relationship("Property")
    organisation = relationship("Organisation")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status is PropertyChangeStatus.PENDING

    def rows(self) -> list[tuple[str, str, str]]:
        """(what, from, to) for each field asked to change, as people read them."""
        return [(ACCREDITED_FIELD_LABELS[name], shown_value(name, self.previous.get(name)),
                 shown_value(name, value)) for name, value in self.changes.items()]


ACCREDITED_FIELD_LABELS = {
    "address_line_1": "Address line 1", "address_line_2": "Address line 2",
    "town": "Town or city", "postcode": "Postcode", "local_authority_id": "Local authority",
    "category": "Category", "bed_spaces": "Bed spaces", "age_min": "Youngest age",
    "age_max": "Oldest age", "who_for": "Who it is for",
}


def shown_value(field: str, value) -> str:
    """A stored value of an accredited field as a person reads it."""
    if value is None or value == "":
        return "None"
    if field == "category":
        return AccommodationCategory(value).label
    if field == "local_authority_id":
        council = db.session.get(Council, value)
        return council.name if council is not None else "Unknown"
    return str(value)


class OrganisationPerson(db.Model):
    """A director or the registered manager: people whose fitness due diligence checks."""

    __tablename__ = "organisation_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[PersonRole] = mapped_column(enum_type(PersonRole, "person_role"))
    appointed_on: Mapped[date | None] = mapped_column(sa.Date)

    organisation = relationship("Organisation", back_populates="people")


KEY_POLICIES = {
    "statement_of_purpose": "Statement of purpose",
    "safeguarding": "Safeguarding policy",
    "missing_from_home": "Missing from home or care policy",
    "complaints": "Complaints policy",
    "whistleblowing": "Whistleblowing policy",
    "data_protection": "Data protection policy",
}


class Policy(db.Model):
    """One of the key policies due diligence asks for, with when it was last reviewed."""

    __tablename__ = "policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    last_reviewed_on: Mapped[date] = mapped_column(sa.Date)

    organisation = relationship("Organisation", back_populates="policies")

    __table_args__ = (sa.UniqueConstraint("organisation_id", "name",
                                          name="uq_policy_organisation_id_name"),)

    @property
    def title(self) -> str:
        return KEY_POLICIES.get(self.name, self.name)


class RosterEntry(db.Model):
    """A file the provider holds, declared by pseudonymous reference (never a name)."""

    __tablename__ = "roster_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    file_type: Mapped[FileType] = mapped_column(enum_type(FileType, "file_type"))
    reference: Mapped[str] = mapped_column(sa.String(40))
    role: Mapped[str] = mapped_column(sa.String(80))
    started_on: Mapped[date] = mapped_column(sa.Date)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation = relationship("Organisation", back_populates="roster")

    __table_args__ = (sa.UniqueConstraint("organisation_id", "file_type", "reference",
                                          name="uq_roster_entry_reference"),)
