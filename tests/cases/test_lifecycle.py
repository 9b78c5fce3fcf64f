"""``accreditation tick``: expiries, reminders, threshold steps, overdue returns; idempotent."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from accreditation.cases import operations
from accreditation.cases.lifecycle import tick
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage
from accreditation.workflow import CaseStatus

from .journey import TODAY


def messages(subject_part: str = "") -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.subject.contains(subject_part)).order_by(OutboxMessage.id)))


def snapshot() -> tuple:
    from accreditation.audit import AuditEvent
    from accreditation.cases.models import Case

    cases = tuple((case.id, case.status, case.version) for case in
                  db.session.scalars(sa.select(Case).order_by(Case.id)))
    return (cases, db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))),
            db.session.scalar(sa.select(sa.func.count(AuditEvent.id))))


def test_accreditation_expires_on_its_date(journey):
    case = journey.all_the_way()
    tick(case.expires_on - timedelta(days=1))
    assert case.status is not CaseStatus.EXPIRED
    tick(case.expires_on)
    assert case.status is CaseStatus.EXPIRED
    assert not case.accredited_properties
    assert messages("accreditation expired")


@pytest.mark.parametrize("days_before", [60, 30, 7])
def test_expiry_reminders_go_once_at_60_30_and_7_days(journey, days_before):
    case = journey.all_the_way()
    # Annual re-inspection falls due 60 days before expiry; keep to the reminders here.
    day = case.expires_on - timedelta(days=days_before)
    tick(day)
    tick(day)
    reminders = messages(f"expires in {days_before} days")
    assert len(reminders) == 1
    assert reminders[0].recipient == journey.provider.email


def test_annual_reinspection_falls_due_before_expiry(journey):
    case = journey.all_the_way()
    tick(case.expires_on - timedelta(days=61))
    assert case.status is CaseStatus.ACCREDITED
    tick(case.expires_on - timedelta(days=60))
    assert case.status is CaseStatus.REASSESSMENT_DUE
    assert case.reassessment_due_by == case.expires_on


def test_a_threshold_step_flags_cases_whose_pinned_results_fail_it(journey):
    from .journey import best_answers

    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    # Passes today's step, but escape routes become critical on 4 January 2027.
    from accreditation.stages.property_inspection import record_property_inspection

    for link in journey.case.properties:
        answers = best_answers("property_inspection", category=link.home.category.value)
        answers["escape_routes"] = "no"
        record_property_inspection(journey.inspector, link, answers, TODAY)
    operations.complete_property_inspections(journey.inspector, journey.case,
                                             expected_version=journey.case.version)
    case = journey.accredit()
    tick(date(2027, 1, 3))
    assert case.status is CaseStatus.ACCREDITED
    assert messages("the standard rises soon")  # warned 28 days ahead
    tick(date(2027, 1, 4))
    assert case.status is CaseStatus.REASSESSMENT_DUE
    assert case.reassessment_due_by == date(2027, 1, 4) + timedelta(days=56)
    assert "The standard rose on 4 January 2027" in case.reassessment_reason
    # Grace over, nothing re-inspected: suspended.
    tick(date(2027, 3, 2))
    assert case.status is CaseStatus.SUSPENDED


def test_an_overdue_return_is_refused_after_a_reminder(journey):
    case = journey.submit()
    operations.return_to_provider(journey.commissioner, case, message="Send the lease.",
                                  due_on=TODAY + timedelta(days=10),
                                  expected_version=case.version)
    tick(TODAY + timedelta(days=4))
    assert messages("information due soon")
    tick(TODAY + timedelta(days=10))
    assert case.status is CaseStatus.RETURNED_AT_DUE_DILIGENCE
    tick(TODAY + timedelta(days=11))
    assert case.status is CaseStatus.REFUSED
    assert "was not sent by" in case.refusal_reasons


def test_tick_is_idempotent(journey):
    case = journey.all_the_way()
    day = case.expires_on - timedelta(days=30)
    tick(day)
    before = snapshot()
    tick(day)
    assert snapshot() == before


def test_an_interrupted_tick_reaches_the_same_end_state_when_run_again(app, journey,
                                                                       monkeypatch):
    from accreditation.cases import operations as case_operations

    first = journey.all_the_way()
    second_journey = type(journey)()
    second_journey.case = None
    second = second_journey.all_the_way()
    day = first.expires_on
    calls = {"n": 0}
    real = case_operations.notify_provider

    def crash_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("cron killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(case_operations, "notify_provider", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        tick(day)
    db.session.rollback()
    monkeypatch.setattr(case_operations, "notify_provider", real)
    tick(day)
    tick(day)
    assert {first.status, second.status} == {CaseStatus.EXPIRED}
    assert len(messages("accreditation expired")) == 2


def test_the_tick_command(runner, journey):
    journey.all_the_way()
    result = runner.invoke(args=["tick", "--today", "2027-11-22"])
    assert result.exit_code == 0, result.output
    assert "accreditations expired" in result.output
    again = runner.invoke(args=["tick", "--today", "2027-11-22"])
    assert "accreditations expired" not in again.output


def test_emails_written_by_the_tick_command_link_to_the_case_on_the_service(app, runner,
                                                                           journey):
    case = journey.all_the_way()
    assert runner.invoke(args=["tick", "--today", case.expires_on.isoformat()]).exit_code == 0
    (message,) = messages("accreditation expired")
    assert f"\n{app.config['BASE_URL']}/cases/{case.id}\n" in message.body


def test_the_tick_command_refuses_a_bad_date(runner):
    result = runner.invoke(args=["tick", "--today", "22/11/2027"])
    assert result.exit_code != 0
    assert "Invalid value for '--today'" in result.output
