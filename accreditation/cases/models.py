"""Applications for accreditation ("cases"), their properties, decisions and conditions."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..database import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..workflow import ASSIGNING_STATUSES, IN_FORCE, OPEN, CaseStatus


class Case(db.Model):
    """One application by a provider organisation, from draft to a decision and beyond.

    ``status`` is moved only by ``workflow.fire`` inside an operation. ``version`` counts
    changes: an operation given the version a user saw refuses to act on a case that changed
    since (and SQLAlchemy refuses a concurrent UPDATE of a stale row), so two people acting at
    once never silently overwrite each other.
    """

    __tablename__ = "accreditation_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus, "case_status"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    inspector_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    # A return to the provider: what is asked and by when.
    return_message: Mapped[str | None] = mapped_column(sa.Text)
    return_due_on: Mapped[date | None] = mapped_column(sa.Date)
    # Outcome.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accredited_on: Mapped[date | None] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    refusal_reasons: Mapped[str | None] = mapped_column(sa.Text)
    reapply_from: Mapped[date | None] = mapped_column(sa.Date)
    suspension_reason: Mapped[str | None] = mapped_column(sa.Text)
    reassessment_reason: Mapped[str | None] = mapped_column(sa.Text)
    reassessment_due_by: Mapped[date | None] = mapped_column(sa.Date)

    organisation = relationship("Organisation", back_populates="cases")
    inspector = relationship("User", foreign_keys=[inspector_id])
    properties = relationship("CaseProperty", back_populates="case",
                              order_by="CaseProperty.id", cascade="all, delete-orphan")
    decisions = relationship("Decision", back_populates="case", order_by="Decision.id")
    conditions = relationship("Condition", back_populates="case", order_by="Condition.due_on")
    proposals = relationship("Proposal", back_populates="case", order_by="Proposal.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "status NOT IN ('accredited', 'reassessment_due', 'suspended', 'expired') "
            "OR (accredited_on IS NOT NULL AND expires_on IS NOT NULL)",
            name="accredited_has_dates"),
        sa.CheckConstraint(
            "status != 'refused' OR (refusal_reasons IS NOT NULL AND reapply_from IS NOT NULL)",
            name="refused_has_reasons"),
        sa.CheckConstraint(
            "status NOT LIKE 'returned_at_%' OR "
            "(return_message IS NOT NULL AND return_due_on IS NOT NULL)",
            name="returned_has_request"),
        sa.CheckConstraint("status != 'suspended' OR suspension_reason IS NOT NULL",
                           name="suspended_has_reason"),
    )

    @property
    def needs_new_inspector(self) -> bool:
        """Being assessed, with an inspector whose account has been deactivated: a
        commissioner assigns another."""
        return (self.status in ASSIGNING_STATUSES and self.inspector is not None
                and not self.inspector.is_active)

    def __init__(self, **kwargs):
        # A new row has no status until flushed: start it where the machine starts.
        kwargs.setdefault("status", CaseStatus.DRAFT)
        super().__init__(**kwargs)

    @property
    def reference(self) -> str:
        return f"ACC-{self.id:05d}"

    @property
    def accreditation_in_force(self) -> bool:
        return self.status in IN_FORCE

    @property
    def accredited_properties(self) -> list:
        return [link.home for link in self.properties if link.accredited]

    @property
    def accrediting_decision(self) -> Decision | None:
        """The decision that accredited this case (the newest one that did not refuse)."""
        decisions = [decision for decision in self.decisions
                     if decision.outcome is not DecisionOutcome.REFUSED]
        return decisions[-1] if decisions else None

    @property
    def open_conditions(self) -> list[Condition]:
        """Its conditions not yet confirmed as met."""
        return [condition for condition in self.conditions
                if condition.status is not ConditionStatus.CONFIRMED]

    @property
    def status_label(self) -> str:
        """The status as every page shows it: an accredited case whose accreditation came
        with conditions reads "Accredited with conditions" until every condition is met (the
        register's rule, ``register.status.classify``)."""
        decision = self.accrediting_decision
        if (self.status is CaseStatus.ACCREDITED and decision is not None
                and decision.outcome is DecisionOutcome.ACCREDITED_WITH_CONDITIONS
                and self.open_conditions):
            return decision.outcome.label
        proposal = open_proposal(self)
        if proposal is not None and not proposal.immediate:
            return f"{self.status.label}: {proposal.kind.value} proposed"
        return self.status.label

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.status.value}>"


class InspectionOutcome(enum.Enum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"pending": "Not inspected yet", "passed": "Passed",
                "failed": "Did not pass"}[self.value]


class CaseProperty(db.Model):
    """A property in an application, with its own inspection outcome."""

    __tablename__ = "case_property"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("accreditation_case.id"), index=True)
    property_id: Mapped[int] = mapped_column(sa.ForeignKey("property.id"), index=True)
    outcome: Mapped[InspectionOutcome] = mapped_column(
        enum_type(InspectionOutcome, "inspection_outcome"), default=InspectionOutcome.PENDING)
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment.id"), index=True)
    accredited: Mapped[bool] = mapped_column(default=False)
    # The planned visit, in the UK's local time (``stages/visits.py``): a date and a start
    # time together, and how long it is expected to take if someone said.
    visit_on: Mapped[date | None] = mapped_column(sa.Date)
    visit_starts: Mapped[time | None] = mapped_column(sa.Time)
    visit_minutes: Mapped[int | None] = mapped_column()

    case = relationship("Case", back_populates="properties")
    home = relationship("Property")
    assessment = relationship("Assessment")

    __table_args__ = (
        sa.UniqueConstraint("case_id", "property_id", name="uq_case_property_case_id_property"),
        sa.CheckConstraint("accredited = false OR outcome = 'passed'",
                           name="accredited_only_if_passed"),
        sa.CheckConstraint("(visit_on IS NULL) = (visit_starts IS NULL)",
                           name="visit_date_and_time_together"),
        sa.CheckConstraint("visit_minutes IS NULL OR visit_on IS NOT NULL",
                           name="visit_length_only_with_a_date"),
    )

    @property
    def organisation_id(self) -> int:
        return self.case.organisation_id

    @property
    def as_inspected(self):
        """The property as its inspection on this case saw it (as it is now, if not inspected)."""
        inspected = self.assessment.property_as_inspected if self.assessment else None
        return inspected or self.home.as_inspected()


class DecisionOutcome(enum.Enum):
    ACCREDITED = "accredited"
    ACCREDITED_WITH_CONDITIONS = "accredited_with_conditions"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {"accredited": "Accredited", "accredited_with_conditions":
                "Accredited with conditions", "refused": "Refused"}[self.value]


class Decision(db.Model):
    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("accreditation_case.id"), index=True)
    outcome: Mapped[DecisionOutcome] = mapped_column(
        enum_type(DecisionOutcome, "decision_outcome"))
    reasons: Mapped[str] = mapped_column(sa.Text)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)

    case = relationship("Case", back_populates="decisions")
    decided_by = relationship("User")


class ConditionStatus(enum.Enum):
    OPEN = "open"
    RESPONDED = "responded"
    CONFIRMED = "confirmed"

    @property
    def label(self) -> str:
        return {"open": "Waiting for the provider", "responded": "Waiting for an inspector",
                "confirmed": "Done"}[self.value]


class Condition(db.Model):
    """A condition of accreditation, in the deciding commissioner's words: a title
    (``item_title``), what the provider must do (``description``) and by when. A condition
    written from a failed checklist item keeps the item and the property it is about."""

    __tablename__ = "corrective_action"  # its name before conditions were called so

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("accreditation_case.id"), index=True)
    property_id: Mapped[int | None] = mapped_column(sa.ForeignKey("property.id"))
    item_id: Mapped[str | None] = mapped_column(sa.String(80))
    item_title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    due_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[ConditionStatus] = mapped_column(
        enum_type(ConditionStatus, "action_status"), default=ConditionStatus.OPEN)
    response: Mapped[str | None] = mapped_column(sa.Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case = relationship("Case", back_populates="conditions")
    home = relationship("Property")

    __table_args__ = (
        sa.CheckConstraint("status = 'open' OR response IS NOT NULL", name="answered_has_response"),
        sa.CheckConstraint("status != 'confirmed' OR confirmed_by_id IS NOT NULL",
                           name="confirmed_has_inspector"),
    )

    @property
    def organisation_id(self) -> int:
        return self.case.organisation_id

    @property
    def is_overdue(self) -> bool:
        """Still waiting for the provider after its due date."""
        return self.status is ConditionStatus.OPEN and self.due_on < clock.today()

    @property
    def progress_label(self) -> str:
        return "Overdue" if self.is_overdue else self.status.label


def open_case_for(organisation) -> Case | None:
    """The organisation's application still being decided, if any (there is at most one)."""
    return db.session.scalar(
        sa.select(Case).where(Case.organisation_id == organisation.id,
                              Case.status.in_(OPEN)).order_by(Case.id.desc()).limit(1))


# --- adverse decisions: notice of a proposal, representations, decision, review ---------------

class ProposalKind(enum.Enum):
    REFUSAL = "refusal"
    SUSPENSION = "suspension"
    REVOCATION = "revocation"

    @property
    def label(self) -> str:
        return {"refusal": "Refusal", "suspension": "Suspension",
                "revocation": "Revocation"}[self.value]

    @property
    def verb(self) -> str:
        """"We propose to {verb} ..."."""
        return {"refusal": "refuse your application", "suspension": "suspend your accreditation",
                "revocation": "revoke your accreditation"}[self.value]


class ProposalOutcome(enum.Enum):
    CONFIRMED = "confirmed"
    SUSPENDED_INSTEAD = "suspended_instead"  # a revocation changed to a suspension
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"  # the application was withdrawn, or the accreditation expired, first

    @property
    def label(self) -> str:
        return {"confirmed": "Confirmed", "suspended_instead": "Changed to a suspension",
                "withdrawn": "Withdrawn", "lapsed": "Lapsed"}[self.value]

    @property
    def adverse(self) -> bool:
        return self in (ProposalOutcome.CONFIRMED, ProposalOutcome.SUSPENDED_INSTEAD)


class Proposal(db.Model):
    """A notice that a commissioner proposes an adverse decision, with its reasons (and the
    checklist items they rest on); the provider may make representations until
    ``representations_due_on``; a commissioner who neither proposed it nor inspected the case
    then decides it, saying how the representations were considered. An immediate suspension
    (``immediate``) is in force from the notice; its decision confirms or lifts it.
    ``from_status`` is where the case was before: a withdrawn proposal changes nothing, and a
    decision overturned on review puts the case back there."""

    __tablename__ = "adverse_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("accreditation_case.id"), index=True)
    kind: Mapped[ProposalKind] = mapped_column(enum_type(ProposalKind, "proposal_kind"))
    immediate: Mapped[bool] = mapped_column(default=False)
    from_status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus, "from_status"))
    reasons: Mapped[str] = mapped_column(sa.Text)
    # The checklist items the reasons rest on: [{"key": ..., "title": ...}, ...].
    items: Mapped[list] = mapped_column(sa.JSON, default=list)
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    representations_due_on: Mapped[date] = mapped_column(sa.Date)
    outcome: Mapped[ProposalOutcome | None] = mapped_column(
        enum_type(ProposalOutcome, "proposal_outcome"))
    consideration: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_due_on: Mapped[date | None] = mapped_column(sa.Date)

    case = relationship("Case", back_populates="proposals")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    representations = relationship("Representation", back_populates="proposal",
                                   order_by="Representation.id")
    reviews = relationship("ReviewRequest", back_populates="proposal",
                           order_by="ReviewRequest.id")

    __table_args__ = (
        sa.CheckConstraint("outcome IS NULL OR (decided_by_id IS NOT NULL AND "
                           "decided_at IS NOT NULL) OR outcome = 'lapsed'",
                           name="decided_has_decider"),
        sa.CheckConstraint("outcome IS NULL OR outcome = 'lapsed' OR consideration IS NOT NULL",
                           name="decided_has_consideration"),
        # At most one notice waits for a decision on a case.
        sa.Index("uq_adverse_proposal_open", "case_id", unique=True,
                 sqlite_where=sa.text("outcome IS NULL"),
                 postgresql_where=sa.text("outcome IS NULL")),
    )

    @property
    def organisation_id(self) -> int:
        return self.case.organisation_id

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    @property
    def representations_open(self) -> bool:
        """The provider may still make representations."""
        return self.is_open and clock.today() <= self.representations_due_on

    @property
    def decidable(self) -> bool:
        """Representations are in, or the time for them has passed."""
        return self.is_open and (bool(self.representations)
                                 or clock.today() > self.representations_due_on)

    @property
    def open_review(self) -> ReviewRequest | None:
        return next((review for review in self.reviews if review.outcome is None), None)

    @property
    def may_ask_for_review(self) -> bool:
        return (self.outcome is not None and self.outcome.adverse and not self.reviews
                and self.review_due_on is not None and clock.today() <= self.review_due_on)

    @property
    def title(self) -> str:
        immediate = "Immediate suspension" if self.immediate else f"Proposed {self.kind.value}"
        return f"{immediate} of {self.case.reference}"


class Representation(db.Model):
    """What the provider wrote (and sent) in answer to a proposal."""

    __tablename__ = "representation"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("adverse_proposal.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    made_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal = relationship("Proposal", back_populates="representations")
    made_by = relationship("User")
    files = relationship("SubmissionFile", back_populates="representation",
                         order_by="SubmissionFile.id")


class ReviewOutcome(enum.Enum):
    UPHELD = "upheld"
    OVERTURNED = "overturned"

    @property
    def label(self) -> str:
        return {"upheld": "Decision upheld", "overturned": "Decision overturned"}[self.value]


class ReviewRequest(db.Model):
    """A provider's request for a review of an adverse decision, with its grounds, and the
    review's outcome by a commissioner not involved before."""

    __tablename__ = "review_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("adverse_proposal.id"), index=True)
    grounds: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[ReviewOutcome | None] = mapped_column(
        enum_type(ReviewOutcome, "review_outcome"))
    reasons: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    proposal = relationship("Proposal", back_populates="reviews")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    files = relationship("SubmissionFile", back_populates="review",
                         order_by="SubmissionFile.id")

    __table_args__ = (
        sa.CheckConstraint("outcome IS NULL OR (reasons IS NOT NULL AND decided_by_id IS NOT "
                           "NULL AND decided_at IS NOT NULL)", name="reviewed_has_reasons"),
    )


class SubmissionFile(db.Model):
    """An evidence file sent with representations or with a request for a review."""

    __tablename__ = "submission_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence.id"), index=True)
    representation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("representation.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(sa.ForeignKey("review_request.id"), index=True)

    evidence = relationship("Evidence")
    representation = relationship("Representation", back_populates="files")
    review = relationship("ReviewRequest", back_populates="files")

    __table_args__ = (
        sa.CheckConstraint("(representation_id IS NULL) != (review_id IS NULL)",
                           name="sent_with_one"),
    )


def open_proposal(case: Case) -> Proposal | None:
    """The case's proposal waiting for a decision, if any (there is at most one)."""
    return next((proposal for proposal in case.proposals if proposal.is_open), None)
