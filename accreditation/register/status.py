"""Who is on the register, and as what: the one rule.

A provider is on the register while its latest accreditation is in force: the case is
accredited or reassessment is due, and its expiry date has not passed (``tick`` expires cases
once a day; until it runs, a case past its expiry date already counts as expired here). Only
the properties accredited on that case are on the register. Suspended, revoked and expired
providers are never on it, whatever their properties' flags say.

"Accredited with conditions" means the decision in force was to accredit with conditions and
at least one condition is not yet confirmed as met; once every condition is met the provider
shows as accredited. Reassessment due wins over conditions (it is the more urgent fact).

Everything that shows register status (pages, JSON API, CSV, the open feed, referral checks,
the search index in ``index.py``) asks this module; ``classify`` is the rule itself, pure, so
the search index applies exactly the same rule to rows it reads in bulk.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from .. import clock
from ..cases.models import Case, Condition, Decision, DecisionOutcome
from ..extensions import db
from ..providers.models import Organisation, Property
from ..workflow import IN_FORCE, CaseStatus


class RegisterStatus(enum.Enum):
    ACCREDITED = "accredited"
    ACCREDITED_WITH_CONDITIONS = "accredited_with_conditions"
    REASSESSMENT_DUE = "reassessment_due"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_ACCREDITED = "not_accredited"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def on_register(self) -> bool:
        """May councils refer young people to this provider now?"""
        return self in ON_REGISTER

    @property
    def tag_colour(self) -> str:
        """GOV.UK tag modifier for this status."""
        return _TAG_COLOURS[self]


_LABELS = {
    RegisterStatus.ACCREDITED: "Accredited",
    RegisterStatus.ACCREDITED_WITH_CONDITIONS: DecisionOutcome.ACCREDITED_WITH_CONDITIONS.label,
    RegisterStatus.REASSESSMENT_DUE: "Accredited, reassessment due",
    RegisterStatus.SUSPENDED: "Suspended",
    RegisterStatus.REVOKED: "Revoked",
    RegisterStatus.EXPIRED: "Expired",
    RegisterStatus.NOT_ACCREDITED: "Not accredited",
}
_TAG_COLOURS = {
    RegisterStatus.ACCREDITED: "govuk-tag--green",
    RegisterStatus.ACCREDITED_WITH_CONDITIONS: "govuk-tag--yellow",
    RegisterStatus.REASSESSMENT_DUE: "govuk-tag--orange",
    RegisterStatus.SUSPENDED: "govuk-tag--red",
    RegisterStatus.REVOKED: "govuk-tag--red",
    RegisterStatus.EXPIRED: "govuk-tag--grey",
    RegisterStatus.NOT_ACCREDITED: "govuk-tag--grey",
}
ON_REGISTER = frozenset({RegisterStatus.ACCREDITED, RegisterStatus.ACCREDITED_WITH_CONDITIONS,
                         RegisterStatus.REASSESSMENT_DUE})
ON_REGISTER_VALUES = frozenset(status.value for status in ON_REGISTER)
IN_FORCE_VALUES = frozenset(status.value for status in IN_FORCE)


# --- the rule ----------------------------------------------------------------------------------

def in_force(case_status: CaseStatus, expires_on: date | None, today: date) -> bool:
    """Is an accreditation with this status and expiry in force on ``today``?"""
    return case_status in IN_FORCE and expires_on is not None and expires_on >= today


def classify(case_status: CaseStatus | None, expires_on: date | None,
             decision_outcome: DecisionOutcome | None, open_conditions: int,
             today: date) -> RegisterStatus:
    """The register status of a provider whose deciding case has these facts (pure)."""
    if case_status is None:
        return RegisterStatus.NOT_ACCREDITED
    if case_status in IN_FORCE:
        if expires_on is None or expires_on < today:
            return RegisterStatus.EXPIRED
        if case_status is CaseStatus.REASSESSMENT_DUE:
            return RegisterStatus.REASSESSMENT_DUE
        if decision_outcome is DecisionOutcome.ACCREDITED_WITH_CONDITIONS and open_conditions:
            return RegisterStatus.ACCREDITED_WITH_CONDITIONS
        return RegisterStatus.ACCREDITED
    return {
        CaseStatus.SUSPENDED: RegisterStatus.SUSPENDED,
        CaseStatus.REVOKED: RegisterStatus.REVOKED,
        CaseStatus.EXPIRED: RegisterStatus.EXPIRED,
    }.get(case_status, RegisterStatus.NOT_ACCREDITED)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the rule needs to know about one case (from ORM objects or bulk SQL rows)."""

    case_id: int
    status: CaseStatus
    accredited_on: date | None
    expires_on: date | None


def deciding_case(cases: Iterable[CaseFacts], today: date) -> CaseFacts | None:
    """The case that decides a provider's register status.

    The most recently accredited case in force; otherwise the most recent case that was ever
    accredited (so a suspended, revoked or expired provider shows as such); otherwise none.
    Applications never accredited (drafts, refusals, withdrawals) do not count.
    """
    ever = [case for case in cases if case.accredited_on is not None]
    current = [case for case in ever if in_force(case.status, case.expires_on, today)]
    pool = current or ever
    if not pool:
        return None
    return max(pool, key=lambda case: (case.accredited_on, case.case_id))


# --- for one provider --------------------------------------------------------------------------

@dataclass(frozen=True)
class RegisterEntry:
    """A provider's place on the register (or the record of having left it).

    ``properties`` are the accredited properties of the deciding case, and only while the
    provider is on the register: a suspended provider has none on the register.
    """

    organisation: Organisation
    status: RegisterStatus
    case: Case
    decision: Decision | None
    properties: tuple[Property, ...]
    open_conditions: tuple[Condition, ...]

    @property
    def on_register(self) -> bool:
        return self.status.on_register

    @property
    def accredited_on(self) -> date | None:
        return self.case.accredited_on

    @property
    def expires_on(self) -> date | None:
        return self.case.expires_on

    @property
    def property_ids(self) -> list[int]:
        return [home.id for home in self.properties]

    def snapshot(self) -> dict:
        """Plain JSON facts for an audit record (e.g. a referral check): what was true now."""
        return {
            "status": self.status.value,
            "case_id": self.case.id,
            "case_reference": self.case.reference,
            "decision": self.decision.outcome.value if self.decision else None,
            "accredited_on": self.accredited_on.isoformat() if self.accredited_on else None,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "property_ids": self.property_ids,
            "open_conditions": len(self.open_conditions),
        }


def _facts(case: Case) -> CaseFacts:
    return CaseFacts(case.id, case.status, case.accredited_on, case.expires_on)


def latest_decision(case: Case) -> Decision | None:
    """The decision that accredited this case (the newest one that did not refuse)."""
    return case.accrediting_decision


def open_conditions_of(case: Case) -> list[Condition]:
    return case.open_conditions


def register_entry(organisation: Organisation, today: date | None = None) -> RegisterEntry | None:
    """The provider's register entry, or None if it has never been accredited."""
    today = today or clock.today()
    cases = {case.id: case for case in organisation.cases}
    deciding = deciding_case((_facts(case) for case in cases.values()), today)
    if deciding is None:
        return None
    case = cases[deciding.case_id]
    decision = latest_decision(case)
    conditions = tuple(open_conditions_of(case))
    status = classify(case.status, case.expires_on, decision.outcome if decision else None,
                      len(conditions), today)
    properties = tuple(sorted((link.home for link in case.properties if link.accredited),
                              key=lambda home: (home.name, home.id))) \
        if status.on_register else ()
    return RegisterEntry(organisation=organisation, status=status, case=case,
                         decision=decision, properties=properties, open_conditions=conditions)


def provider_status(organisation: Organisation, today: date | None = None) -> RegisterStatus:
    entry = register_entry(organisation, today)
    return entry.status if entry else RegisterStatus.NOT_ACCREDITED


def property_on_register(home: Property, today: date | None = None) -> bool:
    """Is this property on the register (accredited on its provider's case in force)?"""
    entry = register_entry(home.organisation, today)
    return bool(entry and entry.on_register and home.id in entry.property_ids)


# --- SQL ---------------------------------------------------------------------------------------

def in_force_clause(today: date | None = None):
    """SQL: the case is in force on ``today`` (for queries over ``Case``)."""
    today = today or clock.today()
    return sa.and_(Case.status.in_(IN_FORCE), Case.expires_on >= today)


def organisations_on_register(today: date | None = None) -> list[Organisation]:
    """Every provider on the register now, by name (uses the rule, not a second copy of it)."""
    today = today or clock.today()
    candidates = db.session.scalars(
        sa.select(Organisation).join(Case, Case.organisation_id == Organisation.id)
        .where(in_force_clause(today)).distinct().order_by(Organisation.name, Organisation.id))
    return [org for org in candidates if provider_status(org, today).on_register]
