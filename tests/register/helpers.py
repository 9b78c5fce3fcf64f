"""Providers on (and off) the register, made through the real operations."""

from __future__ import annotations

from accreditation.cases import operations
from accreditation.extensions import db
from accreditation.providers.models import AccommodationCategory, Tenure

from ..cases.journey import Journey
from ..factories import CouncilFactory, PropertyFactory


def council(name: str, code: str):
    return CouncilFactory(name=name, ons_code=code)


def accredited_provider(name: str, homes: list[dict], *, failing: int = 0) -> Journey:
    """A provider accredited for ``homes`` (PropertyFactory arguments), through every stage."""
    journey = Journey(properties=0)
    journey.organisation.name = name
    for home in homes:
        PropertyFactory(organisation=journey.organisation, tenure=Tenure.OWNED,
                        **{"category": AccommodationCategory.SINGLE_OCCUPANCY, **home})
    db.session.commit()
    journey.all_the_way(failing_properties=failing)
    return journey


def suspend(journey: Journey, reason: str = "Safeguarding concern") -> None:
    case = journey.case
    operations.suspend(journey.commissioner, case, reason=reason,
                       expected_version=case.version)


def lift_suspension(journey: Journey) -> None:
    """Another commissioner lifts a suspension made at once for safeguarding, at its notice's
    decision (the provider having answered it)."""
    case = journey.case
    operations.make_representations(journey.provider, case, text="It has been dealt with.")
    operations.decide_proposal(journey.deciding_commissioner, case,
                               decision=operations.ProposalDecision.WITHDRAW,
                               consideration="The concern has been dealt with.",
                               expected_version=case.version)
