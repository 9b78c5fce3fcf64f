"""What the register's page for one provider shows: facts, never evidence or personal data.

Marks per quality standard come from the stored scoring result of each property's inspection
(the sections of the property checklist), with the checklist version and the threshold step
it was scored under, so they can always be traced back to the published standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..cases.models import Case, CaseProperty, Condition, DecisionOutcome
from ..errors import NotFound
from ..extensions import db
from ..providers.models import Organisation, Property
from .access import address_lines
from .status import RegisterEntry, register_entry

NOT_FOUND = "We could not find that provider on the register. Check the address and try again."


@dataclass(frozen=True)
class StandardMark:
    title: str
    percent: str | None
    minimum: int
    met: bool


@dataclass(frozen=True)
class PropertyDetail:
    home: Property
    address: list[str]
    marks: list[StandardMark]
    percent: str | None
    pass_mark: int | None
    checklist: str | None
    checklist_version: int | None
    step_from: date | None
    assessed_on: date | None


@dataclass(frozen=True)
class HistoryRow:
    reference: str
    status: str
    outcome: str | None
    decided_on: date | None
    accredited_on: date | None
    expires_on: date | None


@dataclass(frozen=True)
class ProviderDetail:
    organisation: Organisation
    entry: RegisterEntry
    properties: list[PropertyDetail]
    conditions: list[Condition]
    history: list[HistoryRow]

    @property
    def checklist_versions(self) -> list[str]:
        seen = []
        for detail in self.properties:
            if detail.checklist and (label := f"{detail.checklist}, version "
                                     f"{detail.checklist_version}") not in seen:
                seen.append(label)
        return seen


def property_detail(link: CaseProperty, viewer) -> PropertyDetail:
    assessment = link.assessment
    if assessment is None:
        return PropertyDetail(link.home, address_lines(link.home, viewer), [], None, None, None,
                              None, None, None)
    score = assessment.score
    marks = [StandardMark(section.title, section.percent, section.minimum, section.passed)
             for section in score.sections]
    published = assessment.checklist_version
    return PropertyDetail(
        home=link.home, address=address_lines(link.home, viewer), marks=marks,
        percent=score.percent, pass_mark=score.pass_mark, checklist=published.title,
        checklist_version=published.version, step_from=assessment.step_effective_from,
        assessed_on=assessment.assessed_on)


def _history(organisation: Organisation) -> list[HistoryRow]:
    rows = []
    for case in sorted(organisation.cases, key=lambda case: case.id, reverse=True):
        if not case.decisions and case.accredited_on is None:
            continue  # never decided: an application, not part of the register's history
        decision = case.decisions[-1] if case.decisions else None
        rows.append(HistoryRow(
            reference=case.reference, status=case.status.label,
            outcome=decision.outcome.label if decision else None,
            decided_on=decision.decided_at.date() if decision else None,
            accredited_on=case.accredited_on, expires_on=case.expires_on))
    return rows


def provider_detail(organisation_id: int, viewer) -> ProviderDetail:
    """The provider's register page, or NotFound if it has never been accredited."""
    organisation = db.session.get(Organisation, organisation_id)
    entry = register_entry(organisation) if organisation else None
    if entry is None:
        raise NotFound(NOT_FOUND)
    case: Case = entry.case
    links = {link.property_id: link for link in case.properties}
    properties = [property_detail(links[home.id], viewer) for home in entry.properties]
    return ProviderDetail(organisation=organisation, entry=entry, properties=properties,
                          conditions=list(entry.open_conditions), history=_history(organisation))


def has_conditions(entry: RegisterEntry) -> bool:
    return bool(entry.decision and entry.decision.outcome
                is DecisionOutcome.ACCREDITED_WITH_CONDITIONS and entry.open_conditions)
