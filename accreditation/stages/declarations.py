"""What a provider declared, as due diligence reads it: every declaration in words, and the
one mapping from the due-diligence checklist's items to the declarations that answer them.

The pages that show declarations (the due-diligence page, item by item; a case's page; the
commissioners' page of a provider) all ask this module. Declarations are the organisation's
records as they are now: while an application is assessed the provider cannot change them
(``providers.operations.editing_frozen_reason``), so they are what was submitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..checklists import ChecklistVersion
from ..providers.models import KEY_POLICIES, Organisation, PersonRole, Tenure

NOT_GIVEN = "Not given"

# Each declaration: its key, what it is called, and the part of the application it is in.
DECLARATION_LABELS: dict[str, str] = {
    "company_number": "Company number",
    "registered_office": "Registered office",
    "ico_registration_number": "ICO registration number",
    "directors": "Directors",
    "registered_manager": "Registered manager",
    "insurer": "Insurer",
    "employers_liability_millions": "Employer's liability cover",
    "public_liability_millions": "Public liability cover",
    "professional_indemnity_pounds": "Professional indemnity cover",
    "insurance_expires_on": "Insurance expires",
    "properties": "Properties",
    "landlords": "Landlords, leases and consent",
    "under_18s": "Properties for 16 and 17 year olds",
    **{f"policy_{name}": f"{title}: last reviewed" for name, title in KEY_POLICIES.items()},
}
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Organisation", ("company_number", "registered_office", "ico_registration_number")),
    ("People", ("directors", "registered_manager")),
    ("Insurance", ("insurer", "employers_liability_millions", "public_liability_millions",
                   "professional_indemnity_pounds", "insurance_expires_on")),
    ("Policies", tuple(f"policy_{name}" for name in KEY_POLICIES)),
    ("Properties", ("properties", "landlords", "under_18s")),
)

# The due-diligence checklist's items (every version: item ids are stable across versions)
# and the declarations that answer each. Items the provider declares nothing about (financial
# standing, the reviewer's notes) are left out.
ITEM_DECLARATIONS: dict[str, tuple[str, ...]] = {
    "company_status_active": ("company_number", "registered_office"),
    "accounts_filed_on_time": ("company_number",),
    "no_insolvency_history": ("company_number",),
    "no_disqualified_directors": ("directors",),
    "employers_liability_cover": ("insurer", "employers_liability_millions",
                                  "insurance_expires_on"),
    "public_liability_cover": ("insurer", "public_liability_millions", "insurance_expires_on"),
    "professional_indemnity_cover": ("insurer", "professional_indemnity_pounds",
                                     "insurance_expires_on"),
    "landlord_consent_or_lease": ("landlords",),
    "properties_match_declaration": ("properties",),
    "statement_of_purpose": ("policy_statement_of_purpose",),
    "safeguarding_policy": ("policy_safeguarding",),
    "missing_from_home_policy": ("policy_missing_from_home",),
    "complaints_policy": ("policy_complaints",),
    "whistleblowing_policy": ("policy_whistleblowing",),
    "ico_registration": ("ico_registration_number", "policy_data_protection"),
    "registered_manager_fit": ("registered_manager",),
    "directors_fit_and_proper": ("directors",),
    "ofsted_registration": ("under_18s",),
}


@dataclass(frozen=True)
class Declaration:
    key: str
    label: str
    lines: tuple[str, ...]  # one line each (a property, a director...), as people read them


def long_date(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else NOT_GIVEN


def millions(value: int | Decimal | None) -> str:
    """'£2.5 million' for 2.5; 'Not given' for None."""
    if value is None:
        return NOT_GIVEN
    return f"£{Decimal(value).normalize():f} million"


def pounds_in_millions(pounds: int | None) -> str:
    """A cover kept in pounds, as people say it: '£2.5 million'; 'None' for 0."""
    if pounds is None:
        return NOT_GIVEN
    if pounds == 0:
        return "None"
    return millions(Decimal(pounds) / 1_000_000)


def _people(organisation: Organisation, role: PersonRole) -> tuple[str, ...]:
    people = [person for person in organisation.people if person.role is role]
    return tuple(
        f"{person.full_name} (appointed {long_date(person.appointed_on)})"
        if person.appointed_on else person.full_name for person in people) or (NOT_GIVEN,)


def _landlord(home) -> str:
    if home.tenure is None:
        return f"{home.name}: who owns it is not given"
    if home.tenure is Tenure.OWNED:
        return f"{home.name}: owned by the provider"
    how = "leased from" if home.tenure is Tenure.LEASED else "managed for"
    consent = {True: "the landlord has agreed to its use for young people",
               False: "the landlord has not agreed to its use for young people",
               None: "the landlord's consent is not given"}[home.landlord_consent]
    return (f"{home.name}: {how} {home.landlord_name or 'a landlord not named'}; the "
            f"{'lease' if home.tenure is Tenure.LEASED else 'agreement'} ends on "
            f"{long_date(home.lease_ends_on)}; {consent}")


def _property(home) -> str:
    address = ", ".join(home.address_lines)
    places = "bed space" if home.bed_spaces == 1 else "bed spaces"
    return (f"{home.name}, {address} ({home.local_authority.name}): "
            f"{home.category.label.lower()}, {home.bed_spaces} {places}, ages {home.age_min} "
            f"to {home.age_max}")


def _values(organisation: Organisation) -> dict[str, tuple[str, ...]]:
    homes = organisation.properties
    reviewed = {policy.name: policy.last_reviewed_on for policy in organisation.policies}
    young = [f"{home.name} (ages {home.age_min} to {home.age_max})" for home in homes
             if home.age_min < 18]
    return {
        "company_number": (organisation.company_number or "None: not registered with "
                                                          "Companies House",),
        "registered_office": tuple((organisation.registered_office or NOT_GIVEN).splitlines()),
        "ico_registration_number": (organisation.ico_registration_number or NOT_GIVEN,),
        "directors": _people(organisation, PersonRole.DIRECTOR),
        "registered_manager": _people(organisation, PersonRole.REGISTERED_MANAGER),
        "insurer": (organisation.insurer or NOT_GIVEN,),
        "employers_liability_millions": (millions(organisation.employers_liability_millions),),
        "public_liability_millions": (millions(organisation.public_liability_millions),),
        "professional_indemnity_pounds": (
            pounds_in_millions(organisation.professional_indemnity_pounds),),
        "insurance_expires_on": (long_date(organisation.insurance_expires_on),),
        "properties": tuple(_property(home) for home in homes) or ("None",),
        "landlords": tuple(_landlord(home) for home in homes) or ("No properties",),
        "under_18s": tuple(young) or ("None: every property is for young people aged 18 or "
                                      "over",),
        **{f"policy_{name}": (long_date(reviewed.get(name)),) for name in KEY_POLICIES},
    }


def declarations(organisation: Organisation,
                 keys: Iterable[str] | None = None) -> list[Declaration]:
    """The organisation's declarations (those named by ``keys``, else all), in words."""
    values = _values(organisation)
    return [Declaration(key, DECLARATION_LABELS[key], values[key])
            for key in (keys if keys is not None else DECLARATION_LABELS)]


def grouped(organisation: Organisation) -> list[tuple[str, list[Declaration]]]:
    """Every declaration under the part of the application it is in, for a page."""
    by_key = {declaration.key: declaration for declaration in declarations(organisation)}
    return [(title, [by_key[key] for key in keys]) for title, keys in GROUPS]


def by_item(organisation: Organisation,
            checklist: ChecklistVersion) -> dict[str, list[Declaration]]:
    """For each item of ``checklist`` that a declaration answers, those declarations."""
    by_key = {declaration.key: declaration for declaration in declarations(organisation)}
    return {item.id: [by_key[key] for key in ITEM_DECLARATIONS[item.id]]
            for item in checklist.items if item.id in ITEM_DECLARATIONS}
