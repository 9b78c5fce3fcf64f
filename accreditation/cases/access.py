"""Who may see and act on a case: the one place the rule is written.

- A provider sees its own organisation's cases.
- An inspector sees the cases assigned to them, and only there records inspections.
- A commissioner sees every case.
- Anyone else (a social worker) sees none: they use the register.

A case someone may not see is answered exactly like a missing one (404), and the attempt is
audited, so that other organisations' ids are not confirmed. Which role may fire which
transition, from which status, is the state machine's rule (``workflow.TRANSITIONS``).
"""

from __future__ import annotations

import sqlalchemy as sa

from .. import workflow
from ..auth.models import Role, User
from ..denials import refuse
from ..errors import NotFound, NotPermitted
from ..extensions import db
from .models import Case

CASE_NOT_FOUND = "We could not find that application."
NOT_ASSIGNED = "Only the inspector assigned to this application can do that."


def is_assigned_inspector(user: User, case: Case) -> bool:
    return user.role is Role.INSPECTOR and case.inspector_id == user.id


def can_view_case(user: User, case: Case) -> bool:
    if user.role is Role.PROVIDER:
        return case.organisation_id == user.organisation_id
    if user.role is Role.INSPECTOR:
        return is_assigned_inspector(user, case)
    return user.role is Role.COMMISSIONER


def may_inspect(user: User, case: Case) -> bool:
    """Record inspections (files, properties) on this case: commissioners, or its inspector."""
    return user.role is Role.COMMISSIONER or is_assigned_inspector(user, case)


def visible_cases(user: User) -> sa.ColumnElement[bool]:
    """The same rule as ``can_view_case``, as a condition on ``Case`` for a query."""
    if user.role is Role.PROVIDER:
        return Case.organisation_id == user.organisation_id
    if user.role is Role.INSPECTOR:
        return assigned_to(user)
    return sa.true() if user.role is Role.COMMISSIONER else sa.false()


def assigned_to(inspector: User) -> sa.ColumnElement[bool]:
    """The cases assigned to this inspector, as a condition on ``Case``."""
    return Case.inspector_id == inspector.id


def ensure_can_view(user: User, case: Case) -> None:
    if not can_view_case(user, case):
        refuse(user, NotFound(CASE_NOT_FOUND), "case not visible to this user", subject=case)


def ensure_inspector_on_case(user: User, case: Case) -> None:
    """An inspector acts only on the cases assigned to them (other roles: their own rules)."""
    if user.role is Role.INSPECTOR and not is_assigned_inspector(user, case):
        raise NotPermitted(NOT_ASSIGNED)


def ensure_can_fire(actor: User | None, case: Case, trigger: str) -> None:
    """May ``actor`` fire ``trigger`` on ``case`` now? Permission first, then the status:
    a status message only makes sense to someone who could take the step at all.
    ``actor`` is ``None`` for the periodic work, which sees every case."""
    if actor is not None:
        ensure_can_view(actor, case)
    workflow.ensure_can_fire(case, trigger, actor)


def case_for(user: User, case_id: int) -> Case:
    """Load a case ``user`` may see, or answer 404 (and audit the attempt)."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound(CASE_NOT_FOUND)
    ensure_can_view(user, case)
    return case
