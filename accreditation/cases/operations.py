"""Operations on cases: every state change goes through one of these.

Each operation checks who may act and on what (row-level), checks its guards, fires the
state machine (which writes exactly one audit event), queues any e-mail, and commits once.
``expected_version`` is the case version the person saw: if the case changed since, the
operation refuses with ``Conflict`` rather than act on what they did not see.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from .. import audit, clock, workflow
from ..auth.models import Role, User
from ..checklists import Item, ItemResult
from ..database import utcnow
from ..denials import refuse
from ..errors import Conflict, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from ..evidence import requirements
from ..evidence.models import EvidencePurpose
from ..evidence.operations import lock_case_evidence, upload_evidence
from ..evidence.requirements import Needed
from ..extensions import db
from ..notifications.messages import notify_provider
from ..notifications.outbox import queue_email
from ..providers.models import (
    KEY_POLICIES,
    FileType,
    Organisation,
    open_company_number_claim,
)
from ..providers.operations import Problems
from ..routing import external_url
from ..stages.models import samples_for, unconfirmed_company_reason
from ..standards.models import Assessment
from ..workflow import CaseStatus
from . import access, bundle, letters
from .models import (
    Case,
    CaseProperty,
    Condition,
    ConditionStatus,
    Decision,
    DecisionOutcome,
    InspectionOutcome,
    Proposal,
    ProposalKind,
    ProposalOutcome,
    Representation,
    ReviewOutcome,
    ReviewRequest,
    SubmissionFile,
    open_case_for,
    open_proposal,
)

# --- the one way a case changes state ----------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """What an operation's check worked out for the transition: audit details and columns."""

    details: dict = field(default_factory=dict)
    changes: dict = field(default_factory=dict)


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise Conflict(
            f"{case.reference} was changed by someone else while you were looking at it. "
            "Nothing was saved: check its current state and try again.")


def _transition(actor: User | None, case: Case, trigger: str, *,
                expected_version: int | None, check: Callable[[], Step | None] | None = None,
                details: dict | None = None, changes: dict | None = None,
                notice: bool = False) -> None:
    """The one place a transition is checked and made, in this order: may ``actor`` see the
    case and fire ``trigger`` now (``access.ensure_can_fire``); is the case still the version
    they saw (if not, nothing else is worth saying); does the operation's own ``check`` hold
    (it raises if not, and may return the details and columns it worked out); then the
    columns, then the move. While a notice of an adverse decision waits, only its own
    decision (``notice``) and the steps ``workflow.WHILE_PROPOSED`` may move the case: that
    is checked with the status, before the version.

    The columns go in before the status moves so that the row is never, even for a flush,
    in a status without what that status implies (the table's CHECK constraints insist).
    """
    access.ensure_can_fire(actor, case, trigger)
    if (not notice and trigger not in workflow.WHILE_PROPOSED
            and open_proposal(case) is not None):
        raise InvalidTransition("A notice on this application is waiting for a decision: "
                                "decide the notice first.")
    _check_version(case, expected_version)
    step = (check() if check is not None else None) or Step()
    for name, value in {**(changes or {}), **step.changes}.items():
        setattr(case, name, value)
    case.status_changed_at = utcnow()
    try:
        workflow.fire(case, trigger, actor=actor, details={**(details or {}), **step.details})
    except StaleDataError:
        _concurrent_change()


def _concurrent_change():
    db.session.rollback()
    raise Conflict("Someone else changed this application at the same moment. Nothing "
                   "was saved: check its current state and try again.") from None


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        _concurrent_change()


# --- provider journey --------------------------------------------------------------------------

def start_application(actor: User) -> Case:
    """A provider starts an application (one open at a time; not during a cooling-off period;
    not while its claim to a company number another organisation registered first waits for
    a commissioner)."""
    if actor.role is not Role.PROVIDER:
        raise NotPermitted("Only providers apply for accreditation.")
    organisation = actor.organisation
    claim = open_company_number_claim(organisation)
    if claim is not None:
        raise InvalidTransition(
            "You cannot start an application until the commissioning team has checked which "
            f"organisation company number {claim.company_number} belongs to.")
    if open_case_for(organisation) is not None:
        raise InvalidTransition("Your organisation already has an application in progress.")
    last_refused = db.session.scalar(
        sa.select(Case).where(Case.organisation_id == organisation.id,
                              Case.status == CaseStatus.REFUSED)
        .order_by(Case.reapply_from.desc()).limit(1))
    if last_refused is not None and last_refused.reapply_from > clock.today():
        raise InvalidTransition(
            f"Your last application was refused. You can apply again from "
            f"{last_refused.reapply_from:%-d %B %Y}.")
    case = Case(organisation=organisation)
    db.session.add(case)
    db.session.flush()
    audit.record("case.started", actor=actor, subject=case)
    db.session.commit()
    return case


@dataclass(frozen=True)
class Task:
    key: str
    title: str
    answered: bool  # every answer the section asks for is given
    hint: str
    # The files the section needs (``evidence.requirements``), each with what is uploaded.
    evidence: tuple[Needed, ...] = ()

    @property
    def complete(self) -> bool:
        return self.answered and not self.missing_evidence

    @property
    def missing_evidence(self) -> list[Needed]:
        return [piece for piece in self.evidence if not piece.uploaded]


def application_tasks(organisation: Organisation, case: Case | None = None) -> list[Task]:
    """The task list a provider completes before submitting; the submit guard reads it too.
    A section is complete when its answers are given and every file it needs is uploaded."""
    people = organisation.people
    properties = organisation.properties
    policies = {policy.name for policy in organisation.policies}
    evidence = requirements.by_section(requirements.needed(organisation, case))
    answered = [
        ("organisation", "Organisation details",
         bool(organisation.registered_office and organisation.ico_registration_number)
         and any(p.role.value == "director" for p in people) and any(
             p.role.value == "registered_manager" for p in people),
         "Registered office, ICO registration number, at least one director and the "
         "registered manager."),
        ("properties", "Properties", bool(properties),
         "Every property you want accredited: address, category, bed spaces, ages, and its "
         "gas safety certificate, electrical installation condition report (EICR), fire risk "
         "assessment and, for shared housing for 5 or more, its HMO licence."),
        ("landlords", "Landlord and lease arrangements",
         bool(properties) and all(p.landlord_arrangements_complete for p in properties),
         "For each property: who owns it and, if you lease it, the landlord's consent and "
         "the lease or management agreement."),
        ("insurance", "Insurance and policies",
         bool(organisation.insurer and organisation.public_liability_millions is not None
              and organisation.employers_liability_millions is not None
              and organisation.professional_indemnity_pounds is not None
              and organisation.insurance_expires_on)
         and set(KEY_POLICIES) <= policies,
         "Your insurance cover and certificate, and each key policy with when it was last "
         "reviewed."),
        ("rosters", "Staff and young people's files",
         any(e.file_type is FileType.STAFF for e in organisation.roster),
         "The files you hold, by reference, so an inspector can sample them."),
    ]
    return [Task(key, title, complete, hint, tuple(evidence.get(key, ())))
            for key, title, complete, hint in answered]


class ApplicationIncomplete(ValidationFailed):
    """Submitting an application with sections or evidence missing: each is named, so that
    a page can link to where it is done."""

    def __init__(self, sections: list[Task], evidence: list[Needed]):
        self.sections = sections  # sections whose answers are not all given
        self.evidence = evidence  # files not uploaded
        named = ([f"complete {task.title.lower()}" for task in sections]
                 + [piece.missing_message[0].lower() + piece.missing_message[1:]
                    for piece in evidence])
        super().__init__("Complete every section before you submit: " + "; ".join(named)
                         + ".")


def ensure_complete(case: Case) -> None:
    """Every section answered and every document it needs uploaded, or
    ``ApplicationIncomplete`` naming what is missing."""
    tasks = application_tasks(case.organisation, case)
    unanswered = [task for task in tasks if not task.answered]
    missing = [piece for task in tasks for piece in task.missing_evidence]
    if unanswered or missing:
        raise ApplicationIncomplete(unanswered, missing)


def submit_application(actor: User, case: Case, *, expected_version: int | None) -> None:
    """Submit a complete application: due diligence starts, and its properties are fixed."""
    _transition(actor, case, "submit", expected_version=expected_version,
                check=lambda: ensure_complete(case))
    case.submitted_at = utcnow()
    for property_ in case.organisation.properties:
        case.properties.append(CaseProperty(property_id=property_.id))
    lock_case_evidence(case)  # what the stage was assessed on cannot change now
    _commit()


# What a person may write in a message, reasons or a response: the pages and the API say so.
MAX_WRITTEN = 4000


def _within_limit(text: str, *, field: str, what: str) -> str:
    if len(text) > MAX_WRITTEN:
        raise ValidationFailed(f"{what} must be {MAX_WRITTEN:,} characters or fewer",
                               field=field)
    return text


def _required_text(text: str | None, *, field: str, missing: str, what: str) -> str:
    """``text`` without surrounding spaces: ``missing`` when there is none, and no longer than
    the limit for what people write (``what`` names it in the message)."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(missing, field=field)
    return _within_limit(text, field=field, what=what)


# --- returns -----------------------------------------------------------------------------------

def return_to_provider(actor: User, case: Case, *, message: str, due_on: date,
                       expected_version: int | None) -> None:
    """Ask the provider for more information by a date; the stage waits for the answer."""
    message = _required_text(
        message, field="message", missing="Say what the provider needs to send",
        what="What you need from the provider")
    if due_on <= clock.today():
        raise ValidationFailed("The deadline must be in the future", field="due_on")
    trigger = workflow.RETURN_TRIGGERS.get(case.status)
    if trigger is None:
        raise InvalidTransition(
            f"This application is {case.status.phrase}: it cannot be returned now.")
    _transition(actor, case, trigger, expected_version=expected_version,
                details={"due_on": due_on.isoformat()},
                changes={"return_message": message, "return_due_on": due_on})
    notify_provider(case, "more information needed",
                    f"We need more information to continue your application:\n\n{message}\n\n"
                    f"Please send it by {due_on:%-d %B %Y}. If we do not receive it by then, "
                    "the application will be refused.")
    _commit()


def resubmit(actor: User, case: Case, *, response: str, expected_version: int | None) -> None:
    """The provider answers a return; the case goes back to the stage that asked, complete
    again (a property added meanwhile with its answers and documents)."""
    response = _required_text(
        response, field="response", missing="Say what you have sent or changed",
        what="What you have sent or changed")
    trigger = workflow.RESUBMIT_TRIGGERS.get(case.status)
    if trigger is None:
        raise InvalidTransition("Nothing has been asked of you on this application.")
    asked = case.return_message
    _transition(actor, case, trigger, expected_version=expected_version,
                check=lambda: ensure_complete(case),
                details={"response_length": len(response)},
                changes={"return_message": None, "return_due_on": None})
    # A property added while the application was returned joins it.
    linked = {link.property_id for link in case.properties}
    for property_ in case.organisation.properties:
        if property_.id not in linked:
            case.properties.append(CaseProperty(property_id=property_.id))
    audit.record("case.return_answered", actor=actor, subject=case,
                 details={"asked": asked, "answer": response})
    lock_case_evidence(case)  # what the stage was assessed on cannot change now
    _commit()


# --- stage progress ----------------------------------------------------------------------------

def assign_inspector(actor: User, case: Case, inspector: User) -> None:
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners assign inspectors.")
    if case.status not in workflow.ASSIGNING_STATUSES:
        raise InvalidTransition("An inspector is assigned while the application is being "
                                "assessed or reassessed, not now.")
    if inspector.role is not Role.INSPECTOR or not inspector.is_active:
        raise ValidationFailed("Choose an active inspector", field="inspector_id")
    case.inspector_id = inspector.id
    audit.record("case.inspector_assigned", actor=actor, subject=case,
                 details={"inspector_id": inspector.id})
    _commit()


def latest_assessment(case: Case, kind: str, **filters) -> Assessment | None:
    return db.session.scalar(
        sa.select(Assessment).filter_by(case_id=case.id, kind=kind, **filters)
        .order_by(Assessment.id.desc()).limit(1))


class CompanyNotConfirmed(ValidationFailed):
    """Due diligence would pass without a Companies House check that found the company under
    its number now: the commissioner must say that is what they mean."""


def pass_due_diligence(actor: User, case: Case, *, inspector: User | None,
                       expected_version: int | None,
                       without_company_check: bool = False) -> None:
    """Due diligence passed: file sampling starts, with an inspector assigned. Without a
    Companies House check that found the company (under the number it has now), only when
    ``without_company_check`` says so (``CompanyNotConfirmed`` otherwise); the audit event
    records which."""
    def passed_with_an_inspector() -> Step:
        assessment = latest_assessment(case, "due_diligence")
        if assessment is None:
            raise ValidationFailed("Complete the due diligence checklist first.")
        if not assessment.passed:
            raise ValidationFailed("The due diligence checklist did not pass: return the "
                                   "application to the provider or refuse it.")
        chosen = inspector or case.inspector
        if chosen is None or chosen.role is not Role.INSPECTOR:
            raise ValidationFailed("Choose the inspector who will sample files and inspect "
                                   "the properties", field="inspector_id")
        unconfirmed = unconfirmed_company_reason(case)
        if unconfirmed is not None and not without_company_check:
            raise CompanyNotConfirmed(unconfirmed)
        return Step(details={"assessment_id": assessment.id, "inspector_id": chosen.id,
                             "without_company_check": unconfirmed is not None},
                    changes={"inspector_id": chosen.id})

    _transition(actor, case, "pass_due_diligence", expected_version=expected_version,
                check=passed_with_an_inspector)
    _commit()


def complete_file_sampling(actor: User, case: Case, *, expected_version: int | None) -> None:
    """Every sampled file assessed and passed: property inspections start."""
    def every_sampled_file_passed() -> Step:
        samples = samples_for(case)
        if not samples:
            raise ValidationFailed("Draw the sample of files first.")
        files = [sampled for sample in samples for sampled in sample.files]
        if any(sampled.assessment is None for sampled in files):
            raise ValidationFailed("Assess every sampled file first.")
        failed = [sampled.reference for sampled in files if not sampled.assessment.passed]
        if failed:
            raise ValidationFailed(
                f"{len(failed)} sampled file(s) did not pass ({', '.join(failed)}): return "
                "the application to the provider or ask a commissioner to refuse it.")
        return Step(details={"files": len(files)})

    _transition(actor, case, "complete_file_sampling", expected_version=expected_version,
                check=every_sampled_file_passed)
    lock_case_evidence(case)  # what the stage was assessed on cannot change now
    _commit()


def complete_property_inspections(actor: User, case: Case, *,
                                  expected_version: int | None) -> None:
    """Every property has an outcome: the case waits for a commissioner's decision."""
    def every_property_inspected() -> Step:
        pending = [link.home.name for link in case.properties
                   if link.outcome is InspectionOutcome.PENDING]
        if pending:
            raise ValidationFailed(f"Inspect every property first: {', '.join(pending)}.")
        return Step(details={"passed": sum(link.outcome is InspectionOutcome.PASSED
                                           for link in case.properties)})

    _transition(actor, case, "complete_property_inspections",
                expected_version=expected_version, check=every_property_inspected)
    lock_case_evidence(case)  # what the stage was assessed on cannot change now
    _commit()


def fail_at_stage(actor: User | None, case: Case, *, reasons: str,
                  expected_version: int | None) -> None:
    """The periodic work refuses an application at its stage (the information asked for is
    overdue, after a reminder). A person proposes a refusal instead (``propose``)."""
    if actor is not None:
        raise InvalidTransition("A refusal is proposed first: the provider is sent the "
                                "notice and may make representations.")
    reasons = (reasons or "").strip()

    def reasons_given() -> None:
        if not reasons:
            raise ValidationFailed("Give the reasons for refusing", field="reasons")
        _within_limit(reasons, field="reasons", what="The reasons")

    _transition(actor, case, "fail", expected_version=expected_version, check=reasons_given,
                details={"stage": case.status.value}, changes=_refusal(reasons))
    _notify_refused(case, reasons)
    _commit()


def _refusal(reasons: str) -> dict:
    days = current_app.config["REAPPLY_AFTER_DAYS"]
    return {"refusal_reasons": reasons, "decided_at": utcnow(),
            "reapply_from": clock.today() + timedelta(days=days),
            "return_message": None, "return_due_on": None}


LETTER_ATTACHED = "\n\nThe decision letter is attached as a PDF."
NOTICE_ATTACHED = "\n\nThe notice is attached as a PDF."


def _notify_refused(case: Case, reasons: str, *, letter: Decision | None = None) -> None:
    notify_provider(case, "application refused",
                    f"Your application for accreditation has been refused.\n\n"
                    f"Reasons:\n{reasons}\n\nYou can apply again from "
                    f"{case.reapply_from:%-d %B %Y}." + (LETTER_ATTACHED if letter else ""),
                    dedupe_key=letters.letter_key(letter) if letter else None)


# --- decisions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewCondition:
    """A condition as the deciding commissioner wrote it: a short title (``item_title``),
    what the provider must do (``description``) and when by; the checklist item and property
    it came from, if any (None: one the commissioner added)."""

    item_id: str | None
    item_title: str
    description: str
    due_on: date | None
    property_id: int | None = None


MAX_CONDITION_TITLE = 120
MAX_CONDITION_TEXT = 2000
CONDITION_DAYS = 28  # the due date a condition is offered with


@dataclass(frozen=True)
class ConditionCandidate:
    """A failed item of a property that passed: a condition the decision can set, offered in
    plain words for the commissioner to edit."""

    key: str
    property_id: int
    item_id: str
    title: str
    wording: str

    def as_condition(self, due_on: date) -> NewCondition:
        return NewCondition(self.item_id, self.title, self.wording, due_on, self.property_id)


GRADE_WORDS = {0: "not met", 1: "poor", 2: "adequate", 3: "good"}


def _inside_a_sentence(label: str) -> str:
    """'Damp and mould' -> 'damp and mould' (but 'EICR' stays as it is)."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def condition_wording(item: Item | None, result: ItemResult, home: str) -> str:
    """What a failed item asks the provider to do, in plain words ("At Albion House, the
    inspection graded damp and mould as poor (1 out of 3). Put this right so that it is at
    least adequate (2 out of 3), and tell us what you have done.")."""
    name = _inside_a_sentence(result.title)
    tell = "and tell us what you have done."
    answer = result.answer
    if item is None or answer in (None, "") or result.outcome in ("not_answered", "invalid"):
        return (f"At {home}, {name} was not checked at the inspection. Show that it meets the "
                f"standard, {tell}")
    if item.answer_type == "yes_no":
        return (f"At {home}, the inspection found a problem with {name}: the answer to "
                f"\u201c{item.text}\u201d was no. Put this right, {tell}")
    if item.answer_type == "graded" and isinstance(answer, int):
        wanted = item.pass_grade if item.pass_grade is not None else 2
        return (f"At {home}, the inspection graded {name} as {GRADE_WORDS.get(answer, answer)} "
                f"({answer} out of 3). Put this right so that it is at least "
                f"{GRADE_WORDS[wanted]} ({wanted} out of 3), {tell}")
    if item.answer_type == "number":
        unit = f" {item.unit}" if item.unit else ""
        if item.pass_min is not None and item.pass_max is not None:
            wanted = f"between {_number(item.pass_min)} and {_number(item.pass_max)}{unit}"
        elif item.pass_min is not None:
            wanted = f"at least {_number(item.pass_min)}{unit}"
        else:
            wanted = f"no more than {_number(item.pass_max)}{unit}"
        return (f"At {home}, the inspection recorded {_number(answer)}{unit} for {name}. "
                f"Put this right so that it is {wanted}, {tell}")
    return f"At {home}, {name} did not meet the standard at the inspection. Put this right, {tell}"


def condition_candidates(case: Case) -> dict[str, ConditionCandidate]:
    """Failed items of properties that passed: what a condition can ask to put right."""
    candidates = {}
    for link in case.properties:
        if link.outcome is not InspectionOutcome.PASSED or link.assessment is None:
            continue
        result = link.assessment.score
        by_id = {item.id: item for item in result.items}
        items = {item.id: item for item in link.assessment.checklist_version.checklist.items}
        home = link.as_inspected.name
        for item_id in result.failed_items:
            failed = by_id[item_id]
            key = f"{link.id}:{item_id}"
            candidates[key] = ConditionCandidate(
                key, link.property_id, item_id, f"{failed.title} at {home}",
                condition_wording(items.get(item_id), failed, home))
    return candidates


def condition_problems(conditions: Iterable[NewCondition], *,
                       expires_on: date | None) -> dict[str, str]:
    """What is missing or wrong in each condition, by its fields on the decision page
    (``conditions-<n>-title``, ``-text``, ``-due_on``, counting from 0)."""
    today = clock.today()
    problems: dict[str, str] = {}
    for index, condition in enumerate(conditions):
        number, field = index + 1, f"conditions-{index}-"
        title = (condition.item_title or "").strip()
        if not title:
            problems[f"{field}title"] = f"Enter a title for condition {number}"
        elif len(title) > MAX_CONDITION_TITLE:
            problems[f"{field}title"] = (f"The title of condition {number} must be "
                                         f"{MAX_CONDITION_TITLE} characters or fewer")
        text = (condition.description or "").strip()
        if not text:
            problems[f"{field}text"] = f"Enter what the provider must do for condition {number}"
        elif len(text) > MAX_CONDITION_TEXT:
            problems[f"{field}text"] = (f"What the provider must do for condition {number} "
                                        f"must be {MAX_CONDITION_TEXT} characters or fewer")
        if condition.due_on is None:
            problems[f"{field}due_on"] = f"Enter the date condition {number} is due"
        elif condition.due_on <= today:
            problems[f"{field}due_on"] = (f"The date condition {number} is due must be in the "
                                          "future")
        elif expires_on is not None and condition.due_on > expires_on:
            problems[f"{field}due_on"] = (
                f"The date condition {number} is due must be on or before the day the "
                f"accreditation expires, {expires_on:%-d %B %Y}")
    return problems


def inspected_by(case: Case) -> set[int]:
    """Everyone who carried out an inspection on this case (files or properties)."""
    assessors = set(db.session.scalars(
        sa.select(Assessment.assessor_id).where(
            Assessment.case_id == case.id, Assessment.assessor_id.is_not(None),
            Assessment.kind.in_(("file_sampling", "property_inspection")))))
    if case.inspector_id:
        assessors.add(case.inspector_id)
    return assessors


def decide_case(actor: User, case: Case, *, outcome: DecisionOutcome, reasons: str,
                expected_version: int | None, expires_on: date | None = None,
                conditions: Iterable[NewCondition] = ()) -> Decision:
    """A commissioner who did not inspect decides: accredited (for the properties that
    passed) or accredited with conditions. A refusal is proposed first (``propose``)."""
    reasons = (reasons or "").strip()
    conditions = list(conditions)
    today = clock.today()
    passed = [link for link in case.properties if link.outcome is InspectionOutcome.PASSED]
    expires_on = expires_on or _add_months(today, current_app.config["ACCREDITATION_MONTHS"])

    def decidable() -> None:
        if actor.id in inspected_by(case):
            refuse(actor, NotPermitted("You inspected this application, so another "
                                       "commissioner must decide it."),
                   "decision on own inspection", subject=case)
        if not reasons:
            raise ValidationFailed("Give the reasons for the decision", field="reasons")
        _within_limit(reasons, field="reasons", what="The reasons")
        if not passed:
            raise ValidationFailed("No property passed its inspection, so the application "
                                   "can only be refused: propose to refuse it.", field="outcome")
        if outcome is DecisionOutcome.ACCREDITED_WITH_CONDITIONS and not conditions:
            raise ValidationFailed("Add at least one condition, or accredit without "
                                   "conditions.", field="conditions")
        if outcome is DecisionOutcome.ACCREDITED and conditions:
            raise ValidationFailed("Conditions need the outcome 'accredited with conditions'.",
                                   field="outcome")
        if expires_on <= today:
            raise ValidationFailed("The expiry date must be in the future", field="expires_on")
        problems = condition_problems(conditions, expires_on=expires_on)
        if problems:
            raise Problems(problems)

    if outcome is DecisionOutcome.REFUSED:
        raise ValidationFailed("To refuse, propose the refusal first: the provider is sent "
                               "the notice and may make representations.", field="outcome")
    _transition(actor, case, "accredit", expected_version=expected_version, check=decidable,
                details={"outcome": outcome.value, "properties": len(passed),
                         "conditions": len(conditions), "expires_on": expires_on.isoformat()},
                changes={"accredited_on": today, "expires_on": expires_on,
                         "decided_at": utcnow()})
    for link in passed:
        link.accredited = True
    decision = Decision(case=case, outcome=outcome, reasons=reasons, decided_by_id=actor.id,
                        expires_on=expires_on)
    db.session.add(decision)
    for condition in conditions:
        db.session.add(Condition(
            case=case, property_id=condition.property_id, item_id=condition.item_id,
            item_title=condition.item_title.strip(), description=condition.description.strip(),
            due_on=condition.due_on))
    db.session.flush()  # the letter attached to the e-mail is found by the decision's id
    names = ", ".join(link.home.name for link in passed)
    written = "".join(f"\n\n{condition.item_title.strip()}, by {condition.due_on:%-d %B %Y}:"
                      f"\n{condition.description.strip()}" for condition in conditions)
    notify_provider(case, outcome.label.lower(),
                    f"Your organisation is {outcome.label.lower()} until "
                    f"{expires_on:%-d %B %Y} for these properties: {names}.\n\n{reasons}"
                    + (f"\n\nThe conditions of your accreditation:{written}"
                       if conditions else "") + LETTER_ATTACHED,
                    dedupe_key=letters.letter_key(decision))
    _commit()
    return decision


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- after the decision ------------------------------------------------------------------------

def withdraw_application(actor: User, case: Case, *, expected_version: int | None) -> None:
    _transition(actor, case, "withdraw", expected_version=expected_version,
                changes={"return_message": None, "return_due_on": None})
    _lapse_open_proposal(case)
    _commit()


def suspend(actor: User | None, case: Case, *, reason: str,
            expected_version: int | None) -> None:
    """Suspend at once: a commissioner for safeguarding (in force now, with a notice the
    provider may answer and another commissioner decides), or the periodic work when a
    reassessment is overdue. Any other suspension is proposed first (``propose``)."""
    reason = _required_text(
        reason, field="reason", missing="Give the reason for the suspension",
        what="The reason")
    was = case.status
    overtaken = open_proposal(case) if actor is not None else None
    _transition(actor, case, "suspend", expected_version=expected_version,
                details={"immediate": actor is not None},
                changes={"suspension_reason": reason}, notice=overtaken is not None)
    if overtaken is not None:
        # Safeguarding cannot wait for a notice's deadline: the notice it overtakes lapses,
        # and may be proposed again once the suspension's own notice is decided.
        _lapse_open_proposal(case)
        notify_provider(case, "notice overtaken by a suspension", (
            f"The notice that we propose to {overtaken.kind.verb} no longer applies: your "
            "accreditation has been suspended at once for safeguarding, with a notice of its "
            "own, which follows. The commissioning team may propose it again later."))
    if actor is None:
        notify_provider(case, "accreditation suspended",
                        f"Your accreditation is suspended: councils cannot refer young people "
                        f"to you until it is reinstated.\n\nReason: {reason}")
        _commit()
        return
    proposal = Proposal(
        case=case, kind=ProposalKind.SUSPENSION, immediate=True, from_status=was,
        reasons=reason, items=[], proposed_by_id=actor.id,
        representations_due_on=clock.today() + timedelta(
            days=current_app.config["REPRESENTATIONS_DAYS"]))
    db.session.add(proposal)
    db.session.flush()
    audit.record("proposal.made", actor=actor, subject=case,
                 details={"proposal_id": proposal.id, "case_id": case.id,
                          "kind": "suspension", "immediate": True,
                          "representations_due_on": proposal.representations_due_on.isoformat()})
    _notify_proposal(case, proposal)
    _commit_notice()


def expire_accreditation(case: Case, *, today: date) -> None:
    """The periodic job ends an accreditation on its expiry date (no user acts)."""
    if case.expires_on is None or case.expires_on > today:
        raise InvalidTransition(f"{case.reference} does not expire until "
                                f"{case.expires_on:%-d %B %Y}.")
    _transition(None, case, "expire", expected_version=case.version)
    _lapse_open_proposal(case)
    for link in case.properties:
        link.accredited = False
    notify_provider(case, "accreditation expired",
                    f"Your accreditation expired on {case.expires_on:%-d %B %Y}.")
    _commit()


def reinstate(actor: User, case: Case, *, expected_version: int | None) -> None:
    _transition(actor, case, "reinstate", expected_version=expected_version,
                changes={"suspension_reason": None})
    notify_provider(case, "accreditation reinstated", "Your accreditation is reinstated.")
    _commit()


def require_reassessment(actor: User | None, case: Case, *, reason: str, due_by: date,
                         expected_version: int | None) -> None:
    """The accreditation stays in force until ``due_by``, by when every accredited property
    is to be re-inspected (``tick`` suspends it after that). A commissioner gives a date in
    the future: one already reached would suspend it before the provider could act."""
    if actor is not None and due_by <= clock.today():
        raise ValidationFailed("The date the reassessment is due by must be in the future",
                               field="due_on")
    _within_limit(reason, field="reasons", what="The reason")
    _transition(actor, case, "require_reassessment", expected_version=expected_version,
                details={"due_by": due_by.isoformat()},
                changes={"reassessment_reason": reason, "reassessment_due_by": due_by})
    notify_provider(case, "reassessment due",
                    f"Your accreditation needs to be reassessed by {due_by:%-d %B %Y}.\n\n"
                    f"{reason}")
    _commit()


def confirm_reassessment(actor: User, case: Case, *, expected_version: int | None) -> None:
    """Every accredited property re-inspected and passing since reassessment was required."""
    def every_accredited_property_reinspected() -> Step:
        stale = [link.home.name for link in case.properties if link.accredited and (
            link.assessment is None or not link.assessment.passed
            or link.assessment.recorded_at < case.status_changed_at)]
        if stale:
            raise ValidationFailed(f"Re-inspect these properties first: {', '.join(stale)}.")
        renewed = max(case.expires_on, _add_months(
            clock.today(), current_app.config["ACCREDITATION_MONTHS"]))
        return Step(changes={"expires_on": renewed})

    _transition(actor, case, "confirm_reassessment", expected_version=expected_version,
                check=every_accredited_property_reinspected,
                changes={"reassessment_reason": None, "reassessment_due_by": None})
    _commit()


# --- conditions --------------------------------------------------------------------------------

def respond_to_condition(actor: User, condition: Condition, *, response: str) -> None:
    if actor.role is not Role.PROVIDER or condition.case.organisation_id != actor.organisation_id:
        raise NotFound("We could not find that condition.")
    if condition.status is ConditionStatus.CONFIRMED:
        raise InvalidTransition("This condition has already been confirmed as met.")
    response = _required_text(
        response, field="response", missing="Say what you have done",
        what="What you have done")
    condition.response, condition.responded_at = response, utcnow()
    condition.status = ConditionStatus.RESPONDED
    audit.record("condition.responded", actor=actor, subject=condition)
    _commit()


def confirm_condition(actor: User, condition: Condition) -> None:
    if actor.role not in (Role.INSPECTOR, Role.COMMISSIONER):
        raise NotPermitted("Only inspectors confirm that a condition is met.")
    access.ensure_inspector_on_case(actor, condition.case)
    if condition.status is not ConditionStatus.RESPONDED:
        raise InvalidTransition("The provider has not said what they did yet.")
    condition.status = ConditionStatus.CONFIRMED
    condition.confirmed_by_id, condition.confirmed_at = actor.id, utcnow()
    audit.record("condition.confirmed", actor=actor, subject=condition)
    _commit()


# --- decision bundles --------------------------------------------------------------------------

def take_bundle(actor: User | None, case: Case, *, with_evidence: bool = False) -> bytes:
    """The case's decision bundle (``bundle.py``), for a commissioner, the case's own
    provider, or a command (``actor`` None). Audited
    with the bundle's SHA-256, so a copy shown later can be matched to the one taken."""
    if actor is not None:
        access.ensure_can_view(actor, case)
        if actor.role not in (Role.COMMISSIONER, Role.PROVIDER):
            raise NotPermitted("Only commissioners and the application's provider may "
                               "download its decision bundle.")
    if not case.decisions:
        raise NotFound("There is no decision on this application yet.")
    data = bundle.make(case, with_evidence=with_evidence)
    audit.record("case.bundle_taken", actor=actor, subject=case,
                 details={"case_id": case.id, "with_evidence": with_evidence,
                          "sha256": hashlib.sha256(data).hexdigest()})
    _commit()
    return data


# --- adverse decisions: notice, representations, decision, review -----------------------------
#
# Refusing, suspending and revoking are proposed first: the provider gets a notice with the
# reasons (and the checklist items they rest on) and may make written representations, with
# files, until a deadline. Then a commissioner who neither proposed it nor inspected the case
# decides it, saying how the representations were considered. After an adverse decision the
# provider may ask for a review, decided by a commissioner not involved before. An immediate
# suspension for safeguarding is in force at once and followed by the same notice. The
# periodic work's own steps (refusing an application whose information is overdue, suspending
# one whose reassessment is overdue) follow warnings already sent and are taken at once.

KIND_TRIGGERS = {
    ProposalKind.SUSPENSION: ("suspend",),
    ProposalKind.REVOCATION: ("revoke",),
}
KIND_WORDS = {ProposalKind.REFUSAL: "refuse the application",
              ProposalKind.SUSPENSION: "suspend the accreditation",
              ProposalKind.REVOCATION: "revoke the accreditation"}
MAX_PROPOSAL_ITEMS = 200


def _refusal_trigger(case: Case) -> str:
    return "refuse" if case.status is CaseStatus.AWAITING_DECISION else "fail"


def _kind_triggers(kind: ProposalKind, case: Case) -> tuple[str, ...]:
    return (_refusal_trigger(case),) if kind is ProposalKind.REFUSAL else KIND_TRIGGERS[kind]


def proposable_kinds(case: Case) -> list[ProposalKind]:
    """What may be proposed for the case now, whoever proposes it (none while a proposal is
    open)."""
    if open_proposal(case) is not None:
        return []
    allowed = workflow.triggers_from(case.status)
    return [kind for kind in ProposalKind
            if all(trigger in allowed for trigger in _kind_triggers(kind, case))
            and not (kind is ProposalKind.SUSPENSION and case.status is CaseStatus.SUSPENDED)]


def involved_in(case: Case) -> set[int]:
    """Everyone who inspected the case, proposed an adverse decision on it or decided one:
    none of them may review a decision on it."""
    people = set(inspected_by(case))
    for proposal in case.proposals:
        people.add(proposal.proposed_by_id)
        if proposal.decided_by_id:
            people.add(proposal.decided_by_id)
    return people


def latest_decided_proposal(case: Case) -> Proposal | None:
    decided = [proposal for proposal in case.proposals
               if proposal.outcome is not None and proposal.outcome.adverse]
    return decided[-1] if decided else None


def reviewable_proposal(case: Case) -> Proposal | None:
    """The adverse decision the provider may still ask to have reviewed, if any."""
    proposal = latest_decided_proposal(case)
    if (proposal is None or not proposal.may_ask_for_review
            or case.status is not _result_status(proposal)):
        return None
    return proposal


def open_review(case: Case) -> ReviewRequest | None:
    proposal = latest_decided_proposal(case)
    return proposal.open_review if proposal is not None else None


def notice_actions(user: User, case: Case) -> set[str]:
    """The notice's steps ``user`` can take on ``case`` now, by their names in
    ``actions.TABLE``."""
    names: set[str] = set()
    proposal = open_proposal(case)
    if user.role is Role.COMMISSIONER:
        for kind in proposable_kinds(case):
            names.add(f"propose_{kind.value}")
        if (proposal is not None and proposal.decidable
                and user.id != proposal.proposed_by_id and user.id not in inspected_by(case)):
            names.add("decide_proposal")
        if open_review(case) is not None and user.id not in involved_in(case):
            names.add("decide_review")
    if user.role is Role.PROVIDER and user.organisation_id == case.organisation_id:
        if proposal is not None and proposal.representations_open:
            names.add("make_representations")
        if reviewable_proposal(case) is not None and open_review(case) is None:
            names.add("ask_for_review")
    return names


@dataclass(frozen=True)
class ProposalItem:
    """A failed checklist item of one of the case's assessments, which a proposal's reasons
    can rest on."""

    key: str
    title: str


def proposal_items(case: Case) -> dict[str, ProposalItem]:
    """The failed items of the case's assessments (the latest of each subject), by key."""
    assessments = db.session.scalars(
        sa.select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.id))
    latest: dict[tuple, Assessment] = {}
    for assessment in assessments:
        latest[(assessment.kind, assessment.property_id, assessment.subject_ref)] = assessment
    items: dict[str, ProposalItem] = {}
    for assessment in latest.values():
        result = assessment.score
        by_id = {item.id: item for item in result.items}
        if assessment.kind == "property_inspection":
            where = (assessment.property_as_inspected.name if assessment.property_as_inspected
                     else "a property")
        elif assessment.kind == "file_sampling":
            where = f"file {assessment.subject_ref}" if assessment.subject_ref else "a file"
        else:
            where = "due diligence"
        for item_id in result.failed_items:
            key = f"{assessment.id}:{item_id}"
            items[key] = ProposalItem(key, f"{by_id[item_id].title} ({where})")
    return items


def _lapse_open_proposal(case: Case) -> None:
    proposal = open_proposal(case)
    if proposal is not None:
        proposal.outcome = ProposalOutcome.LAPSED
        audit.record("proposal.lapsed", subject=case,
                     details={"proposal_id": proposal.id, "case_id": case.id})


def _notify_commissioners(case: Case, subject: str, body: str, *, link: str,
                          dedupe_key: str | None = None) -> None:
    """Tell the commissioning team (every active commissioner) about a notice they may need
    to act on."""
    for email in db.session.scalars(sa.select(User.email).where(
            User.role == Role.COMMISSIONER, User.is_active)):
        queue_email(to=email, subject=f"{case.reference}: {subject}",
                    body=f"{body}\n\n{link}\n",
                    dedupe_key=f"{dedupe_key}:{email}" if dedupe_key else None)


def _notice_link(case: Case) -> str:
    return external_url("cases.notice", case_id=case.id)


def propose(actor: User, case: Case, *, kind: ProposalKind, reasons: str,
            item_keys: Iterable[str] = (), expected_version: int | None) -> Proposal:
    """A commissioner proposes to refuse, suspend or revoke: nothing changes on the case yet;
    the provider is sent the notice, with the reasons and the deadline for representations."""
    access.ensure_can_view(actor, case)
    if actor.role is not Role.COMMISSIONER:
        refuse(actor, NotPermitted("Only commissioners propose a refusal, suspension or "
                                   "revocation."), "proposal by another role", subject=case)
    _check_version(case, expected_version)
    if open_proposal(case) is not None:
        raise InvalidTransition("A notice on this application is waiting for a decision: it "
                                "must be decided first.")
    if kind not in proposable_kinds(case):
        raise InvalidTransition(f"This application is {case.status.phrase}, so you cannot "
                                f"propose to {KIND_WORDS[kind]}.")
    reasons = _required_text(
        reasons, field="reasons", missing="Give the reasons for the proposal",
        what="The reasons")
    offered = proposal_items(case)
    keys = list(dict.fromkeys(item_keys))
    unknown = [key for key in keys if key not in offered]
    if unknown or len(keys) > MAX_PROPOSAL_ITEMS:
        raise ValidationFailed("Choose items from the list", field="items")
    days = current_app.config["REPRESENTATIONS_DAYS"]
    proposal = Proposal(
        case=case, kind=kind, from_status=case.status, reasons=reasons,
        items=[{"key": key, "title": offered[key].title} for key in keys],
        proposed_by_id=actor.id, representations_due_on=clock.today() + timedelta(days=days))
    db.session.add(proposal)
    db.session.flush()
    audit.record("proposal.made", actor=actor, subject=case,
                 details={"proposal_id": proposal.id, "case_id": case.id, "kind": kind.value,
                          "items": len(keys),
                          "representations_due_on": proposal.representations_due_on.isoformat()})
    _notify_proposal(case, proposal)
    _commit_notice()
    return proposal


def _commit_notice() -> None:
    """Commit a new notice: two at once on one case (one open at a time) is a conflict."""
    try:
        _commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Someone else acted on this application at the same moment. Nothing "
                       "was saved: check its current state and try again.") from None


def _notify_proposal(case: Case, proposal: Proposal) -> None:
    items = "".join(f"\n- {item['title']}" for item in proposal.items)
    now = ("Your accreditation is suspended from today: councils cannot refer young people "
           "to you while it is suspended.\n\n" if proposal.immediate else "")
    notify_provider(
        case, f"notice: we propose to {proposal.kind.verb}" if not proposal.immediate
        else "notice: accreditation suspended now",
        f"{now}The commissioning team "
        + ("has suspended your accreditation" if proposal.immediate
           else f"proposes to {proposal.kind.verb}")
        + f".\n\nReasons:\n{proposal.reasons}"
        + (f"\n\nThe checklist items this rests on:{items}" if items else "")
        + f"\n\nYou can make written representations, with files, until "
          f"{proposal.representations_due_on:%-d %B %Y}. A commissioner who has not been "
          "involved will then decide, taking them into account." + NOTICE_ATTACHED,
        dedupe_key=letters.notice_key(proposal, "proposed"))


def make_representations(actor: User, case: Case, *, text: str,
                         files: Iterable[FileStorage] = ()) -> Representation:
    """The provider answers the notice in writing, with files (checked and stored like any
    evidence; each upload is kept, and audited, as it is stored)."""
    access.ensure_can_view(actor, case)
    if actor.role is not Role.PROVIDER:
        refuse(actor, NotPermitted("Only the provider makes representations."),
               "representations by another role", subject=case)
    proposal = open_proposal(case)
    if proposal is None:
        raise InvalidTransition("There is no notice on this application to answer.")
    if not proposal.representations_open:
        raise InvalidTransition(
            f"Representations were due by {proposal.representations_due_on:%-d %B %Y}: it "
            "is too late to send them now.")
    text = _required_text(
        text, field="text", missing="Enter your representations",
        what="Your representations")
    uploaded = _upload_all(actor, files)
    representation = Representation(text=text, made_by_id=actor.id, files=[
        SubmissionFile(evidence_id=record.id) for record in uploaded])
    db.session.add(representation)
    representation.proposal = proposal
    db.session.flush()
    audit.record("proposal.representations", actor=actor, subject=case,
                 details={"proposal_id": proposal.id, "case_id": case.id,
                          "length": len(text), "files": len(uploaded)})
    _notify_commissioners(case, "representations received",
                          f"{case.organisation.name} has made representations on the notice "
                          f"({proposal.kind.value}). A commissioner who did not propose it "
                          "and did not inspect the application can now decide it:",
                          link=external_url("cases.proposal_decision", case_id=case.id))
    _commit()
    return representation


def _upload_all(actor: User, files: Iterable[FileStorage]):
    chosen = [file for file in files if file is not None and file.filename]
    return [upload_evidence(actor, actor.organisation, file, purpose=EvidencePurpose.OTHER)
            for file in chosen]


class ProposalDecision(enum.Enum):
    CONFIRM = "confirm"
    SUSPEND_INSTEAD = "suspend_instead"
    WITHDRAW = "withdraw"


def decide_proposal(actor: User, case: Case, *, decision: ProposalDecision,
                    consideration: str, expected_version: int | None) -> Proposal:
    """A commissioner who neither proposed it nor inspected the case decides the notice once
    representations are in or their deadline has passed: confirm it (the case is refused,
    suspended or revoked), change a revocation to a suspension, or withdraw it (nothing
    changes; an immediate suspension is lifted). ``consideration`` says how each
    representation was considered."""
    access.ensure_can_view(actor, case)
    if actor.role is not Role.COMMISSIONER:
        refuse(actor, NotPermitted("Only commissioners decide a notice."),
               "notice decided by another role", subject=case)
    _check_version(case, expected_version)
    proposal = open_proposal(case)
    if proposal is None:
        raise InvalidTransition("There is no notice on this application to decide.")
    if actor.id == proposal.proposed_by_id:
        refuse(actor, NotPermitted("You proposed this, so another commissioner must decide "
                                   "it."), "notice decided by its proposer", subject=case)
    if actor.id in inspected_by(case):
        refuse(actor, NotPermitted("You inspected this application, so another commissioner "
                                   "must decide the notice."),
               "notice decided by an inspector of the case", subject=case)
    if not proposal.decidable:
        raise InvalidTransition(
            "The provider can make representations until "
            f"{proposal.representations_due_on:%-d %B %Y}: decide after that, or once they "
            "have made them.")
    consideration = _required_text(
        consideration, field="consideration", missing="Say how each representation was considered",
        what="How the representations were considered")
    if (decision is ProposalDecision.SUSPEND_INSTEAD
            and (proposal.kind is not ProposalKind.REVOCATION
                 or case.status not in workflow.IN_FORCE)):
        raise ValidationFailed("Only a proposed revocation of an accreditation in force can "
                               "be changed to a suspension", field="decision")
    outcome = {ProposalDecision.CONFIRM: ProposalOutcome.CONFIRMED,
               ProposalDecision.SUSPEND_INSTEAD: ProposalOutcome.SUSPENDED_INSTEAD,
               ProposalDecision.WITHDRAW: ProposalOutcome.WITHDRAWN}[decision]
    proposal.outcome, proposal.consideration = outcome, consideration
    proposal.decided_by_id, proposal.decided_at = actor.id, utcnow()
    details = {"proposal_id": proposal.id, "case_id": case.id, "kind": proposal.kind.value,
               "outcome": outcome.value}
    if outcome.adverse:
        proposal.review_due_on = clock.today() + timedelta(
            days=current_app.config["REVIEW_DAYS"])
    letter = None
    if decision is ProposalDecision.WITHDRAW:
        if proposal.immediate and case.status is CaseStatus.SUSPENDED:
            _restore(actor, case, proposal.from_status, details)
    elif decision is ProposalDecision.SUSPEND_INSTEAD:
        _transition(actor, case, "suspend", expected_version=None, details=details,
                    changes={"suspension_reason": proposal.reasons}, notice=True)
    elif not proposal.immediate:
        letter = _carry_out(actor, case, proposal, details)
    audit.record("proposal.decided", actor=actor, subject=case, details=details)
    _notify_proposal_decided(case, proposal, letter)
    _commit()
    return proposal


def _carry_out(actor: User, case: Case, proposal: Proposal, details: dict) -> Decision | None:
    """The confirmed proposal's step: refuse, suspend or revoke; a refusal at the decision
    stage is a decision on the application, with its letter (returned)."""
    if proposal.kind is ProposalKind.REFUSAL:
        trigger = _refusal_trigger(case)
        _transition(actor, case, trigger, expected_version=None,
                    details={**details, "stage": case.status.value},
                    changes=_refusal(proposal.reasons), notice=True)
        if trigger == "refuse":
            decision = Decision(case=case, outcome=DecisionOutcome.REFUSED,
                                reasons=proposal.reasons, decided_by_id=actor.id)
            db.session.add(decision)
            db.session.flush()  # the letter attached to the e-mail is found by its id
            return decision
    elif proposal.kind is ProposalKind.SUSPENSION:
        _transition(actor, case, "suspend", expected_version=None, details=details,
                    changes={"suspension_reason": proposal.reasons}, notice=True)
    else:
        _transition(actor, case, "revoke", expected_version=None,
                    details={**details, "reason": proposal.reasons}, notice=True)
        for link in case.properties:
            link.accredited = False
    return None


def _notify_proposal_decided(case: Case, proposal: Proposal,
                             letter: Decision | None = None) -> None:
    """Tell the provider the notice's decision: with the decision letter when it refused the
    application at the decision stage, otherwise with the notice as it now stands."""
    review = (f"\n\nYou can ask for this decision to be reviewed until "
              f"{proposal.review_due_on:%-d %B %Y}, saying why and sending any files."
              if proposal.review_due_on else "")
    outcome, kind = proposal.outcome, proposal.kind
    if outcome is ProposalOutcome.WITHDRAWN:
        subject, what = (("suspension lifted", "The suspension is lifted: your accreditation "
                          "is in force again.") if proposal.immediate else
                         ("proposal withdrawn", "The proposal is withdrawn: nothing has "
                          "changed."))
    elif outcome is ProposalOutcome.SUSPENDED_INSTEAD:
        subject, what = ("accreditation suspended", "Your accreditation is suspended rather "
                         "than revoked: councils cannot refer young people to you until it "
                         "is reinstated.")
    elif proposal.immediate:
        subject, what = "suspension confirmed", "Your accreditation stays suspended."
    else:
        subject, what = {
            ProposalKind.REFUSAL: ("application refused", "Your application for accreditation "
                                   "has been refused. You can apply again from "
                                   f"{case.reapply_from:%-d %B %Y}." if case.reapply_from
                                   else ""),
            ProposalKind.SUSPENSION: ("accreditation suspended", "Your accreditation is "
                                      "suspended: councils cannot refer young people to you "
                                      "until it is reinstated."),
            ProposalKind.REVOCATION: ("accreditation revoked",
                                      "Your accreditation has been revoked."),
        }[kind]
    notify_provider(case, subject,
                    f"{what}\n\nReasons:\n{proposal.reasons}\n\nHow your representations "
                    f"were considered:\n{proposal.consideration}{review}"
                    + (LETTER_ATTACHED if letter else NOTICE_ATTACHED),
                    dedupe_key=letters.letter_key(letter) if letter
                    else letters.notice_key(proposal, "decided"))


def _result_status(proposal: Proposal) -> CaseStatus:
    """The status the decided proposal left the case in."""
    if proposal.outcome is ProposalOutcome.SUSPENDED_INSTEAD:
        return CaseStatus.SUSPENDED
    return workflow.ADVERSE_RESULT[proposal.kind.value]


def _restored_status(status: CaseStatus) -> CaseStatus:
    """Where a case goes back to: a stage it was returned at goes back to the stage."""
    return next((stage for stage, returned in workflow.RETURNED.items() if returned is status),
                status)


def _restore(actor: User, case: Case, status: CaseStatus, details: dict) -> None:
    status = _restored_status(status)
    trigger = workflow.RESTORE_TRIGGERS.get(status)
    if trigger is None:
        raise InvalidTransition(f"This application cannot go back to being {status.phrase}.")
    if status in workflow.OPEN and (other := open_case_for(case.organisation)) is not None:
        raise InvalidTransition(f"{case.organisation.name} has another application in "
                                f"progress ({other.reference}), so this one cannot be "
                                "reopened.")
    changes: dict = {}
    if case.status is CaseStatus.REFUSED:
        changes = {"refusal_reasons": None, "reapply_from": None, "decided_at": None}
    if status is not CaseStatus.SUSPENDED:
        changes["suspension_reason"] = None
    _transition(actor, case, trigger, expected_version=None, details=details, changes=changes,
                notice=True)
    if status in workflow.IN_FORCE:
        for link in case.properties:
            link.accredited = link.outcome is InspectionOutcome.PASSED


def ask_for_review(actor: User, case: Case, *, grounds: str,
                   files: Iterable[FileStorage] = ()) -> ReviewRequest:
    """The provider asks for an adverse decision to be reviewed, in time, with its grounds
    and any files. The decision stays in force meanwhile."""
    access.ensure_can_view(actor, case)
    if actor.role is not Role.PROVIDER:
        refuse(actor, NotPermitted("Only the provider asks for a review."),
               "review asked for by another role", subject=case)
    proposal = latest_decided_proposal(case)
    if proposal is None or case.status is not _result_status(proposal):
        raise InvalidTransition("There is no decision on this application to review.")
    if proposal.reviews:
        raise InvalidTransition("You have already asked for this decision to be reviewed.")
    if clock.today() > proposal.review_due_on:
        raise InvalidTransition(
            f"A review had to be asked for by {proposal.review_due_on:%-d %B %Y}: it is too "
            "late now.")
    grounds = _required_text(
        grounds, field="grounds", missing="Enter your grounds for a review",
        what="Your grounds for a review")
    uploaded = _upload_all(actor, files)
    review = ReviewRequest(grounds=grounds, requested_by_id=actor.id, files=[
        SubmissionFile(evidence_id=record.id) for record in uploaded])
    db.session.add(review)
    review.proposal = proposal
    db.session.flush()
    audit.record("review.requested", actor=actor, subject=case,
                 details={"proposal_id": proposal.id, "review_id": review.id,
                          "case_id": case.id, "length": len(grounds), "files": len(uploaded)})
    notify_provider(case, "review asked for",
                    "We have your request for a review. A commissioner who has not been "
                    "involved will review the decision; it stays in force meanwhile.")
    _notify_commissioners(case, "review asked for",
                          f"{case.organisation.name} has asked for a review of the decision "
                          f"({proposal.kind.value}). A commissioner not involved before can "
                          "decide it:", link=external_url("cases.review_decision",
                                                          case_id=case.id))
    _commit()
    return review


def decide_review(actor: User, case: Case, *, outcome: ReviewOutcome, reasons: str,
                  expected_version: int | None) -> ReviewRequest:
    """A commissioner not involved before (not the proposer, the decider, nor an inspector
    of the case) upholds the decision or overturns it (the case goes back to where it was)."""
    access.ensure_can_view(actor, case)
    if actor.role is not Role.COMMISSIONER:
        refuse(actor, NotPermitted("Only commissioners decide a review."),
               "review decided by another role", subject=case)
    _check_version(case, expected_version)
    review = open_review(case)
    if review is None:
        raise InvalidTransition("There is no review to decide on this application.")
    if actor.id in involved_in(case):
        refuse(actor, NotPermitted("You have been involved in this application, so a "
                                   "commissioner who has not must decide the review."),
               "review decided by someone involved", subject=case)
    reasons = _required_text(
        reasons, field="reasons", missing="Give the reasons for the review's outcome",
        what="The reasons")
    proposal = review.proposal
    review.outcome, review.reasons = outcome, reasons
    review.decided_by_id, review.decided_at = actor.id, utcnow()
    details = {"proposal_id": proposal.id, "review_id": review.id, "case_id": case.id,
               "outcome": outcome.value}
    if outcome is ReviewOutcome.OVERTURNED:
        if case.status is not _result_status(proposal):
            raise InvalidTransition(f"This application is {case.status.phrase} now, so the "
                                    "decision cannot be overturned.")
        _restore(actor, case, proposal.from_status, details)
    audit.record("review.decided", actor=actor, subject=case, details=details)
    notify_provider(case, "review decided",
                    ("The review has overturned the decision: your application is "
                     f"{case.status.phrase} again." if outcome is ReviewOutcome.OVERTURNED
                     else "The review has upheld the decision.")
                    + f"\n\nReasons:\n{reasons}")
    _commit()
    return review


@dataclass(frozen=True)
class Waiting:
    """A notice or review waiting for someone: on which case, and what to do."""

    case: Case
    what: str


def notices_waiting_for(user: User) -> list[Waiting]:
    """What a commissioner can do on notices now: representations to read and notices to
    decide (not their own proposals, nor on cases they inspected), and reviews to decide
    (not on cases they were involved in)."""
    if user.role is not Role.COMMISSIONER:
        return []
    waiting = []
    open_ones = db.session.scalars(
        sa.select(Proposal).where(Proposal.outcome.is_(None)).order_by(Proposal.id))
    for proposal in open_ones:
        case = proposal.case
        if user.id == proposal.proposed_by_id or user.id in inspected_by(case):
            continue
        if proposal.representations:
            waiting.append(Waiting(case, f"Representations to read and a notice to decide "
                                         f"({proposal.kind.value})"))
        elif proposal.decidable:
            waiting.append(Waiting(case, f"Notice to decide ({proposal.kind.value}): no "
                                         "representations were made"))
    reviews = db.session.scalars(
        sa.select(ReviewRequest).where(ReviewRequest.outcome.is_(None))
        .order_by(ReviewRequest.id))
    for review in reviews:
        case = review.proposal.case
        if user.id not in involved_in(case):
            waiting.append(Waiting(case, f"Review to decide ({review.proposal.kind.value})"))
    return waiting


@dataclass(frozen=True)
class ProviderNotice:
    """What the provider's home page says about a notice they can answer or a decision they
    can ask to have reviewed."""

    case: Case
    heading: str
    what: str
    button: str


def notice_for_provider(case: Case) -> ProviderNotice | None:
    proposal = open_proposal(case)
    if proposal is not None and proposal.representations_open:
        what = ("Your accreditation is suspended now" if proposal.immediate
                else f"We propose to {proposal.kind.verb}")
        return ProviderNotice(
            case, f"Notice about application {case.reference}",
            f"{what}. You can make written representations until "
            f"{proposal.representations_due_on:%-d %B %Y}.", "Read the notice and respond")
    proposal = reviewable_proposal(case)
    if proposal is not None and open_review(case) is None:
        return ProviderNotice(
            case, f"Decision on application {case.reference}",
            f"You can ask for the decision to be reviewed until "
            f"{proposal.review_due_on:%-d %B %Y}.", "Read the decision")
    return None
