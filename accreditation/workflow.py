"""The case state machine: states, transitions and who may fire each one. Nothing else.

One ``transitions.Machine`` serves every case (``model=None``): triggers are fired on a case
with ``fire(case, trigger, ...)``, which refuses an illegal transition with
``InvalidTransition`` before anything changes. Guards that need the database (is the
application complete? has every property been inspected?) live in the operations, which call
``fire`` only when they hold. Every successful transition writes exactly one audit event in
the caller's transaction (``after_state_change``).
"""

from __future__ import annotations

import enum

from transitions import Machine

from . import audit
from .auth.models import Role
from .errors import InvalidTransition, NotPermitted


class CaseStatus(enum.Enum):
    DRAFT = "draft"
    DUE_DILIGENCE = "due_diligence"
    RETURNED_AT_DUE_DILIGENCE = "returned_at_due_diligence"
    FILE_SAMPLING = "file_sampling"
    RETURNED_AT_FILE_SAMPLING = "returned_at_file_sampling"
    PROPERTY_INSPECTION = "property_inspection"
    RETURNED_AT_PROPERTY_INSPECTION = "returned_at_property_inspection"
    AWAITING_DECISION = "awaiting_decision"
    ACCREDITED = "accredited"
    REASSESSMENT_DUE = "reassessment_due"
    SUSPENDED = "suspended"
    REFUSED = "refused"
    REVOKED = "revoked"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def phrase(self) -> str:
        """The status as the end of a sentence: "Your application is {phrase}."."""
        return STATUS_PHRASES[self]

    @property
    def is_open(self) -> bool:
        """Still being decided (the provider can withdraw it)."""
        return self in OPEN

    @property
    def is_closed(self) -> bool:
        return self in CLOSED


S = CaseStatus
STATUS_LABELS = {
    S.DRAFT: "Draft",
    S.DUE_DILIGENCE: "Due diligence",
    S.RETURNED_AT_DUE_DILIGENCE: "Returned to provider (due diligence)",
    S.FILE_SAMPLING: "File sampling",
    S.RETURNED_AT_FILE_SAMPLING: "Returned to provider (file sampling)",
    S.PROPERTY_INSPECTION: "Property inspection",
    S.RETURNED_AT_PROPERTY_INSPECTION: "Returned to provider (property inspection)",
    S.AWAITING_DECISION: "Awaiting decision",
    S.ACCREDITED: "Accredited",
    S.REASSESSMENT_DUE: "Reassessment due",
    S.SUSPENDED: "Suspended",
    S.REFUSED: "Refused",
    S.REVOKED: "Revoked",
    S.EXPIRED: "Expired",
    S.WITHDRAWN: "Withdrawn",
}

# How a sentence says it: "Your application is at the file sampling stage."
STATUS_PHRASES = {
    S.DRAFT: "a draft",
    S.DUE_DILIGENCE: "at the due diligence stage",
    S.RETURNED_AT_DUE_DILIGENCE: "returned for more information at the due diligence stage",
    S.FILE_SAMPLING: "at the file sampling stage",
    S.RETURNED_AT_FILE_SAMPLING: "returned for more information at the file sampling stage",
    S.PROPERTY_INSPECTION: "at the property inspection stage",
    S.RETURNED_AT_PROPERTY_INSPECTION: ("returned for more information at the property "
                                        "inspection stage"),
    S.AWAITING_DECISION: "awaiting a decision",
    S.ACCREDITED: "accredited",
    S.REASSESSMENT_DUE: "accredited, with a reassessment due",
    S.SUSPENDED: "suspended",
    S.REFUSED: "refused",
    S.REVOKED: "revoked",
    S.EXPIRED: "expired",
    S.WITHDRAWN: "withdrawn",
}

STAGES = (S.DUE_DILIGENCE, S.FILE_SAMPLING, S.PROPERTY_INSPECTION)
RETURNED = {
    S.DUE_DILIGENCE: S.RETURNED_AT_DUE_DILIGENCE,
    S.FILE_SAMPLING: S.RETURNED_AT_FILE_SAMPLING,
    S.PROPERTY_INSPECTION: S.RETURNED_AT_PROPERTY_INSPECTION,
}
OPEN = frozenset({S.DRAFT, *STAGES, *RETURNED.values(), S.AWAITING_DECISION})
# Accreditation in force: the provider may receive referrals.
IN_FORCE = frozenset({S.ACCREDITED, S.REASSESSMENT_DUE})
# While a commissioner may assign (or change) a case's inspector: it is being assessed.
ASSIGNING_STATUSES = frozenset({*STAGES, S.REASSESSMENT_DUE})
CLOSED = frozenset({S.REFUSED, S.REVOKED, S.EXPIRED, S.WITHDRAWN})

COMMISSIONER, INSPECTOR, PROVIDER = Role.COMMISSIONER, Role.INSPECTOR, Role.PROVIDER
SYSTEM = None  # the periodic ``tick`` acts with no user

# trigger: (sources, destination, who may fire it)
TRANSITIONS: dict[str, tuple[tuple[CaseStatus, ...], CaseStatus, frozenset]] = {
    "submit": ((S.DRAFT,), S.DUE_DILIGENCE, frozenset({PROVIDER})),
    "pass_due_diligence": ((S.DUE_DILIGENCE,), S.FILE_SAMPLING, frozenset({COMMISSIONER})),
    "complete_file_sampling": ((S.FILE_SAMPLING,), S.PROPERTY_INSPECTION,
                               frozenset({INSPECTOR, COMMISSIONER})),
    "complete_property_inspections": ((S.PROPERTY_INSPECTION,), S.AWAITING_DECISION,
                                      frozenset({INSPECTOR, COMMISSIONER})),
    "return_due_diligence": ((S.DUE_DILIGENCE,), S.RETURNED_AT_DUE_DILIGENCE,
                             frozenset({COMMISSIONER})),
    "return_file_sampling": ((S.FILE_SAMPLING,), S.RETURNED_AT_FILE_SAMPLING,
                             frozenset({INSPECTOR, COMMISSIONER})),
    "return_property_inspection": ((S.PROPERTY_INSPECTION,), S.RETURNED_AT_PROPERTY_INSPECTION,
                                   frozenset({INSPECTOR, COMMISSIONER})),
    "resubmit_due_diligence": ((S.RETURNED_AT_DUE_DILIGENCE,), S.DUE_DILIGENCE,
                               frozenset({PROVIDER})),
    "resubmit_file_sampling": ((S.RETURNED_AT_FILE_SAMPLING,), S.FILE_SAMPLING,
                               frozenset({PROVIDER})),
    "resubmit_property_inspection": ((S.RETURNED_AT_PROPERTY_INSPECTION,),
                                     S.PROPERTY_INSPECTION, frozenset({PROVIDER})),
    "fail": ((*STAGES, *RETURNED.values()), S.REFUSED, frozenset({COMMISSIONER, SYSTEM})),
    "accredit": ((S.AWAITING_DECISION,), S.ACCREDITED, frozenset({COMMISSIONER})),
    "refuse": ((S.AWAITING_DECISION,), S.REFUSED, frozenset({COMMISSIONER})),
    "withdraw": (tuple(OPEN), S.WITHDRAWN, frozenset({PROVIDER})),
    "require_reassessment": ((S.ACCREDITED,), S.REASSESSMENT_DUE,
                             frozenset({COMMISSIONER, SYSTEM})),
    "confirm_reassessment": ((S.REASSESSMENT_DUE,), S.ACCREDITED, frozenset({COMMISSIONER})),
    "suspend": ((S.ACCREDITED, S.REASSESSMENT_DUE), S.SUSPENDED,
                frozenset({COMMISSIONER, SYSTEM})),
    "reinstate": ((S.SUSPENDED,), S.ACCREDITED, frozenset({COMMISSIONER})),
    "revoke": ((S.ACCREDITED, S.REASSESSMENT_DUE, S.SUSPENDED), S.REVOKED,
               frozenset({COMMISSIONER})),
    "expire": ((S.ACCREDITED, S.REASSESSMENT_DUE, S.SUSPENDED), S.EXPIRED, frozenset({SYSTEM})),
}

# An adverse decision is first proposed (a notice the provider may answer) and then decided
# by another commissioner; after it the provider may ask for a review. While a proposal is
# open the case keeps its status (an accredited provider stays on the register), and only
# these steps may be taken besides the ones that decide it (``cases.operations``).
WHILE_PROPOSED = frozenset({"withdraw", "expire"})
# The status each adverse decision leaves a case in.
ADVERSE_RESULT = {"refusal": S.REFUSED, "suspension": S.SUSPENDED, "revocation": S.REVOKED}
# Putting a case back where it was: a suspension lifted at its notice's decision, or a
# decision overturned on review. One step for each status it can go back to.
RESTORE_FROM = {
    S.AWAITING_DECISION: (S.REFUSED,),
    S.DUE_DILIGENCE: (S.REFUSED,),
    S.FILE_SAMPLING: (S.REFUSED,),
    S.PROPERTY_INSPECTION: (S.REFUSED,),
    S.ACCREDITED: (S.SUSPENDED, S.REVOKED),
    S.REASSESSMENT_DUE: (S.SUSPENDED, S.REVOKED),
    S.SUSPENDED: (S.REVOKED,),
}
RESTORE_TRIGGERS = {status: f"restore_{status.value}" for status in RESTORE_FROM}
TRANSITIONS.update({
    trigger: (RESTORE_FROM[status], status, frozenset({COMMISSIONER}))
    for status, trigger in RESTORE_TRIGGERS.items()})

# The step that returns a case from each stage, and the one that answers the return.
RETURN_TRIGGERS = {
    S.DUE_DILIGENCE: "return_due_diligence",
    S.FILE_SAMPLING: "return_file_sampling",
    S.PROPERTY_INSPECTION: "return_property_inspection",
}
RESUBMIT_TRIGGERS = {
    S.RETURNED_AT_DUE_DILIGENCE: "resubmit_due_diligence",
    S.RETURNED_AT_FILE_SAMPLING: "resubmit_file_sampling",
    S.RETURNED_AT_PROPERTY_INSPECTION: "resubmit_property_inspection",
}

TRIGGER_LABELS = {
    "submit": "Submit application",
    "pass_due_diligence": "Pass due diligence",
    "complete_file_sampling": "Complete file sampling",
    "complete_property_inspections": "Complete property inspections",
    "return_due_diligence": "Return to provider",
    "return_file_sampling": "Return to provider",
    "return_property_inspection": "Return to provider",
    "resubmit_due_diligence": "Send the information asked for",
    "resubmit_file_sampling": "Send the information asked for",
    "resubmit_property_inspection": "Send the information asked for",
    "fail": "Refuse at this stage",
    "accredit": "Decide",
    "refuse": "Decide",
    "withdraw": "Withdraw application",
    "require_reassessment": "Require reassessment",
    "confirm_reassessment": "Confirm reassessment",
    "suspend": "Suspend",
    "reinstate": "Reinstate",
    "revoke": "Revoke",
    "expire": "Expire",
    **{trigger: "Put back" for trigger in RESTORE_TRIGGERS.values()},
}


def _record_transition(event) -> None:
    """After every successful transition: exactly one audit event, in the same transaction."""
    case = event.model
    details = {"from": CaseStatus[event.transition.source].value,
               "to": CaseStatus[event.transition.dest].value,
               **event.kwargs.get("details", {})}
    audit.record(f"case.{event.event.name}", actor=event.kwargs.get("actor"), subject=case,
                 details=details)


machine = Machine(
    model=None,
    states=CaseStatus,
    initial=CaseStatus.DRAFT,
    transitions=[
        {"trigger": trigger, "source": list(sources), "dest": dest}
        for trigger, (sources, dest, _) in TRANSITIONS.items()
    ],
    model_attribute="status",
    auto_transitions=False,
    send_event=True,
    queued=False,
    after_state_change=_record_transition,
)


def triggers_from(status: CaseStatus) -> list[str]:
    """The triggers the machine allows from ``status`` (whoever fires them)."""
    return [trigger for trigger in machine.get_triggers(status.name) if trigger in TRANSITIONS]


def may_fire(trigger: str, role: Role | None) -> bool:
    return role in TRANSITIONS[trigger][2]


def actions_for(status: CaseStatus, role: Role | None) -> list[str]:
    """What this role may do to a case in ``status``: read from the machine, never re-listed."""
    return [trigger for trigger in triggers_from(status) if may_fire(trigger, role)]


def ensure_can_fire(case, trigger: str, actor=None) -> None:
    """Raise ``InvalidTransition`` / ``NotPermitted`` unless ``actor`` may fire ``trigger`` now.

    Permission (``actor``'s role may fire it) is checked here too, as a last line of defence;
    operations check it first to give the clearest message.
    """
    if trigger not in TRANSITIONS:
        raise InvalidTransition(f"'{trigger}' is not an action on a case.")
    role = getattr(actor, "role", None)
    if not may_fire(trigger, role):
        raise NotPermitted("You cannot do that to this application.")
    if trigger not in triggers_from(case.status):
        raise InvalidTransition(
            f"This application is {case.status.phrase}, so you cannot "
            f"{TRIGGER_LABELS[trigger].lower()} now.")


def fire(case, trigger: str, *, actor=None, details: dict | None = None) -> None:
    """Move ``case`` along ``trigger``, or raise having changed nothing."""
    ensure_can_fire(case, trigger, actor)
    machine.events[trigger].trigger(case, actor=actor, details=details or {})
