"""The evidence each section of an application needs: the one list, and what is uploaded for it.

Every page and rule that asks about required evidence reads this module: the provider's task
list (a section is not complete without its evidence), the check before an application is
submitted, the provider's check-answers page, the commissioner's due-diligence page (beside
the checklist items each piece answers) and the inspector's property inspection.

A piece of evidence is needed either once for the organisation (the insurance certificate,
each key policy) or for each property it applies to (safety certificates; the lease where a
landlord owns the property; the HMO licence where mandatory HMO licensing applies). It counts
as uploaded when the latest version of a file for it is not one the virus scanner refused.
The files counted for an application are its own and those its organisation sent outside any
application (the same set ``operations.evidence_for_case`` shows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..cases.models import Case, open_case_for
from ..extensions import db
from ..providers.models import (
    KEY_POLICIES,
    AccommodationCategory,
    Organisation,
    Property,
    Tenure,
)
from .models import Evidence, EvidencePurpose, ScanStatus

# Mandatory HMO licensing: five or more people, forming more than one household, sharing
# facilities. Shared supported accommodation of that size is licensed; a council's own
# additional licensing schemes are the provider's to know, and can be uploaded as well.
HMO_MINIMUM_BED_SPACES = 5
SHARED = frozenset({AccommodationCategory.RING_FENCED_SHARED,
                    AccommodationCategory.NON_RING_FENCED_SHARED})


def _every_property(home: Property) -> bool:
    return True


def _landlord_owns(home: Property) -> bool:
    return home.tenure in (Tenure.LEASED, Tenure.MANAGEMENT_AGREEMENT)


def needs_hmo_licence(home: Property) -> bool:
    return home.category in SHARED and home.bed_spaces >= HMO_MINIMUM_BED_SPACES


@dataclass(frozen=True)
class Requirement:
    key: str
    title: str  # as it reads in a sentence: "Upload the {title}"
    section: str  # the key of the task list's section it belongs to
    purpose: EvidencePurpose
    hint: str
    # The due-diligence checklist items it answers.
    items: tuple[str, ...] = ()
    # For each property it applies to; ``None``: once for the organisation.
    for_property: Callable[[Property], bool] | None = None

    @property
    def heading(self) -> str:
        """As a heading or a list reads it: 'Insurance certificate'."""
        return self.title[0].upper() + self.title[1:]

    @property
    def per_property(self) -> bool:
        return self.for_property is not None

    def applies_to(self, home: Property | None) -> bool:
        if self.for_property is None:
            return home is None
        return home is not None and self.for_property(home)


POLICY_ITEMS = {
    "statement_of_purpose": "statement_of_purpose",
    "safeguarding": "safeguarding_policy",
    "missing_from_home": "missing_from_home_policy",
    "complaints": "complaints_policy",
    "whistleblowing": "whistleblowing_policy",
    "data_protection": "ico_registration",
}

REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        "insurance_certificate", "insurance certificate", "insurance",
        EvidencePurpose.INSURANCE_CERTIFICATE,
        "The certificate or schedule from your insurer showing employer's liability, public "
        "liability and professional indemnity cover, and when the cover ends.",
        items=("employers_liability_cover", "public_liability_cover",
               "professional_indemnity_cover")),
    *(Requirement(
        f"policy_{name}", title[0].lower() + title[1:], "insurance", EvidencePurpose.POLICY,
        f"Your {title[0].lower() + title[1:]} as your staff use it now.",
        items=(POLICY_ITEMS[name],)) for name, title in KEY_POLICIES.items()),
    Requirement(
        "lease", "lease or management agreement", "landlords", EvidencePurpose.LEASE,
        "The signed lease or management agreement, and the landlord's written consent to "
        "housing young people there if the agreement does not give it.",
        items=("landlord_consent_or_lease",), for_property=_landlord_owns),
    Requirement(
        "gas_safety_certificate", "gas safety certificate", "properties",
        EvidencePurpose.GAS_SAFETY_CERTIFICATE,
        "The landlord gas safety record from the last 12 months. If the property has no gas "
        "supply, a letter from the landlord or an energy performance certificate saying so.",
        for_property=_every_property),
    Requirement(
        "eicr", "electrical installation condition report (EICR)", "properties",
        EvidencePurpose.ELECTRICAL_SAFETY_CERTIFICATE,
        "The report from the last 5 years, rated satisfactory, with any remedial work "
        "certified.", for_property=_every_property),
    Requirement(
        "fire_risk_assessment", "fire risk assessment", "properties",
        EvidencePurpose.FIRE_RISK_ASSESSMENT,
        "The current fire risk assessment for the property and the actions it lists.",
        for_property=_every_property),
    Requirement(
        "hmo_licence", "HMO licence", "properties", EvidencePurpose.HMO_LICENCE,
        "The licence from the council: shared accommodation for 5 or more people needs one.",
        for_property=needs_hmo_licence),
)
BY_KEY: dict[str, Requirement] = {requirement.key: requirement for requirement in REQUIREMENTS}


def requirement(key: str) -> Requirement | None:
    return BY_KEY.get(key)


@dataclass
class Needed:
    """One piece of evidence an application needs, and the files uploaded for it."""

    requirement: Requirement
    home: Property | None = None
    files: list[Evidence] = field(default_factory=list)  # latest versions, newest first

    @property
    def key(self) -> str:
        return self.requirement.key

    @property
    def anchor(self) -> str:
        """The id of its place on a section's page."""
        return f"evidence-{self.key}" + (f"-{self.home.id}" if self.home else "")

    @property
    def title(self) -> str:
        """'Gas safety certificate for Elm House', as a heading or a row reads it."""
        title = self.requirement.heading
        return f"{title} for {self.home.name}" if self.home else title

    @property
    def accepted(self) -> list[Evidence]:
        return [record for record in self.files if record.scan_status is not ScanStatus.INFECTED]

    @property
    def uploaded(self) -> bool:
        return bool(self.accepted)

    @property
    def missing_message(self) -> str:
        """What the error summary says when it is missing."""
        where = f" for {self.home.name}" if self.home else ""
        return f"Upload the {self.requirement.title}{where}"


def _files(organisation: Organisation, case: Case | None) -> list[Evidence]:
    query = sa.select(Evidence).where(
        Evidence.organisation_id == organisation.id, Evidence.requirement.is_not(None),
        Evidence.superseded_at.is_(None))
    if case is not None:
        query = query.where(sa.or_(Evidence.case_id == case.id, Evidence.case_id.is_(None)))
    else:
        query = query.where(Evidence.case_id.is_(None))
    return list(db.session.scalars(query.order_by(Evidence.created_at.desc(),
                                                  Evidence.id.desc())))


def needed(organisation: Organisation, case: Case | None = None,
           *, sections: Iterable[str] | None = None) -> list[Needed]:
    """Every piece of evidence the organisation's application needs, in the order of the
    list, each with its files. ``case`` is the application (its open one if not given)."""
    case = case or open_case_for(organisation)
    wanted = None if sections is None else set(sections)
    files = _files(organisation, case)
    result = []
    for item in REQUIREMENTS:
        if wanted is not None and item.section not in wanted:
            continue
        homes = [None] if not item.per_property else [
            home for home in organisation.properties if item.applies_to(home)]
        for home in homes:
            result.append(Needed(item, home, [
                record for record in files if record.requirement == item.key
                and record.property_id == (home.id if home else None)]))
    return result


def missing(organisation: Organisation, case: Case | None = None,
            *, sections: Iterable[str] | None = None) -> list[Needed]:
    return [piece for piece in needed(organisation, case, sections=sections)
            if not piece.uploaded]


def by_section(pieces: Iterable[Needed]) -> dict[str, list[Needed]]:
    grouped: dict[str, list[Needed]] = {}
    for piece in pieces:
        grouped.setdefault(piece.requirement.section, []).append(piece)
    return grouped


def by_item(organisation: Organisation, case: Case) -> dict[str, list[Needed]]:
    """For each due-diligence item, the evidence that answers it."""
    grouped: dict[str, list[Needed]] = {}
    for piece in needed(organisation, case):
        for item_id in piece.requirement.items:
            grouped.setdefault(item_id, []).append(piece)
    return grouped


def for_property(organisation: Organisation, case: Case | None,
                 home: Property) -> list[Needed]:
    """What is needed for one property (its certificates, its lease)."""
    return [piece for piece in needed(organisation, case)
            if piece.home is not None and piece.home.id == home.id]


def piece(organisation: Organisation, key: str, home: Property | None) -> Needed | None:
    """One piece the organisation's application needs, with its files; ``None`` if it does
    not need it (an unknown key, or a property it does not apply to)."""
    wanted = requirement(key)
    if wanted is None or not wanted.applies_to(home):
        return None
    return next(found for found in needed(organisation)
                if found.key == key and (found.home.id if found.home else None)
                == (home.id if home else None))
