"""Stage 1, due diligence: automatic company checks, then the commissioner's checklist."""

from __future__ import annotations

from datetime import date

from flask import current_app

from .. import audit, clock
from ..auth.models import Role, User
from ..cases.models import Case
from ..companies import (
    CompanyCheckResult,
    CompanyNotFound,
    InvalidCompanyNumber,
    RegistryUnavailable,
    normalise_company_number,
    registry_from_config,
    run_company_checks,
)
from ..database import utcnow
from ..errors import InvalidTransition, NotPermitted, ValidationFailed
from ..extensions import db
from ..standards.models import Assessment
from ..standards.operations import record_assessment
from ..workflow import CaseStatus
from .models import CompanyCheck, CompanyCheckOutcome, confirming_company_check


def _require_commissioner_at_due_diligence(actor: User, case: Case) -> None:
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners carry out due diligence.")
    if case.status is not CaseStatus.DUE_DILIGENCE:
        raise InvalidTransition("Due diligence is done while the application is at that stage.")


def check_company(actor: User, case: Case) -> CompanyCheck:
    """Ask the company register about the provider's company number and keep the answer,
    whatever it is: the company's checks when it is found, that there is no such company, or
    that the register did not answer; with the number asked about, where the answer came from
    (live or the offline copy), when and by whom. A number that is not a Companies House
    number is not asked about, and nothing is kept."""
    _require_commissioner_at_due_diligence(actor, case)
    stored = case.organisation.company_number
    if not stored:
        raise ValidationFailed("This provider has no company number to check: answer the "
                               "company questions from the evidence the provider sent.")
    try:
        number = normalise_company_number(stored)
    except InvalidCompanyNumber:
        raise ValidationFailed(
            f"Company number {stored} is not a Companies House number. Correct it on the "
            "provider's page, then check again.", field="company_number") from None
    registry = registry_from_config(current_app.config)
    check = CompanyCheck(case_id=case.id, company_number=number, checked_by_id=actor.id,
                         checked_at=utcnow(), source=registry.source[:200],
                         live=bool(registry.live))
    try:
        result = run_company_checks(registry, number, today=clock.today())
    except CompanyNotFound:
        check.outcome = CompanyCheckOutcome.NOT_FOUND
    except RegistryUnavailable as error:
        check.outcome = CompanyCheckOutcome.UNAVAILABLE
        check.message = error.message
    else:
        check.outcome = CompanyCheckOutcome.FOUND
        check.checked_at, check.passed = result.checked_at, bool(result.all_passed)
        check.result = result.to_dict()
    db.session.add(check)
    db.session.flush()
    audit.record("company_check.made", actor=actor, subject=check,
                 details={"case_id": case.id, "company_number": number,
                          "outcome": check.outcome.value, "passed": check.passed,
                          "live": check.live})
    db.session.commit()
    return check


def latest_company_check(case: Case) -> CompanyCheckResult | None:
    """What the latest check that found the company (under its number now) said, if any."""
    check = confirming_company_check(case)
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
