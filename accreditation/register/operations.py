"""What people do on the register: record referral checks, set vacancies, export searches.

The register itself is computed (``index`` keeps it in step with the cases); these are the
changes people make around it, and the reads that belong with them:

- referral checks: a social worker records, before a referral, that they checked the
  register. The check is an audit event (hash-chained, so it cannot be changed later)
  holding the provider's register status at that moment, as ``status.register_entry`` saw
  it: the status, the case in force, its expiry, the accredited properties and the
  checklist versions the provider was assessed against. A later review can then prove that
  the referral went to a provider that was accredited at the time, or that the social
  worker was warned it was not. Checking a provider that is not on the register is still
  recorded, and the confirmation says clearly not to refer. Nothing about the young person
  is asked for or kept: only the social worker's own reference (a case number, say).
- vacancies: how many bed spaces a provider has free in each property, kept current by the
  provider, so that social workers searching the register know where to ask first. They
  are not application data: a provider may change them at any time, also while its
  application is being assessed (the freeze in ``providers.operations`` does not apply).
  Only the provider's own staff set them, for their own organisation's properties; another
  organisation's property is refused like a missing one, and the attempt is audited. The
  same operation serves the provider's property page and the JSON API
  (``PUT /api/v1/properties/{id}/vacancies``, in ``api.register``).
- exports: a CSV export of a search is audited with the query and its numbers of rows.

Each operation checks who may act, changes what it changes, writes one audit event and
commits once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa

from .. import audit, clock, personal_details
from ..audit import AuditEvent
from ..auth.models import Role, User
from ..database import utcnow
from ..denials import record_request_denial, refuse
from ..errors import NotFound, NotPermitted, ValidationFailed
from ..extensions import db
from ..providers.models import Organisation, Property
from ..standards.models import Assessment, PublishedChecklist
from .access import REGISTER_ROLES
from .query import RegisterQuery
from .search import Page, search_properties
from .status import RegisterEntry, RegisterStatus, register_entry

ACTION = "referral.checked"
CHECKING_ROLES = (Role.SOCIAL_WORKER, Role.COMMISSIONER)
REFERENCE_MAX = 40
REFERENCE = re.compile(r"^[A-Za-z0-9/\- ]+$")
CHECKS_PER_PAGE = 25
NOT_FOUND = "We could not find that page. Check the address and try again."
PROPERTY_NOT_FOUND = "We could not find that property. Check the address and try again."
EXPORT_LIMIT = 5000


# --- referral checks: recording one ------------------------------------------------------------

def clean_reference(raw: str | None) -> str:
    """The social worker's reference, trimmed and with runs of spaces made one, or
    ValidationFailed saying what to change."""
    reference = re.sub(r"\s+", " ", raw or "").strip()
    if not reference:
        raise ValidationFailed("Enter your reference for this referral, like your case number",
                               field="reference")
    if len(reference) > REFERENCE_MAX:
        raise ValidationFailed(f"Your reference must be {REFERENCE_MAX} characters or fewer",
                               field="reference")
    if not REFERENCE.match(reference):
        raise ValidationFailed("Your reference can only include letters, numbers, spaces, "
                               "hyphens (-) and slashes (/)", field="reference")
    if personal_details.found_in(reference):
        raise ValidationFailed(
            f"Enter your case or referral number, not {personal_details.found_in(reference)}. "
            "Never enter the young person's details", field="reference")
    if not any(character in "0123456789" for character in reference):
        # Case and referral numbers have one; a young person's name never does.
        raise ValidationFailed(
            "Your reference must include a number, like your case number CN-2026/0042, so "
            "that it cannot be the young person's name", field="reference")
    return reference


def checklist_versions(entry: RegisterEntry | None) -> list[dict]:
    """The checklist versions (and threshold steps) the deciding case was assessed against."""
    if entry is None:
        return []
    rows = db.session.execute(
        sa.select(PublishedChecklist.kind, PublishedChecklist.version,
                  Assessment.step_effective_from)
        .join(Assessment, Assessment.checklist_version_id == PublishedChecklist.id)
        .where(Assessment.case_id == entry.case.id).distinct())
    return [{"kind": kind, "version": version, "step_effective_from": step.isoformat()}
            for kind, version, step in sorted(rows)]


def register_snapshot(organisation: Organisation) -> dict:
    """What the register says about this provider now, as plain JSON facts."""
    entry = register_entry(organisation)
    if entry is None:
        snapshot = {"status": RegisterStatus.NOT_ACCREDITED.value, "case_id": None,
                    "case_reference": None, "decision": None, "accredited_on": None,
                    "expires_on": None, "property_ids": [], "open_conditions": 0}
    else:
        snapshot = entry.snapshot()
    snapshot["on_register"] = RegisterStatus(snapshot["status"]).on_register
    snapshot["checklists"] = checklist_versions(entry)
    return snapshot


def record_referral_check(actor: User, organisation: Organisation, *, reference: str | None,
                          property_id: int | None = None) -> AuditEvent:
    """Record that ``actor`` checked ``organisation`` on the register for a referral.

    The event stores the register status at this moment (whatever it is: a provider that is
    not on the register is recorded too) and the social worker's own reference; the property,
    if one is named, must be one of the provider's properties on the register now. Commits.
    """
    if actor.role not in CHECKING_ROLES:
        raise NotPermitted("Only council social workers and commissioners record referral "
                           "checks.")
    reference = clean_reference(reference)
    snapshot = register_snapshot(organisation)
    if property_id is not None and property_id not in snapshot["property_ids"]:
        raise ValidationFailed(
            f"Select one of {organisation.name}'s accredited properties, or none",
            field="property_id")
    event = audit.record(ACTION, actor=actor, subject=organisation, details={
        "reference": reference,
        "organisation_name": organisation.name,
        "property_id": property_id,
        "checked_on": clock.today().isoformat(),
        "register": snapshot,
    })
    db.session.commit()
    return event


# --- referral checks: reading them back --------------------------------------------------------

@dataclass(frozen=True)
class ReferralCheck:
    """One recorded check, as its audit event holds it."""

    event: AuditEvent

    @property
    def id(self) -> int:
        return self.event.id

    @property
    def check_reference(self) -> str:
        """Printable: the event's number and the start of its chained hash, so a printout can
        be matched to the audit trail (and a changed event would no longer match)."""
        return f"RC-{self.event.id:06d}-{self.event.hash[:8].upper()}"

    @property
    def checked_at(self) -> datetime:
        return self.event.occurred_at

    @property
    def reference(self) -> str:
        return self.event.details["reference"]

    @property
    def organisation_id(self) -> int:
        return int(self.event.subject_id)

    @property
    def organisation_name(self) -> str:
        return self.event.details["organisation_name"]

    @property
    def register(self) -> dict:
        return self.event.details["register"]

    @property
    def status(self) -> RegisterStatus:
        return RegisterStatus(self.register["status"])

    @property
    def on_register(self) -> bool:
        return self.status.on_register

    @property
    def property_id(self) -> int | None:
        return self.event.details.get("property_id")

    @property
    def expires_on(self) -> date | None:
        raw = self.register.get("expires_on")
        return date.fromisoformat(raw) if raw else None


def get_check_for(user: User, check_id: int) -> ReferralCheck:
    """One of ``user``'s own checks; anyone else's answers 404 (and is audited)."""
    event = db.session.get(AuditEvent, check_id)
    if event is None or event.action != ACTION:
        raise NotFound(NOT_FOUND)
    if event.actor_id != user.id:
        record_request_denial("referral check recorded by someone else",
                              subject_type="audit_event", subject_id=str(check_id))
        raise NotFound(NOT_FOUND)
    return ReferralCheck(event)


def checks_by(user: User, page: int = 1,
              per_page: int = CHECKS_PER_PAGE) -> tuple[list[ReferralCheck], int]:
    """``user``'s own checks, newest first: one page of them and the number of pages."""
    query = sa.select(AuditEvent).where(AuditEvent.action == ACTION,
                                        AuditEvent.actor_id == user.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    events = db.session.scalars(query.order_by(AuditEvent.seq.desc())
                                .offset((page - 1) * per_page).limit(per_page))
    return [ReferralCheck(event) for event in events], max(math.ceil(total / per_page), 1)


# --- vacancies ---------------------------------------------------------------------------------

def vacancies_problem(property_: Property, vacancies: int | None) -> str | None:
    """What is wrong with ``vacancies`` for this property, or None when it can be recorded."""
    if vacancies is None:
        return f"Enter how many vacancies {property_.name} has now, or 0 if it is full"
    if not 0 <= vacancies <= property_.bed_spaces:
        return (f"The number of vacancies must be between 0 and {property_.bed_spaces}, "
                f"the number of bed spaces at {property_.name}")
    return None


def ensure_own_property(actor: User, property_: Property | None) -> Property:
    """``property_`` if it is one of ``actor``'s own organisation's properties. A provider's
    staff only; a missing property, or another organisation's, is NotFound (the second is
    audited and committed first)."""
    if actor.role is not Role.PROVIDER or actor.organisation_id is None:
        raise NotPermitted("Only the provider's own staff can update its vacancies.")
    if property_ is None:
        raise NotFound(PROPERTY_NOT_FOUND)
    if property_.organisation_id != actor.organisation_id:
        refuse(actor, NotFound(PROPERTY_NOT_FOUND), "record belongs to another organisation",
               subject=property_, attempted="property.vacancies_updated")
    return property_


def set_vacancies(actor: User, property_: Property | None, vacancies: int | None, *,
                  via: str = "web") -> Property:
    """Record how many vacancies the property has now (0 to its bed spaces).

    Allowed whatever the state of the provider's application. Saving the same number again
    is a confirmation that it is still right: the time of the update moves on either way.
    Writes one audit event (the numbers only) and commits.
    """
    property_ = ensure_own_property(actor, property_)
    problem = vacancies_problem(property_, vacancies)
    if problem:
        raise ValidationFailed(problem, field="vacancies")
    previous = property_.vacancies
    property_.vacancies = vacancies
    property_.vacancies_updated_at = utcnow()
    audit.record("property.vacancies_updated", actor=actor, subject=property_,
                 details={"vacancies": vacancies, "previous": previous,
                          "bed_spaces": property_.bed_spaces, "via": via})
    db.session.commit()
    return property_


def vacancies_age_days(property_: Property, today=None) -> int | None:
    """Whole days since the vacancies were last updated (None if never)."""
    updated: datetime | None = property_.vacancies_updated_at
    if updated is None:
        return None
    return max(((today or clock.today()) - updated.date()).days, 0)


def vacancies_age_text(property_: Property, today=None) -> str:
    """How fresh the vacancies are, for people: 'updated today', 'updated 1 day ago',
    'updated 12 days ago', or 'never updated'."""
    days = vacancies_age_days(property_, today)
    if days is None:
        return "never updated"
    if days == 0:
        return "updated today"
    return f"updated {days} day{'' if days == 1 else 's'} ago"


# --- exports -----------------------------------------------------------------------------------

def export_search(actor: User, query: RegisterQuery) -> Page:
    """The properties a search finds, for a CSV export: the first ``EXPORT_LIMIT`` of them,
    whatever page and size were asked for. Writes one audit event (the query and the numbers
    of rows) and commits."""
    if actor.role not in REGISTER_ROLES:
        raise NotPermitted("Only council and consortium staff export the register.")
    query = replace(query, page=1, size=EXPORT_LIMIT)
    page = search_properties(query)
    audit.record("register.exported", actor=actor, details={
        "query": query.describe(), "rows": len(page.items), "matching": page.total_items})
    db.session.commit()
    return page
