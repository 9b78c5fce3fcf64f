"""What a person can do to a case, by name: the one table the case page and the API share.

An *action* is what a person chooses ("return to provider"); a *trigger* is the state
machine's step it fires (``return_due_diligence``, ``return_file_sampling``...). Which role may
fire which trigger from which status is the machine's rule (``workflow.TRANSITIONS``); this
table says, for each trigger, which action offers it, what the person sends with it, how the
page shows it and what it runs. ``available`` reads the machine, so nothing here re-lists
statuses or roles.

Actions with ``run`` are taken by posting their name (the case page's forms and
``POST /api/v1/cases/{id}/transitions``); the others are done on a page of their own, which
the case page links to (``page``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import url_for

from .. import workflow
from ..auth.models import Role, User
from ..errors import NotFound, ValidationFailed
from . import operations
from .models import Case


@dataclass(frozen=True)
class ActionInput:
    """What a person may send with an action; each action reads the fields it needs."""

    message: str | None = None
    due_on: date | None = None
    reasons: str | None = None
    response: str | None = None
    inspector: User | None = None

    def required_date(self) -> date:
        if self.due_on is None:
            raise ValidationFailed("Enter a date, for example 27 3 2027", field="due_on")
        return self.due_on

    def required_inspector(self) -> User:
        if self.inspector is None:
            raise ValidationFailed("Choose an inspector", field="inspector_id")
        return self.inspector


Run = Callable[[User, Case, ActionInput, int | None], None]


@dataclass(frozen=True)
class CaseAction:
    name: str                       # in the page's form address and the API's ``action``
    label: str                      # its button (or link)
    triggers: tuple[str, ...] = ()  # the machine's steps it takes, one per status it applies in
    run: Run | None = None          # None: done on a page of its own
    fields: tuple[str, ...] = ()    # what the person sends with it (``ActionInput``)
    heading: str | None = None      # shown above its form on the case page
    button: str = ""                # GOV.UK button modifier
    done: str = ""                  # the confirmation after it is taken
    page: Callable[[Case], str] | None = None  # the address of its own page (``run`` is None)
    page_as_button: bool = False    # the link to that page is the page's main call to action
    in_api: bool = True             # offered by the API's transitions endpoint too


TABLE: tuple[CaseAction, ...] = (
    CaseAction(
        "submit", "Complete and submit your application", ("submit",),
        page=lambda case: url_for("providers.home")),
    CaseAction(
        "pass_due_diligence", "Carry out due diligence", ("pass_due_diligence",),
        page=lambda case: url_for("stages.due_diligence_page", case_id=case.id)),
    CaseAction(
        "return", "Return to provider",
        tuple(workflow.RETURN_TRIGGERS.values()),
        lambda actor, case, data, version: operations.return_to_provider(
            actor, case, message=data.message or "", due_on=data.required_date(),
            expected_version=version),
        fields=("message", "due_on"), heading="Ask the provider for more information",
        button="govuk-button--secondary", done="Returned to the provider."),
    CaseAction(
        "resubmit", "Send",
        tuple(workflow.RESUBMIT_TRIGGERS.values()),
        lambda actor, case, data, version: operations.resubmit(
            actor, case, response=data.response or "", expected_version=version),
        fields=("response",), heading="Send the information asked for",
        done="Sent. The consortium will continue."),
    # An adverse decision is proposed first, on a page of its own (``operations.propose``).
    CaseAction(
        "propose_refusal", "Propose to refuse", ("fail", "refuse"),
        page=lambda case: url_for("cases.propose", case_id=case.id, kind="refusal")),
    CaseAction(
        "complete_file_sampling", "Complete file sampling", ("complete_file_sampling",),
        lambda actor, case, data, version: operations.complete_file_sampling(
            actor, case, expected_version=version),
        done="File sampling complete: property inspections can start."),
    CaseAction(
        "complete_property_inspections", "Complete property inspections",
        ("complete_property_inspections",),
        lambda actor, case, data, version: operations.complete_property_inspections(
            actor, case, expected_version=version),
        done="Inspections complete: the application awaits a decision."),
    CaseAction("decide", "Decide", ("accredit",),
               page=lambda case: url_for("cases.decision", case_id=case.id), page_as_button=True),
    # Safeguarding: in force at once, with a notice the provider may answer.
    CaseAction(
        "suspend", "Suspend now", ("suspend",),
        lambda actor, case, data, version: operations.suspend(
            actor, case, reason=data.reasons or "", expected_version=version),
        fields=("reasons",), heading="Suspend now for safeguarding",
        button="govuk-button--warning",
        done="Accreditation suspended. The provider has been sent the notice."),
    CaseAction(
        "propose_revocation", "Propose to revoke", ("revoke",),
        page=lambda case: url_for("cases.propose", case_id=case.id, kind="revocation")),
    CaseAction(
        "require_reassessment", "Require reassessment", ("require_reassessment",),
        lambda actor, case, data, version: operations.require_reassessment(
            actor, case, reason=data.reasons or "Reassessment required by the consortium.",
            due_by=data.required_date(), expected_version=version),
        fields=("reasons", "due_on"), heading="Require reassessment",
        button="govuk-button--secondary", done="Reassessment required."),
    CaseAction(
        "reinstate", "Reinstate", ("reinstate",),
        lambda actor, case, data, version: operations.reinstate(
            actor, case, expected_version=version),
        done="Accreditation reinstated."),
    CaseAction(
        "confirm_reassessment", "Confirm reassessment", ("confirm_reassessment",),
        lambda actor, case, data, version: operations.confirm_reassessment(
            actor, case, expected_version=version),
        done="Reassessment confirmed."),
    CaseAction(
        "withdraw", "Withdraw application", ("withdraw",),
        lambda actor, case, data, version: operations.withdraw_application(
            actor, case, expected_version=version),
        button="govuk-button--warning", done="Application withdrawn."),
    # The steps that put a case back where it was are taken by deciding a notice or a review.
    CaseAction(
        "decide_review", "Decide the review", tuple(workflow.RESTORE_TRIGGERS.values()),
        page=lambda case: url_for("cases.review_decision", case_id=case.id),
        page_as_button=True),
    # Not steps of the machine: the notice of an adverse decision and what follows it.
    CaseAction(
        "propose_suspension", "Propose to suspend",
        page=lambda case: url_for("cases.propose", case_id=case.id, kind="suspension")),
    CaseAction(
        "decide_proposal", "Decide the notice",
        page=lambda case: url_for("cases.proposal_decision", case_id=case.id),
        page_as_button=True),
    CaseAction(
        "make_representations", "Make representations",
        page=lambda case: url_for("cases.representations", case_id=case.id),
        page_as_button=True),
    CaseAction(
        "ask_for_review", "Ask for a review",
        page=lambda case: url_for("cases.review_request", case_id=case.id),
        page_as_button=True),
    # Not a step of the machine: the inspector can change while the case is being assessed.
    CaseAction(
        "assign_inspector", "Assign inspector",
        run=lambda actor, case, data, version: operations.assign_inspector(
            actor, case, data.required_inspector()),
        fields=("inspector_id",), heading="Assign an inspector",
        button="govuk-button--secondary", done="Inspector assigned.", in_api=False),
)

BY_NAME = {action.name: action for action in TABLE}
BY_TRIGGER = {trigger: action for action in TABLE for trigger in action.triggers}
# Every step a person can take has exactly one action (``expire`` is the periodic work's).
assert set(BY_TRIGGER) == {trigger for trigger, (_, _, roles) in workflow.TRANSITIONS.items()
                           if roles - {workflow.SYSTEM}}
# Offered as the notice of an adverse decision stands (``operations.notice_actions``).
NOTICE_ACTIONS = frozenset({"propose_refusal", "propose_revocation", "propose_suspension",
                            "decide_proposal", "make_representations", "ask_for_review",
                            "decide_review"})
# What the API's transitions endpoint accepts.
API_ACTIONS = tuple(sorted(action.name for action in TABLE if action.run and action.in_api))


def available(user: User, case: Case) -> list[CaseAction]:
    """What ``user`` can do to ``case`` now, in the table's order: the machine's steps this
    role may take from the case's status (a decision only by a commissioner who did not
    inspect the case), assigning an inspector, and the steps of a notice of an adverse
    decision as ``operations.notice_actions`` offers them (while a notice waits, only those
    and withdrawing the application)."""
    names = {BY_TRIGGER[trigger].name for trigger in workflow.actions_for(case.status, user.role)}
    if "decide" in names and user.id in operations.inspected_by(case):
        names.remove("decide")
    if user.role is Role.COMMISSIONER and case.status in workflow.ASSIGNING_STATUSES:
        names.add("assign_inspector")
    names = (names - NOTICE_ACTIONS) | operations.notice_actions(user, case)
    waiting = operations.open_proposal(case)
    if waiting is not None:  # only the notice's own steps, meanwhile, and safeguarding
        names &= NOTICE_ACTIONS | {BY_TRIGGER[trigger].name for trigger in workflow.WHILE_PROPOSED
                                   if trigger in BY_TRIGGER} | (
                                       set() if waiting.immediate else {BY_TRIGGER["suspend"].name})
    return [action for action in TABLE if action.name in names]


def api_actions(user: User, case: Case) -> list[str]:
    """The names ``POST /api/v1/cases/{id}/transitions`` accepts from ``user`` now."""
    return [action.name for action in available(user, case) if action.name in API_ACTIONS]


def runnable(name: str) -> CaseAction:
    """The action taken by posting ``name``; any other name is NotFound."""
    action = BY_NAME.get(name)
    if action is None or action.run is None:
        raise NotFound("There is no such action.")
    return action


def perform(actor: User, case: Case, name: str, data: ActionInput,
            expected_version: int | None) -> CaseAction:
    """Take the named action (see ``runnable``)."""
    action = runnable(name)
    action.run(actor, case, data, expected_version)
    return action
