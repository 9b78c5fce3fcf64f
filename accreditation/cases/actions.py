"""The simple actions on a case, by name: one table that the web pages and the API share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ..auth.models import User
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


Action = Callable[[User, Case, ActionInput, int | None], None]

ACTIONS: dict[str, Action] = {
    "return": lambda actor, case, data, version: operations.return_to_provider(
        actor, case, message=data.message or "", due_on=data.required_date(),
        expected_version=version),
    "resubmit": lambda actor, case, data, version: operations.resubmit(
        actor, case, response=data.response or "", expected_version=version),
    "fail": lambda actor, case, data, version: operations.fail_at_stage(
        actor, case, reasons=data.reasons or "", expected_version=version),
    "withdraw": lambda actor, case, data, version: operations.withdraw_application(
        actor, case, expected_version=version),
    "complete_file_sampling": lambda actor, case, data, version:
        operations.complete_file_sampling(actor, case, expected_version=version),
    "complete_property_inspections": lambda actor, case, data, version:
        operations.complete_property_inspections(actor, case, expected_version=version),
    "suspend": lambda actor, case, data, version: operations.suspend(
        actor, case, reason=data.reasons or "", expected_version=version),
    "reinstate": lambda actor, case, data, version: operations.reinstate(
        actor, case, expected_version=version),
    "revoke": lambda actor, case, data, version: operations.revoke(
        actor, case, reason=data.reasons or "", expected_version=version),
    "require_reassessment": lambda actor, case, data, version:
        operations.require_reassessment(
            actor, case, reason=data.reasons or "Reassessment required by the consortium.",
            due_by=data.required_date(), expected_version=version),
    "confirm_reassessment": lambda actor, case, data, version:
        operations.confirm_reassessment(actor, case, expected_version=version),
    "assign_inspector": lambda actor, case, data, version: operations.assign_inspector(
        actor, case, data.required_inspector()),
}

DONE_MESSAGES = {
    "return": "Returned to the provider.", "fail": "Application refused.",
    "withdraw": "Application withdrawn.", "resubmit": "Sent. The consortium will continue.",
    "complete_file_sampling": "File sampling complete: property inspections can start.",
    "complete_property_inspections": "Inspections complete: the application awaits a decision.",
    "suspend": "Accreditation suspended.", "reinstate": "Accreditation reinstated.",
    "revoke": "Accreditation revoked.", "require_reassessment": "Reassessment required.",
    "confirm_reassessment": "Reassessment confirmed.", "assign_inspector": "Inspector assigned.",
}


def perform(actor: User, case: Case, action: str, data: ActionInput,
            expected_version: int | None) -> None:
    """Run the named action; an unknown name is NotFound."""
    run = ACTIONS.get(action)
    if run is None:
        raise NotFound("There is no such action.")
    run(actor, case, data, expected_version)
