"""Case pages for everyone who works on a case; every change goes through an operation."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import clock
from ..audit import AuditEvent, event_lines
from ..auth.models import Role, User
from ..auth.permissions import allow
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..forms import show_error, whole_number
from ..stages.forms import CaseActionForm, DecisionForm, inspector_choices
from ..workflow import CaseStatus
from . import access, bp, operations
from .actions import ActionInput, available, perform, runnable
from .models import Case, Condition, DecisionOutcome, InspectionOutcome

STAFF = (Role.COMMISSIONER, Role.INSPECTOR)
EVERYONE_ON_A_CASE = (Role.PROVIDER, Role.COMMISSIONER, Role.INSPECTOR)
STATUSES = {status.value: status for status in CaseStatus}  # a timeline's "to", as a status


def _actor() -> User:
    return current_user._get_current_object()


def _case(case_id: int) -> Case:
    return access.case_for(_actor(), case_id)


@bp.route("/")
@allow(*STAFF)
def case_list():
    status = request.args.get("status") or None
    query = sa.select(Case).order_by(Case.status_changed_at.desc())
    query = query.where(access.visible_cases(_actor()))
    if status:
        try:
            query = query.where(Case.status == CaseStatus(status))
        except ValueError:
            raise ValidationFailed(f"'{status}' is not a case status.") from None
    cases = db.session.scalars(query.limit(200)).all()
    return render_template("cases/list.html", cases=cases, statuses=list(CaseStatus),
                           current_status=status)


def timeline(case: Case) -> list[AuditEvent]:
    """What happened to the case, oldest first: its own events and those of its parts."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(sa.or_(
            sa.and_(AuditEvent.subject_type == "accreditation_case",
                    AuditEvent.subject_id == str(case.id)),
            AuditEvent.details["case_id"].as_string() == str(case.id),
        )).where(AuditEvent.action != "access.denied").order_by(AuditEvent.seq)))


@bp.route("/<int:case_id>")
@allow(*EVERYONE_ON_A_CASE)
def case_detail(case_id: int):
    case = _case(case_id)
    form = CaseActionForm(version=case.version)
    form.inspector_id.choices = inspector_choices()
    return _detail_page(case, form)


def _detail_page(case: Case, form: CaseActionForm, status: int = 200):
    return render_template(
        "cases/detail.html", case=case, actions=available(_actor(), case), form=form,
        events=event_lines(timeline(case)), statuses=STATUSES,
        default_due_on=clock.today() + timedelta(days=14)), status


@bp.route("/<int:case_id>/actions/<action>", methods=["POST"])
@allow(*EVERYONE_ON_A_CASE)
def case_action(case_id: int, action: str):
    case = _case(case_id)
    runnable(action)
    form = CaseActionForm()
    form.inspector_id.choices = inspector_choices()
    if not form.validate():
        return _redisplay(case, form)
    inspector_id = form.inspector_id.data or ""
    data = ActionInput(
        message=form.message.data, due_on=form.due_on.data, reasons=form.reasons.data,
        response=form.response.data,
        inspector=db.session.get(User, number) if (number := whole_number(inspector_id)) else None)
    try:
        taken = perform(_actor(), case, action, data, form.expected_version())
    except ValidationFailed as error:
        db.session.rollback()
        show_error(form, error)
        return _redisplay(case, form)
    flash(taken.done, "success")
    return redirect(url_for("cases.case_detail", case_id=case.id))


def _redisplay(case: Case, form: CaseActionForm):
    return _detail_page(db.session.get(Case, case.id), form, 400)


@bp.route("/<int:case_id>/decision", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def decision(case_id: int):
    case = _case(case_id)
    form = DecisionForm(version=case.version)
    candidates = operations.condition_candidates(case)
    form.conditions.choices = [SelectChoice(key, candidate.label)
                               for key, candidate in candidates.items()]
    if form.validate_on_submit():
        days = form.conditions_due_in_days.data or 28
        conditions = [
            operations.NewCondition(item_id=candidates[key].item_id,
                                 item_title=candidates[key].item_title,
                                 description=f"Put right: {candidates[key].explanation}",
                                 due_on=clock.today() + timedelta(days=days),
                                 property_id=candidates[key].property_id)
            for key in form.conditions.data]
        try:
            operations.decide_case(
                _actor(), case, outcome=DecisionOutcome(form.outcome.data),
                reasons=form.reasons.data, expires_on=form.expires_on.data,
                conditions=conditions, expected_version=whole_number(form.version.data) or None)
        except ValidationFailed as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("Decision recorded. The provider has been told.", "success")
            return redirect(url_for("cases.case_detail", case_id=case.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("cases/decision.html", case=case, form=form,
                           own_inspection=current_user.id in operations.inspected_by(case),
                           outcomes=InspectionOutcome), status


@bp.route("/conditions/<int:condition_id>/confirm", methods=["POST"])
@allow(*STAFF)
def confirm_condition(condition_id: int):
    condition = db.session.get(Condition, condition_id)
    if condition is None:
        raise NotFound("We could not find that condition.")
    case = _case(condition.case_id)
    operations.confirm_condition(_actor(), condition)
    flash(f"Condition '{condition.item_title}' confirmed as met.", "success")
    return redirect(url_for("cases.case_detail", case_id=case.id))


@bp.route("/<int:case_id>/letter")
@allow(*EVERYONE_ON_A_CASE)
def decision_letter(case_id: int):
    case = _case(case_id)
    if not case.decisions:
        raise NotFound("There is no decision on this application yet.")
    return render_template("cases/letter.html", case=case, decision=case.decisions[-1])
