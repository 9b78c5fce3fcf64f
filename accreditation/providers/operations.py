"""Operations on a provider's own records: the data its application for accreditation is made of.

Every operation acts on the actor's own organisation only (another organisation's record is
refused as if it did not exist, and the attempt is audited), checks every rule of the answers
it is given, refuses while an application is being assessed, writes one audit event (ids and
field names only, never what was typed: names and addresses are personal data) and commits
once. Problems with a set of answers are collected and raised together (``Problems``), so a
form can show all of them at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import audit, clock, personal_details, workflow
from ..auth.models import Role, User
from ..cases.models import Case, CaseProperty, Condition, open_case_for
from ..companies import InvalidCompanyNumber, normalise_company_number
from ..councils import Council, is_property_area, property_areas
from ..database import utcnow
from ..denials import refuse
from ..errors import Conflict, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from ..extensions import db
from ..notifications.messages import notify_organisation
from ..numbers import NumberRule
from ..register.status import property_on_register, register_entry
from ..routing import external_url
from ..standards.models import Assessment
from ..workflow import OPEN, RETURNED, CaseStatus
from .models import (
    ACCREDITED_FIELDS,
    KEY_POLICIES,
    AccommodationCategory,
    FileType,
    Organisation,
    OrganisationPerson,
    PersonRole,
    Policy,
    Property,
    PropertyChange,
    PropertyChangeStatus,
    RosterEntry,
    Tenure,
    open_company_number_claim,
)

# --- errors ------------------------------------------------------------------------------------


class Problems(ValidationFailed):
    """Everything wrong with one set of answers, by field; the first one is the message."""

    def __init__(self, problems: Mapping[str, str]):
        field, message = next(iter(problems.items()))
        super().__init__(message, field=field)
        self.problems = dict(problems)


class EditingFrozen(InvalidTransition):
    """The organisation's application is being assessed: its data must stay as submitted."""


class _Checker:
    """Collects the problems of one set of answers before anything is changed."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.problems.setdefault(field, message)  # the first problem of a field is the one to fix

    def text(self, field: str, value: str | None, *, what: str, max_length: int,
             missing: str | None = None) -> str | None:
        """Stripped text, or None when empty; ``missing`` makes it required."""
        value = (value or "").strip()
        if not value:
            if missing:
                self.add(field, missing)
            return None
        if len(value) > max_length:
            self.add(field, f"{what} must be {max_length} characters or fewer")
        return value

    def number(self, field: str, value: int | None, *, low: int, high: int, missing: str,
               out_of_range: str) -> int | None:
        if value is None:
            self.add(field, missing)
        elif not low <= value <= high:
            self.add(field, out_of_range)
        return value

    def raise_if_any(self) -> None:
        if self.problems:
            raise Problems(self.problems)


def _problems(check_answers: Callable[..., dict], *args, **answers) -> dict[str, str]:
    check = _Checker()
    check_answers(check, *args, **answers)
    return check.problems


def _checked(check_answers: Callable[..., dict], *args, **answers) -> dict:
    """The answers made ready to store, or ``Problems`` with everything wrong with them."""
    check = _Checker()
    values = check_answers(check, *args, **answers)
    check.raise_if_any()
    return values


# --- whose records, and when they may change ---------------------------------------------------

# Submitted and in the assessors' hands. A draft is still being written, and a return asks
# the provider to change things, so both stay editable.
BEING_ASSESSED = frozenset(OPEN - {CaseStatus.DRAFT, *RETURNED.values()})

FROZEN_MESSAGE = (
    "Your application is being assessed: you cannot change your organisation's details, "
    "properties or files until the assessors finish or ask you for more information. If "
    "something important has changed, contact the consortium."
)


def organisation_of(actor: User) -> Organisation:
    """The one organisation this provider user acts for."""
    if actor.role is not Role.PROVIDER or actor.organisation is None:
        raise NotPermitted("Only a provider's own staff can change its details.")
    return actor.organisation


def case_being_assessed(organisation: Organisation) -> Case | None:
    case = open_case_for(organisation)
    return case if case is not None and case.status in BEING_ASSESSED else None


def editing_frozen_reason(organisation: Organisation) -> str | None:
    """Why the organisation's application data cannot be changed now, or None if it can."""
    return FROZEN_MESSAGE if case_being_assessed(organisation) is not None else None


def _editable_organisation(actor: User) -> Organisation:
    organisation = organisation_of(actor)
    # The whole application is frozen, not only properties and rosters: due diligence
    # assesses the details, people, insurance and policies as they were submitted.
    if case_being_assessed(organisation) is not None:
        raise EditingFrozen(FROZEN_MESSAGE)
    return organisation


def _ensure_own(actor: User, record) -> None:
    """Refuse another organisation's record exactly like a missing one, and audit it."""
    if record.organisation_id != actor.organisation_id:
        refuse(actor, NotFound("We could not find that page. Check the address and try again."),
               "record belongs to another organisation", subject=record)


# --- organisation details and people -----------------------------------------------------------

# The ICO's registration numbers: Z and seven digits, or Z, a letter and six digits
# (ZA123456, ZB123456), as on its register of fee payers.
ICO_REGISTRATION_NUMBER = re.compile(r"^Z(?:[0-9]{7}|[A-Z][0-9]{6})$")


def normalise_ico_registration_number(raw: str | None) -> str | None:
    """'za 123 456' -> 'ZA123456'; None when it cannot be an ICO registration number."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    return compact if ICO_REGISTRATION_NUMBER.match(compact) else None


def _check_organisation_details(check: _Checker, *, registered_office: str | None,
                                ico_registration_number: str | None) -> dict:
    office = check.text("registered_office", registered_office, what="The registered office",
                        max_length=300, missing="Enter your registered office address")
    ico = normalise_ico_registration_number(ico_registration_number)
    if not (ico_registration_number or "").strip():
        check.add("ico_registration_number", "Enter your ICO registration number")
    elif ico is None:
        check.add("ico_registration_number", "Enter your ICO registration number as it is on "
                                             "the ICO's register, like ZA123456 or Z1234567")
    return {"registered_office": office, "ico_registration_number": ico}


def organisation_details_problems(**answers) -> dict[str, str]:
    return _problems(_check_organisation_details, **answers)


def company_number_fixed_reason(organisation: Organisation) -> str | None:
    """Why the provider cannot change its company number now (the commissioning team can),
    or None if it can: while it applies, until due diligence has checked the number, and
    while due diligence has returned the application to it."""
    claim = open_company_number_claim(organisation)
    if claim is not None:
        return (f"The commissioning team is checking which organisation company number "
                f"{claim.company_number} belongs to. Contact them if your company number is "
                "different.")
    case = open_case_for(organisation)
    if case is not None:
        if case.status in (CaseStatus.DRAFT, CaseStatus.RETURNED_AT_DUE_DILIGENCE):
            return None
        return ("Due diligence has checked your organisation under this company number, so "
                "only the commissioning team can change it now. Contact them if it is wrong.")
    if any(case.status in COMPANY_NUMBER_ACCREDITED for case in organisation.cases):
        return ("Your organisation is accredited under this company number, so only the "
                "commissioning team can change it. Contact them if it is wrong.")
    return None


# An accreditation given under the organisation's company number, in force or suspended.
COMPANY_NUMBER_ACCREDITED = frozenset({CaseStatus.ACCREDITED, CaseStatus.REASSESSMENT_DUE,
                                       CaseStatus.SUSPENDED})


def _check_company_number(check: _Checker, organisation: Organisation,
                          company_number: str) -> str | None:
    """A Companies House number no other organisation has, or None for none (blank)."""
    if not company_number.strip():
        return None
    try:
        number = normalise_company_number(company_number)
    except InvalidCompanyNumber as error:
        check.add("company_number", error.message)
        return None
    if db.session.scalar(sa.select(Organisation.id).where(
            Organisation.company_number == number, Organisation.id != organisation.id)):
        check.add("company_number", _number_taken(number))
    return number


def _number_taken(number: str) -> str:
    return (f"Another organisation is registered with company number {number}. Check the "
            "number: it is on the certificate of incorporation")


def _set_company_number(actor: User, organisation: Organisation, number: str | None) -> None:
    """Give the organisation ``number`` (audited with the one it replaces); the caller has
    checked it and commits."""
    before = organisation.company_number
    if number == before:
        return
    organisation.company_number = number
    try:
        db.session.flush()
    except IntegrityError:  # the same number given to another organisation at this moment
        db.session.rollback()
        raise Problems({"company_number": _number_taken(number)}) from None
    audit.record("organisation.company_number_changed", actor=actor, subject=organisation,
                 details={"from": before, "to": number})


def update_organisation_details(actor: User, *, registered_office: str | None,
                                ico_registration_number: str | None = None,
                                company_number: str | None = None) -> None:
    """Set the registered office address and the ICO registration number; and the company
    number when one is given (blank: none), if the provider may change it now
    (``company_number_fixed_reason``)."""
    organisation = _editable_organisation(actor)
    check = _Checker()
    values = _check_organisation_details(check, registered_office=registered_office,
                                         ico_registration_number=ico_registration_number)
    number = organisation.company_number
    if company_number is not None:
        wanted = _check_company_number(check, organisation, company_number)
        fixed = company_number_fixed_reason(organisation)
        if fixed is not None and (wanted != number or "company_number" in check.problems):
            check.problems["company_number"] = fixed
        else:
            number = wanted
    check.raise_if_any()
    changed = [name for name, value in values.items() if getattr(organisation, name) != value]
    for name in changed:
        setattr(organisation, name, values[name])
    if changed:
        audit.record("organisation.details_updated", actor=actor, subject=organisation,
                     details={"fields": changed})
    _set_company_number(actor, organisation, number)
    db.session.commit()


def correct_company_number(actor: User, organisation: Organisation,
                           company_number: str | None) -> None:
    """A commissioner puts an organisation's company number right (blank: it has none), at
    any time; not while another organisation's claim to a number waits for their decision."""
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners correct a provider's company number.")
    claim = open_company_number_claim(organisation)
    if claim is not None:
        raise Problems({"company_number": (
            f"Decide which organisation keeps company number {claim.company_number} first: "
            "it is under Disputed company numbers")})
    check = _Checker()
    number = _check_company_number(check, organisation, company_number or "")
    check.raise_if_any()
    _set_company_number(actor, organisation, number)
    db.session.commit()


def _check_person(check: _Checker, *, full_name: str | None, role: PersonRole | None,
                  appointed_on: date | None = None) -> dict:
    name = check.text("full_name", full_name, what="Full name", max_length=120,
                      missing="Enter the person's full name")
    if role is None:
        check.add("role", "Select the person's role")
    if appointed_on is not None and appointed_on > clock.today():
        check.add("appointed_on", "The date they were appointed must be today or in the past")
    return {"full_name": name, "role": role, "appointed_on": appointed_on}


def person_problems(**answers) -> dict[str, str]:
    return _problems(_check_person, **answers)


def add_person(actor: User, *, full_name: str | None, role: PersonRole | None,
               appointed_on: date | None = None) -> OrganisationPerson:
    """Add a director, or the registered manager. There is only ever one registered manager:
    adding one replaces whoever held the role."""
    organisation = _editable_organisation(actor)
    values = _checked(_check_person, full_name=full_name, role=role, appointed_on=appointed_on)
    replaced = None
    if role is PersonRole.REGISTERED_MANAGER:
        replaced = next((p for p in organisation.people
                         if p.role is PersonRole.REGISTERED_MANAGER), None)
        if replaced is not None:
            db.session.delete(replaced)
    person = OrganisationPerson(organisation=organisation, **values)
    db.session.add(person)
    db.session.flush()
    audit.record("organisation.person_added", actor=actor, subject=person,
                 details={"role": role.value,
                          "replaced_person_id": replaced.id if replaced else None})
    db.session.commit()
    return person


def person_removable(person: OrganisationPerson) -> bool:
    # Due diligence needs a registered manager: the role changes hands, it is never left empty.
    return person.role is not PersonRole.REGISTERED_MANAGER


def remove_person(actor: User, person: OrganisationPerson) -> None:
    """Remove a director. The registered manager is replaced, never just removed."""
    _ensure_own(actor, person)
    _editable_organisation(actor)
    if not person_removable(person):
        raise ValidationFailed(
            "Your organisation must have a registered manager. To change who it is, add the "
            "new registered manager: they replace the current one.")
    db.session.delete(person)
    audit.record("organisation.person_removed", actor=actor, subject=person,
                 details={"role": person.role.value})
    db.session.commit()


# --- properties --------------------------------------------------------------------------------

# The UK Government Data Standards postcode pattern, on the postcode without spaces.
POSTCODE = re.compile(r"^(?:[A-Z][A-HJ-Y]?[0-9][A-Z0-9]?|GIR)[0-9][A-Z]{2}$")
MAX_BED_SPACES = 50
YOUNGEST, OLDEST = 16, 25  # the scheme is for young people aged 16 to 25


def normalise_postcode(raw: str | None) -> str | None:
    """'n19gu ' -> 'N1 9GU'; None when it is not a UK postcode."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    if not POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


@dataclass(frozen=True)
class PropertyDetails:
    """A property's answers as given (unchecked): what ``add_property``/``update_property`` take."""

    name: str | None = None
    address_line_1: str | None = None
    address_line_2: str | None = None
    town: str | None = None
    postcode: str | None = None
    local_authority_id: int | None = None
    category: AccommodationCategory | None = None
    bed_spaces: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    who_for: str | None = None


def _check_property(check: _Checker, details: PropertyDetails) -> dict:
    values = {
        "name": check.text("name", details.name, what="The property's name", max_length=120,
                           missing="Enter a name for the property"),
        "address_line_1": check.text(
            "address_line_1", details.address_line_1, what="Address line 1", max_length=120,
            missing="Enter address line 1, typically the building and street"),
        "address_line_2": check.text("address_line_2", details.address_line_2,
                                     what="Address line 2", max_length=120),
        "town": check.text("town", details.town, what="Town or city", max_length=80,
                           missing="Enter the town or city"),
        "postcode": normalise_postcode(details.postcode),
        "local_authority_id": details.local_authority_id,
        "category": details.category,
        "bed_spaces": check.number(
            "bed_spaces", details.bed_spaces, low=1, high=MAX_BED_SPACES,
            missing="Enter the number of bed spaces",
            out_of_range=f"The number of bed spaces must be between 1 and {MAX_BED_SPACES}"),
        "age_min": check.number(
            "age_min", details.age_min, low=YOUNGEST, high=OLDEST,
            missing="Enter the youngest age the property is for",
            out_of_range=f"The youngest age must be between {YOUNGEST} and {OLDEST}"),
        "age_max": check.number(
            "age_max", details.age_max, low=YOUNGEST, high=OLDEST,
            missing="Enter the oldest age the property is for",
            out_of_range=f"The oldest age must be between {YOUNGEST} and {OLDEST}"),
        "who_for": check.text("who_for", details.who_for, what="Who the property is for",
                              max_length=200,
                              missing="Enter who the property is for, like care leavers"),
    }
    if not (details.postcode or "").strip():
        check.add("postcode", "Enter the postcode")
    elif values["postcode"] is None:
        check.add("postcode", "Enter a full UK postcode, like N1 9GU")
    if not is_property_area(details.local_authority_id):
        check.add("local_authority_id", "Select the local authority the property is in")
    if details.category is None:
        check.add("category", "Select the category of accommodation")
    if ("age_min" not in check.problems and "age_max" not in check.problems
            and values["age_min"] > values["age_max"]):
        check.add("age_max", "The oldest age must be the same as or more than the youngest age")
    return values


def property_problems(details: PropertyDetails) -> dict[str, str]:
    return _problems(_check_property, details)


def add_property(actor: User, details: PropertyDetails) -> Property:
    """Declare a property the organisation wants accredited."""
    organisation = _editable_organisation(actor)
    property_ = Property(organisation=organisation, **_checked(_check_property, details))
    db.session.add(property_)
    db.session.flush()
    audit.record("property.added", actor=actor, subject=property_)
    db.session.commit()
    return property_


def update_property(actor: User, property_: Property,
                    details: PropertyDetails) -> PropertyChange | None:
    """Save a property's details; on a property on the register, ask for approval of any change
    to what was accredited (returned) and apply the rest at once."""
    _ensure_own(actor, property_)
    _editable_organisation(actor)
    values = _checked(_check_property, details)
    if values["bed_spaces"] < property_.vacancies:
        raise Problems({"bed_spaces": (
            f"This property has {property_.vacancies} vacancies recorded, so it needs at least "
            f"{property_.vacancies} bed spaces")})
    changed = [name for name, value in values.items() if getattr(property_, name) != value]
    held = [name for name in changed if name in ACCREDITED_FIELDS] \
        if property_on_register(property_) else []
    applied = [name for name in changed if name not in held]
    for name in applied:
        setattr(property_, name, values[name])
    if applied:
        audit.record("property.updated", actor=actor, subject=property_,
                     details={"fields": applied})
    request = _ask_for_approval(actor, property_, {name: values[name] for name in held})
    db.session.commit()
    return request


def details_as_asked(property_: Property) -> dict:
    """The property's details with any change waiting for approval: what its form shows."""
    pending = pending_change_of(property_)
    asked = {name: _from_json(name, value) for name, value in pending.changes.items()} \
        if pending is not None else {}
    return {name: asked.get(name, getattr(property_, name))
            for name in PropertyDetails.__dataclass_fields__}


def _as_json(value):
    return value.value if isinstance(value, AccommodationCategory) else value


def _from_json(field: str, value):
    return AccommodationCategory(value) if field == "category" and value is not None else value


def pending_change_of(property_: Property) -> PropertyChange | None:
    """The property's change waiting for a commissioner's approval, if any."""
    return db.session.scalar(sa.select(PropertyChange).where(
        PropertyChange.property_id == property_.id,
        PropertyChange.status == PropertyChangeStatus.PENDING))


def accredited_inspection(property_: Property) -> Assessment | None:
    """The inspection by which the property is on the register (None if it is not on it)."""
    entry = register_entry(property_.organisation)
    if entry is None or not entry.on_register:
        return None
    link = next((link for link in entry.case.properties
                 if link.property_id == property_.id and link.accredited), None)
    return link.assessment if link is not None else None


def changes_of(property_: Property, limit: int = 5) -> list[PropertyChange]:
    """The property's latest requests to change what was accredited, newest first."""
    return list(db.session.scalars(
        sa.select(PropertyChange).where(PropertyChange.property_id == property_.id)
        .order_by(PropertyChange.id.desc()).limit(limit)))


def _ask_for_approval(actor: User, property_: Property, held: dict) -> PropertyChange | None:
    """Hold ``held`` (field -> new value) for approval; it replaces a pending request, and
    asking for nothing withdraws it (the provider set the details back)."""
    changes = {name: _as_json(value) for name, value in held.items()}
    pending = pending_change_of(property_)
    if pending is not None:
        if pending.changes == changes:
            return pending
        _close(pending, actor, PropertyChangeStatus.WITHDRAWN, "property.change_withdrawn")
    if not changes:
        return None
    request = PropertyChange(
        home=property_, organisation_id=property_.organisation_id, requested_by=actor,
        changes=changes, previous={name: _as_json(getattr(property_, name)) for name in held})
    db.session.add(request)
    db.session.flush()
    audit.record("property.change_requested", actor=actor, subject=property_,
                 details={"change_id": request.id, "fields": list(changes)})
    return request


def _close(change: PropertyChange, actor: User, status: PropertyChangeStatus, action: str,
           reasons: str | None = None) -> None:
    change.status = status
    change.decided_by = actor
    change.decided_at = utcnow()
    change.reasons = reasons
    audit.record(action, actor=actor, subject=change.home,
                 details={"change_id": change.id, "fields": list(change.changes)})


def _ensure_pending(change: PropertyChange) -> None:
    if not change.is_pending:
        raise Conflict(f"This change to {change.home.name} is no longer waiting for "
                       f"approval: it is {change.status.label.lower()}.")


def withdraw_property_change(actor: User, change: PropertyChange) -> None:
    """The provider no longer wants a change it asked for."""
    organisation_of(actor)
    _ensure_own(actor, change)
    _ensure_pending(change)
    _close(change, actor, PropertyChangeStatus.WITHDRAWN, "property.change_withdrawn")
    db.session.commit()


def decide_property_change(actor: User, change: PropertyChange, *, approve: bool | None,
                           reasons: str | None) -> None:
    """A commissioner approves a change to an accredited property (it applies at once and the
    property stays on the register) or refuses it with reasons (nothing changes)."""
    if actor.role is not Role.COMMISSIONER:
        refuse(actor, NotPermitted("Only commissioners decide changes to accredited "
                                   "properties."), "not a commissioner", subject=change.home)
    _ensure_pending(change)
    check = _Checker()
    if approve is None:
        check.add("decision", "Select whether you approve the change")
    reasons = check.text(
        "reasons", reasons, what="The reasons", max_length=2000,
        missing="Enter why the change is not approved" if approve is False else None)
    home = change.home
    if approve and change.changes.get("bed_spaces", home.bed_spaces) < home.vacancies:
        check.add("decision", f"{home.name} now has {home.vacancies} vacancies recorded, more "
                              "than the bed spaces asked for: refuse the change and ask the "
                              "provider to ask again")
    check.raise_if_any()
    if approve:
        for name, value in change.changes.items():
            setattr(home, name, _from_json(name, value))
        _close(change, actor, PropertyChangeStatus.APPROVED, "property.change_approved", reasons)
        body = (f"The consortium has approved your change to {home.name}. The register now "
                "shows the new details.")
    else:
        _close(change, actor, PropertyChangeStatus.REFUSED, "property.change_refused", reasons)
        body = (f"The consortium has not approved your change to {home.name}. The register "
                f"still shows the details that were accredited.\n\nReasons:\n{reasons}")
    if reasons and approve:
        body += f"\n\n{reasons}"
    notify_organisation(home.organisation_id, f"{home.name}: change "
                        f"{'approved' if approve else 'not approved'}", body,
                        what="the property",
                        link=external_url("providers.property_detail", property_id=home.id))
    db.session.commit()


def property_in_use(property_: Property) -> bool:
    """Part of an application (or assessed): its history must stay, so it cannot go."""
    return any(db.session.scalar(sa.select(sa.exists().where(column == property_.id)))
               for column in (CaseProperty.property_id, Condition.property_id,
                              Assessment.property_id))


def remove_property(actor: User, property_: Property) -> None:
    _ensure_own(actor, property_)
    _editable_organisation(actor)
    if property_in_use(property_):
        raise ValidationFailed(
            f"{property_.name} is part of an application you have submitted, so it cannot be "
            "removed. Contact the consortium if you no longer provide accommodation there.")
    audit.record("property.removed", actor=actor, subject=property_)
    db.session.delete(property_)
    db.session.commit()


def _check_landlord(check: _Checker, *, tenure: Tenure | None, landlord_name: str | None = None,
                    lease_ends_on: date | None = None,
                    landlord_consent: bool | None = None) -> dict:
    if tenure is None:
        check.add("tenure", "Select who owns the property")
    if tenure not in (Tenure.LEASED, Tenure.MANAGEMENT_AGREEMENT):
        # Nothing to say about a landlord; answers given anyway (no JavaScript) are not kept.
        return {"tenure": tenure, "landlord_name": None, "lease_ends_on": None,
                "landlord_consent": None}
    landlord_name = check.text("landlord_name", landlord_name, what="The landlord's name",
                               max_length=160, missing="Enter the landlord's name")
    if lease_ends_on is None:
        check.add("lease_ends_on", "Enter the date the lease or agreement ends")
    elif lease_ends_on <= clock.today():
        check.add("lease_ends_on", "The date the lease or agreement ends must be in the future")
    if landlord_consent is None:
        check.add("landlord_consent", "Select whether the landlord has agreed to the property "
                                      "being used for young people")
    return {"tenure": tenure, "landlord_name": landlord_name, "lease_ends_on": lease_ends_on,
            "landlord_consent": landlord_consent}


def landlord_problems(**answers) -> dict[str, str]:
    return _problems(_check_landlord, **answers)


def set_landlord_arrangements(actor: User, property_: Property, *, tenure: Tenure | None,
                              landlord_name: str | None = None,
                              lease_ends_on: date | None = None,
                              landlord_consent: bool | None = None) -> None:
    """Who owns the property; for a leased or managed one, the landlord, when the lease ends
    (in the future) and whether the landlord consents to its use for young people."""
    _ensure_own(actor, property_)
    _editable_organisation(actor)
    values = _checked(_check_landlord, tenure=tenure, landlord_name=landlord_name,
                      lease_ends_on=lease_ends_on, landlord_consent=landlord_consent)
    changed = [name for name, value in values.items() if getattr(property_, name) != value]
    for name in changed:
        setattr(property_, name, values[name])
    if changed:
        audit.record("property.landlord_arrangements_set", actor=actor, subject=property_,
                     details={"fields": changed, "tenure": tenure.value})
    db.session.commit()


# --- insurance and policies --------------------------------------------------------------------

MAX_COVER_MILLIONS = 1000  # a sanity bound: no provider's cover runs to billions
# Cover in £ million, exactly, to the nearest £10,000 (2.5 is £2.5 million).
COVER = NumberRule(Decimal(1), Decimal(MAX_COVER_MILLIONS), 2, "£ million")


def _checked_professional_indemnity(check: _Checker, millions: Decimal | None) -> int | None:
    """Professional indemnity cover given in £ millions (0: none), in whole pounds."""
    field, what = "professional_indemnity_millions", "Professional indemnity cover"
    if millions is None:
        check.add(field, "Enter your professional indemnity cover in millions of pounds, or 0 "
                         "if you have none")
    elif not millions.is_finite() or not 0 <= millions <= MAX_COVER_MILLIONS:
        check.add(field, f"{what} must be between £0 and £{MAX_COVER_MILLIONS} million")
    elif millions != millions.quantize(Decimal("0.01")):
        check.add(field, f"{what} can have up to 2 decimal places, like 2.25")
    else:
        return int(millions * 1_000_000)
    return None


def _check_insurance_and_policies(
    check: _Checker, *, insurer: str | None,
    public_liability_millions: Decimal | int | None,
    employers_liability_millions: Decimal | int | None, insurance_expires_on: date | None,
    policies_reviewed_on: Mapping[str, date | None],
    professional_indemnity_millions: Decimal | None = None,
) -> dict:
    today = clock.today()
    insurer = check.text("insurer", insurer, what="The insurer's name", max_length=120,
                         missing="Enter the name of your insurer")
    for field, cover, what in (
        ("public_liability_millions", public_liability_millions, "public liability"),
        ("employers_liability_millions", employers_liability_millions, "employer's liability"),
    ):
        if cover is None:
            check.add(field, f"Enter your {what} cover in millions of pounds")
        else:
            problem = COVER.problem(cover, f"Your {what} cover")
            if problem:
                check.add(field, problem)
    professional_indemnity = _checked_professional_indemnity(check,
                                                             professional_indemnity_millions)
    if insurance_expires_on is None:
        check.add("insurance_expires_on", "Enter the date your insurance expires")
    elif insurance_expires_on <= today:
        check.add("insurance_expires_on", "The date your insurance expires must be in the "
                                          "future")
    unknown = set(policies_reviewed_on) - set(KEY_POLICIES)
    if unknown:
        raise ValueError(f"not key policies: {sorted(unknown)}")
    for name, reviewed_on in policies_reviewed_on.items():
        if reviewed_on is not None and reviewed_on > today:
            title = KEY_POLICIES[name][0].lower() + KEY_POLICIES[name][1:]
            check.add(f"policy_{name}", f"The date your {title} was last reviewed must be "
                                        "today or in the past")
    return {"insurer": insurer, "public_liability_millions": public_liability_millions,
            "employers_liability_millions": employers_liability_millions,
            "professional_indemnity_pounds": professional_indemnity,
            "insurance_expires_on": insurance_expires_on,
            "policies_reviewed_on": dict(policies_reviewed_on)}


def insurance_and_policies_problems(**answers) -> dict[str, str]:
    return _problems(_check_insurance_and_policies, **answers)


def set_insurance_and_policies(
    actor: User, *, insurer: str | None, public_liability_millions: Decimal | int | None,
    employers_liability_millions: Decimal | int | None, insurance_expires_on: date | None,
    policies_reviewed_on: Mapping[str, date | None],
    professional_indemnity_millions: Decimal | None = None,
) -> None:
    """The organisation's insurance (cover in £ millions, exactly, to two decimal places,
    expiring in the future; professional indemnity 0 for none) and when each key policy was
    last reviewed (not in the future; no date: not reviewed, removed)."""
    organisation = _editable_organisation(actor)
    insurance = _checked(
        _check_insurance_and_policies, insurer=insurer,
        public_liability_millions=public_liability_millions,
        employers_liability_millions=employers_liability_millions,
        professional_indemnity_millions=professional_indemnity_millions,
        insurance_expires_on=insurance_expires_on, policies_reviewed_on=policies_reviewed_on)
    policies_reviewed_on = insurance.pop("policies_reviewed_on")
    changed = [name for name, value in insurance.items()
               if getattr(organisation, name) != value]
    for name in changed:
        setattr(organisation, name, insurance[name])
    policies = {policy.name: policy for policy in organisation.policies}
    for name, reviewed_on in policies_reviewed_on.items():
        policy = policies.get(name)
        if reviewed_on is None and policy is not None:
            db.session.delete(policy)
        elif reviewed_on is not None and policy is None:
            db.session.add(Policy(organisation=organisation, name=name,
                                  last_reviewed_on=reviewed_on))
        elif policy is None or policy.last_reviewed_on == reviewed_on:
            continue
        else:
            policy.last_reviewed_on = reviewed_on
        changed.append(f"policy_{name}")
    if changed:
        audit.record("organisation.insurance_and_policies_set", actor=actor,
                     subject=organisation, details={"fields": changed})
    db.session.commit()


# --- file rosters ------------------------------------------------------------------------------

REFERENCE_CHARACTERS = re.compile(r"^[A-Za-z0-9-]+$")
MAX_REFERENCE_LENGTH = 40
NO_PERSONAL_DETAILS = ("This service must not hold the names or contact details of staff or "
                       "young people")


def _checked_reference(check: _Checker, raw: str | None) -> str | None:
    """A pseudonymous file reference, in capitals; names and e-mail addresses refused."""
    reference = (raw or "").strip()
    if not reference:
        check.add("reference", "Enter the file's reference, like STAFF-014")
    elif "@" in reference:
        check.add("reference", f"Enter your own file reference, not an email address. "
                               f"{NO_PERSONAL_DETAILS}")
    elif not REFERENCE_CHARACTERS.match(reference):
        check.add("reference", "A reference can only include letters, numbers and hyphens, "
                               f"like STAFF-014, with no spaces. {NO_PERSONAL_DETAILS}")
    elif personal_details.found_in(reference):
        check.add("reference", "Enter your own file reference, not "
                               f"{personal_details.found_in(reference)}. {NO_PERSONAL_DETAILS}")
    elif len(reference) > MAX_REFERENCE_LENGTH:
        check.add("reference", f"A reference must be {MAX_REFERENCE_LENGTH} characters or "
                               "fewer")
    elif not any(character.isdigit() for character in reference):
        # Letters and hyphens alone could spell a name ("Jo-Smith"); a number cannot.
        check.add("reference", "A reference must include at least one number, like STAFF-014, "
                               f"so that it cannot be a person's name. {NO_PERSONAL_DETAILS}")
    else:
        return reference.upper()
    return None


def _check_roster_entry(check: _Checker, organisation: Organisation, *,
                       file_type: FileType | None, reference: str | None, role: str | None,
                       started_on: date | None) -> dict:
    if file_type is None:
        check.add("file_type", "Select whether this is a staff file or a young person's file")
    reference = _checked_reference(check, reference)
    role = check.text("role", role, what="The role", max_length=80,
                      missing="Enter the role, like support worker or care leaver")
    if personal_details.found_in(role):
        check.add("role", f"Enter the role, like support worker or care leaver, not "
                          f"{personal_details.found_in(role)}. {NO_PERSONAL_DETAILS}")
    if started_on is None:
        check.add("started_on", "Enter the date they started")
    elif started_on > clock.today():
        check.add("started_on", "The date they started must be today or in the past")
    if file_type is not None and reference is not None and db.session.scalar(
        sa.select(sa.exists().where(RosterEntry.organisation_id == organisation.id,
                                    RosterEntry.file_type == file_type,
                                    RosterEntry.reference == reference))
    ):
        check.add("reference", _duplicate_reference(file_type, reference))
    return {"file_type": file_type, "reference": reference, "role": role,
            "started_on": started_on}


def roster_entry_problems(organisation: Organisation, **answers) -> dict[str, str]:
    return _problems(_check_roster_entry, organisation, **answers)


def add_roster_entry(actor: User, *, file_type: FileType | None, reference: str | None,
                     role: str | None, started_on: date | None) -> RosterEntry:
    """Declare a staff or young person's file by its pseudonymous reference (unique per type)."""
    organisation = _editable_organisation(actor)
    values = _checked(_check_roster_entry, organisation, file_type=file_type,
                      reference=reference, role=role, started_on=started_on)
    entry = RosterEntry(organisation=organisation, **values)
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:  # the same reference added at the same moment in another request
        db.session.rollback()
        raise Problems({"reference": _duplicate_reference(file_type, values["reference"])}) \
            from None
    audit.record("roster.entry_added", actor=actor, subject=entry,
                 details={"file_type": file_type.value})
    db.session.commit()
    return entry


def _duplicate_reference(file_type: FileType, reference: str) -> str:
    return f"You have already added a {file_type.label.lower()} with the reference {reference}"


def remove_roster_entry(actor: User, entry: RosterEntry) -> None:
    _ensure_own(actor, entry)
    _editable_organisation(actor)
    audit.record("roster.entry_removed", actor=actor, subject=entry,
                 details={"file_type": entry.file_type.value})
    db.session.delete(entry)
    db.session.commit()


# --- where the application stands --------------------------------------------------------------

@dataclass(frozen=True)
class ApplicationState:
    """What a provider can do about its application now (read from the case and the machine)."""

    case: Case | None  # the open case, else the most recent one

    @property
    def is_open(self) -> bool:
        return self.case is not None and self.case.status.is_open

    @property
    def can_start(self) -> bool:
        return not self.is_open

    @property
    def is_draft(self) -> bool:
        return self.case is not None and self.case.status is CaseStatus.DRAFT

    @property
    def is_returned(self) -> bool:
        return self.case is not None and self.case.status in RETURNED.values()

    @property
    def being_assessed(self) -> bool:
        return self.case is not None and self.case.status in BEING_ASSESSED

    @property
    def can_withdraw(self) -> bool:
        return self.case is not None and "withdraw" in workflow.actions_for(
            self.case.status, Role.PROVIDER)


def application_state(organisation: Organisation) -> ApplicationState:
    case = open_case_for(organisation) or (organisation.cases[-1] if organisation.cases
                                           else None)
    return ApplicationState(case)


def local_authorities() -> list[Council]:
    """Every council a property can stand in (members of the consortium or not)."""
    return property_areas()


def conditions_of(organisation: Organisation) -> list[Condition]:
    return list(db.session.scalars(
        sa.select(Condition).join(Case)
        .where(Case.organisation_id == organisation.id)
        .order_by(Condition.due_on, Condition.id)))
