"""Stage 1, due diligence: automatic company checks, then the commissioner's checklist."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app

from .. import audit, clock
from ..auth.models import Role, User
from ..cases.models import Case
from ..companies import CompanyCheckResult, registry_from_config, run_company_checks
from ..errors import InvalidTransition, NotPermitted, ValidationFailed
from ..extensions import db
from ..standards.models import Assessment
from ..standards.operations import record_assessment
from ..workflow import CaseStatus
from .models import CompanyCheck


def _require_commissioner_at_due_diligence(actor: User, case: Case) -> None:
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners carry out due diligence.")
    if case.status is not CaseStatus.DUE_DILIGENCE:
        raise InvalidTransition("Due diligence is done while the application is at that stage.")


def check_company(actor: User, case: Case) -> CompanyCheck:
    """Ask the company register about the provider and keep the answer with its time."""
    _require_commissioner_at_due_diligence(actor, case)
    number = case.organisation.company_number
    if not number:
        raise ValidationFailed("This provider has no company number to check: answer the "
                               "company questions from the evidence the provider sent.")
    registry = registry_from_config(current_app.config)
    result = run_company_checks(registry, number, today=clock.today())
    check = CompanyCheck(case_id=case.id, company_number=result.company_number,
                         checked_at=result.checked_at, checked_by_id=actor.id,
                         passed=bool(result.all_passed), result=result.to_dict())
    db.session.add(check)
    db.session.flush()
    audit.record("company_check.made", actor=actor, subject=check,
                 details={"case_id": case.id, "company_number": result.company_number,
                          "passed": check.passed, "source": result.source})
    db.session.commit()
    return check


def latest_company_check(case: Case) -> CompanyCheckResult | None:
    check = db.session.scalar(sa.select(CompanyCheck).where(CompanyCheck.case_id == case.id)
                              .order_by(CompanyCheck.id.desc()).limit(1))
    return CompanyCheckResult.from_dict(check.result) if check else None


def record_due_diligence(actor: User, case: Case, answers: dict,
                         assessed_on: date | None = None) -> Assessment:
    """Score the commissioner's due-diligence answers for this case."""
    _require_commissioner_at_due_diligence(actor, case)
    assessment = record_assessment(actor, kind="due_diligence", organisation=case.organisation,
                                   case=case, answers=answers,
                                   assessed_on=assessed_on or clock.today(), commit=False)
    db.session.commit()
    return assessment
