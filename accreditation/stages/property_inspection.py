"""Stage 3, property inspection: each property against the property checklist."""

from __future__ import annotations

from datetime import date

from ..auth.models import Role, User
from ..cases.access import ensure_inspector_on_case
from ..cases.models import CaseProperty, InspectionOutcome
from ..errors import InvalidTransition, NotPermitted
from ..extensions import db
from ..standards.operations import record_assessment
from ..workflow import CaseStatus

# A property can be (re-)inspected while its stage is open, or while accreditation is being
# reassessed.
INSPECTABLE = (CaseStatus.PROPERTY_INSPECTION, CaseStatus.REASSESSMENT_DUE)


def record_property_inspection(actor: User, link: CaseProperty, answers: dict,
                               assessed_on: date):
    """Score one property's inspection; its outcome is the checklist's pass or fail."""
    case = link.case
    if actor.role not in (Role.INSPECTOR, Role.COMMISSIONER):
        raise NotPermitted("Only inspectors record inspections.")
    ensure_inspector_on_case(actor, case)
    if case.status not in INSPECTABLE:
        raise InvalidTransition("Properties are inspected at the property inspection stage "
                                "or when accreditation is reassessed.")
    if case.status is CaseStatus.REASSESSMENT_DUE and not link.accredited:
        raise InvalidTransition("Only accredited properties are reassessed.")
    assessment = record_assessment(
        actor, kind="property_inspection", organisation=case.organisation, case=case,
        property=link.home, answers=answers, assessed_on=assessed_on, commit=False)
    link.assessment_id = assessment.id
    if case.status is CaseStatus.PROPERTY_INSPECTION:
        link.outcome = InspectionOutcome.PASSED if assessment.passed else InspectionOutcome.FAILED
    db.session.commit()
    return assessment
