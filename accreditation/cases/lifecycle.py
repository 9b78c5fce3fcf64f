"""``accreditation tick``: the periodic work, idempotent and safe to run from cron.

Everything here is decided from the state of the database and the date, never from what an
earlier run did: running it twice, or again after it was interrupted, gives the same end
state. Each case is handled in its own transaction, so an interruption loses at most the case
in hand, which the next run picks up. Reminders carry a de-duplication key, so none is sent
twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from .. import audit
from ..auth import operations as auth_operations
from ..auth import password_reset, throttle
from ..checklists import compile_checklist, step_in_force
from ..errors import DomainError
from ..extensions import db
from ..notifications.messages import notify_provider
from ..standards.operations import current_checklist, published_versions, upcoming_step
from ..workflow import IN_FORCE, RETURNED, CaseStatus
from . import operations
from .models import Case, Condition, ConditionStatus

EXPIRY_REMINDER_DAYS = (60, 30, 7)
RETURN_REMINDER_DAYS = 7
CONDITION_REMINDER_DAYS = 7
THRESHOLD_NOTICE_DAYS = 28


@dataclass
class TickReport:
    today: date
    counts: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        if not self.counts:
            return [f"{self.today:%-d %B %Y}: nothing to do."]
        return [f"{self.today:%-d %B %Y}:"] + [
            f"  {count:>4}  {what}" for what, count in sorted(self.counts.items())]


def _cases(*statuses: CaseStatus) -> list[Case]:
    return list(db.session.scalars(
        sa.select(Case).where(Case.status.in_(statuses)).order_by(Case.id)))


def tick(today: date) -> TickReport:
    report = TickReport(today)
    _expire(today, report)
    _remind_expiry(today, report)
    _annual_reinspection(today, report)
    _threshold_steps(today, report)
    _reassessment_overdue(today, report)
    _returns(today, report)
    _conditions(today, report)
    _upcoming_steps(today, report)
    report.counts["old sign-in attempts forgotten"] += throttle.forget_older_than(30) or 0
    report.counts["old counts of repeated refusals forgotten"] += (
        audit.forget_repeats_older_than() or 0)
    report.counts["registrations expired"] += auth_operations.forget_expired_registrations()
    report.counts["old account links forgotten"] += password_reset.forget_old_links(30)
    db.session.commit()
    return report


def _act(report: TickReport, what: str, action) -> None:
    """Run one case's change in its own transaction; a refusal is counted, not fatal."""
    try:
        action()
    except DomainError:
        db.session.rollback()
        report.counts[f"could not {what}"] += 1
    else:
        report.counts[what] += 1


def _expire(today: date, report: TickReport) -> None:
    for case in _cases(*IN_FORCE, CaseStatus.SUSPENDED):
        if case.expires_on <= today:
            _act(report, "accreditations expired",
                 lambda case=case: operations.expire_accreditation(case, today=today))


def _remind_expiry(today: date, report: TickReport) -> None:
    for case in _cases(*IN_FORCE):
        days_left = (case.expires_on - today).days
        # The closest reminder point reached (60, 30 or 7 days before): a day of cron missed
        # still sends it, and each point is sent once.
        reached = [days for days in EXPIRY_REMINDER_DAYS if days_left <= days]
        if not reached or days_left < 0:
            continue
        days = min(reached)
        if notify_provider(
                case, f"accreditation expires in {days_left} days",
                f"Your accreditation expires on {case.expires_on:%-d %B %Y}. Arrange your "
                "re-inspection with the consortium so that it does not lapse.",
                dedupe_key=f"expiry:{case.id}:{case.expires_on}:{days}"):
            report.counts["expiry reminders"] += 1
    db.session.commit()


def _annual_reinspection(today: date, report: TickReport) -> None:
    notice = current_app.config["REINSPECTION_NOTICE_DAYS"]
    for case in _cases(CaseStatus.ACCREDITED):
        if case.expires_on - timedelta(days=notice) <= today:
            _act(report, "annual re-inspections due", lambda case=case: (
                operations.require_reassessment(
                    None, case, reason="Your annual re-inspection is due before your "
                                       "accreditation expires.",
                    due_by=case.expires_on, expected_version=case.version)))


def failing_under(case: Case, on: date) -> list[str]:
    """What in the case's pinned results would fail the standard in force on ``on``."""
    failing = []
    for link in case.properties:
        if not link.accredited or link.assessment is None:
            continue
        step_and_checklist = _step_for("property_inspection", on)
        if step_and_checklist is None:
            continue
        checklist, step = step_and_checklist
        if not compile_checklist(checklist).passes(
                link.assessment.answers, step, category=link.assessment.category):
            failing.append(link.home.name)
    return failing


def _step_for(kind: str, on: date):
    try:
        checklist = current_checklist(kind, on).checklist
    except DomainError:
        return None
    step = step_in_force(checklist.schedule, on)
    return (checklist, step) if step is not None else None


def _threshold_steps(today: date, report: TickReport) -> None:
    step_and_checklist = _step_for("property_inspection", today)
    if step_and_checklist is None:
        return
    _, step = step_and_checklist
    for case in _cases(CaseStatus.ACCREDITED):
        failing = failing_under(case, today)
        if not failing:
            continue
        due_by = step.effective_from + timedelta(days=step.grace_days)
        if due_by < today:
            due_by = today + timedelta(days=step.grace_days or 28)
        _act(report, "reassessments required by a threshold step", lambda case=case,
             failing=failing, due_by=due_by: operations.require_reassessment(
                 None, case, due_by=due_by, expected_version=case.version,
                 reason=(f"The standard rose on {step.effective_from:%-d %B %Y} (pass mark "
                         f"{step.pass_mark}%). On your last inspection these properties would "
                         f"not meet it: {', '.join(failing)}.")))


def _reassessment_overdue(today: date, report: TickReport) -> None:
    for case in _cases(CaseStatus.REASSESSMENT_DUE):
        if case.reassessment_due_by is not None and case.reassessment_due_by < today:
            _act(report, "suspended: reassessment overdue", lambda case=case: operations.suspend(
                None, case, expected_version=case.version,
                reason=f"The reassessment due by {case.reassessment_due_by:%-d %B %Y} was not "
                       "completed."))


def _returns(today: date, report: TickReport) -> None:
    for case in _cases(*RETURNED.values()):
        if case.return_due_on < today:
            _act(report, "refused: information not sent", lambda case=case:
                 operations.fail_at_stage(
                     None, case, expected_version=case.version,
                     reasons=f"The information asked for on this application was not sent by "
                             f"{case.return_due_on:%-d %B %Y}."))
        elif (case.return_due_on - today).days <= RETURN_REMINDER_DAYS and notify_provider(
                case, "information due soon",
                f"We are still waiting for the information we asked for:\n\n"
                f"{case.return_message}\n\nPlease send it by {case.return_due_on:%-d %B %Y}.",
                dedupe_key=f"return:{case.id}:{case.return_due_on}"):
            report.counts["return reminders"] += 1
    db.session.commit()


def _conditions(today: date, report: TickReport) -> None:
    actions = db.session.scalars(
        sa.select(Condition).join(Case)
        .where(Condition.status == ConditionStatus.OPEN, Case.status.in_(IN_FORCE)))
    for action in actions:
        days_left = (action.due_on - today).days
        if days_left > CONDITION_REMINDER_DAYS:
            continue
        overdue = days_left < 0
        key = f"condition:{action.id}:{'overdue' if overdue else 'due'}"
        if notify_provider(action.case, "condition overdue" if overdue else "condition due soon",
                           f"Condition of your accreditation: {action.item_title}\n"
                           f"{action.description}\n\nDue by {action.due_on:%-d %B %Y}."
                           + (" It is now overdue: the consortium may suspend your "
                              "accreditation." if overdue else ""), dedupe_key=key):
            report.counts["condition reminders"] += 1
    db.session.commit()


def _upcoming_steps(today: date, report: TickReport) -> None:
    if not published_versions("property_inspection"):
        return
    try:
        upcoming = upcoming_step("property_inspection", today)
    except DomainError:
        return
    if upcoming is None:
        return
    record, step = upcoming
    if (step.effective_from - today).days > THRESHOLD_NOTICE_DAYS:
        return
    compiled = compile_checklist(record.checklist)
    for case in _cases(*IN_FORCE):
        failing = [link.home.name for link in case.properties
                   if link.accredited and link.assessment is not None
                   and not compiled.passes(link.assessment.answers, step,
                                           category=link.assessment.category)]
        if failing and notify_provider(
                case, "the standard rises soon",
                f"From {step.effective_from:%-d %B %Y} the property standard rises (pass mark "
                f"{step.pass_mark}%). On your last inspection these properties would not meet "
                f"it: {', '.join(failing)}. See 'Coming standards' for the items to fix.",
                dedupe_key=f"step:{case.id}:{step.effective_from}"):
            report.counts["threshold step warnings"] += 1
    db.session.commit()


