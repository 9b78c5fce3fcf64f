"""Case pages for everyone who works on a case; every change goes through an operation."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.form import _Auto  # "read the request", Flask-WTF's default form data
from werkzeug.datastructures import MultiDict
from wtforms import FieldList
from wtforms.fields.choices import SelectChoice

from .. import clock
from ..audit import AuditEvent, event_lines
from ..auth.models import Role, User
from ..auth.permissions import allow
from ..downloads import attachment
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..forms import show_error, whole_number
from ..pdf import pdf_response
from ..stages import declarations, last_visit, visits
from ..stages.forms import MAX_CONDITIONS, CaseActionForm, DecisionForm, inspector_choices
from ..workflow import CaseStatus
from . import access, bp, bundle, letters, operations
from .actions import ActionInput, available, perform, runnable
from .forms import (
    ProposalDecisionForm,
    ProposalForm,
    RepresentationsForm,
    ReviewDecisionForm,
    ReviewRequestForm,
)
from .models import (
    Case,
    Condition,
    DecisionOutcome,
    InspectionOutcome,
    Proposal,
    ProposalKind,
    ReviewOutcome,
    open_proposal,
)

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
    return bundle.case_events(case)


@bp.route("/<int:case_id>")
@allow(*EVERYONE_ON_A_CASE)
def case_detail(case_id: int):
    case = _case(case_id)
    form = CaseActionForm(version=case.version)
    form.inspector_id.choices = inspector_choices()
    return _detail_page(case, form)


def _detail_page(case: Case, form: CaseActionForm, status: int = 200):
    staff = _actor().role in STAFF
    return render_template(
        "cases/detail.html", case=case, actions=available(_actor(), case), form=form,
        events=event_lines(timeline(case)), statuses=STATUSES,
        default_due_on=clock.today() + timedelta(days=14),
        visit_plannable=staff and case.status in visits.PLANNABLE,
        declared=declarations.grouped(case.organisation) if staff else None,
        repeats={link.id: [item for item in link.assessment.result["items"]
                           if item["id"] in found]
                 for link in case.properties if (found := last_visit.repeats_in(link))}), status


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
    """The decision, with its conditions written on the page: each failed item of a property
    that passed is offered as a condition in plain words, to edit or remove; more can be
    added. Adding and removing redisplay the page with what was typed; nothing is decided
    until "Record decision"."""
    case = _case(case_id)
    candidates = operations.condition_candidates(case)
    form, editing = _decision_form(case, candidates)
    status = 200
    if not editing and form.is_submitted():
        outcome = DecisionOutcome(form.outcome.data) if form.outcome.data in {
            outcome.value for outcome in DecisionOutcome} else None
        conditions = [
            operations.NewCondition(
                item_id=candidate.item_id if candidate else None,
                item_title=entry.form.title.data or "", description=entry.form.text.data or "",
                due_on=entry.form.due_on.data,
                property_id=candidate.property_id if candidate else None)
            for entry in form.conditions
            for candidate in [candidates.get(entry.form.key.data or "")]
        ] if outcome is DecisionOutcome.ACCREDITED_WITH_CONDITIONS else []
        if form.validate():
            try:
                operations.decide_case(
                    _actor(), case, outcome=outcome, reasons=form.reasons.data,
                    expires_on=form.expires_on.data, conditions=conditions,
                    expected_version=whole_number(form.version.data) or None)
            except ValidationFailed as error:
                db.session.rollback()
                _show_decision_problems(form, error)
            else:
                flash("Decision recorded. The provider has been told.", "success")
                return redirect(url_for("cases.case_detail", case_id=case.id))
        else:  # say everything to put right at once, not only what the form could read
            _show_decision_problems(form, ValidationFailed("", field=None), operations
                                    .condition_problems(conditions,
                                                        expires_on=form.expires_on.data))
        status = 400
    return render_template("cases/decision.html", case=case, form=form,
                           own_inspection=current_user.id in operations.inspected_by(case),
                           outcomes=InspectionOutcome), status


def _decision_form(case: Case, candidates: dict) -> tuple[DecisionForm, bool]:
    """The decision form and whether the person is still writing its conditions (they added
    or removed one): first with a condition for each failed item, due in four weeks."""
    due_on = clock.today() + timedelta(days=operations.CONDITION_DAYS)
    if request.method != "POST":
        return DecisionForm(version=case.version, conditions=[
            {"key": candidate.key, "title": candidate.title, "text": candidate.wording,
             "due_on": due_on} for candidate in candidates.values()]), False
    form = DecisionForm()
    removed = whole_number(request.form.get("remove", ""))
    if removed is not None:  # the form as sent (as the page reads it), without that one
        form = DecisionForm(formdata=_without_condition(
            form.meta.wrap_formdata(form, _Auto) or MultiDict(), removed))
    if "add_condition" in request.form and len(form.conditions) < MAX_CONDITIONS:
        form.conditions.append_entry({"due_on": due_on})
    return form, removed is not None or "add_condition" in request.form


CONDITION_FIELD = re.compile(r"^conditions-([0-9]+)-(.+)$")


def _without_condition(formdata: MultiDict, index: int) -> MultiDict:
    """The form as sent, without condition ``index`` and with those after it moved up."""
    kept = MultiDict()
    for key, value in formdata.items(multi=True):
        match = CONDITION_FIELD.match(key)
        if match:
            number = int(match.group(1))
            if number == index:
                continue
            if number > index:
                key = f"conditions-{number - 1}-{match.group(2)}"
        kept.add(key, value)
    return kept


def _show_decision_problems(form: DecisionForm, error: ValidationFailed,
                            problems: dict[str, str] | None = None) -> None:
    """Each problem on the field it is about, a condition's on that condition's field."""
    problems = problems if problems is not None else (
        getattr(error, "problems", None) or ({error.field: error.message} if error.message
                                             else {}))
    for name, message in problems.items():
        match = CONDITION_FIELD.match(name or "")
        field = None
        if match and int(match.group(1)) < len(form.conditions):
            field = form.conditions[int(match.group(1))].form[match.group(2)]
        elif name and name in form:
            field = form[name]
        if field is None:
            form.form_errors.append(message)
        elif isinstance(field, FieldList) or not field.errors:  # the form's own message first
            field.errors = [*field.errors, message]
    # The list of conditions reports its conditions' errors as they are now.
    own = [error for error in form.conditions.errors if isinstance(error, str)]
    nested = [entry.errors for entry in form.conditions.entries]
    form.conditions.errors = own + (nested if any(nested) else [])


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


@bp.route("/<int:case_id>/bundle.zip")
@allow(Role.COMMISSIONER, Role.PROVIDER)
def decision_bundle(case_id: int):
    case = _case(case_id)
    data = operations.take_bundle(_actor(), case)
    return attachment(data, bundle.filename(case), "application/zip")


@bp.route("/<int:case_id>/letter.pdf")
@allow(*EVERYONE_ON_A_CASE)
def decision_letter_pdf(case_id: int):
    case = _case(case_id)
    if not case.decisions:
        raise NotFound("There is no decision on this application yet.")
    return pdf_response(letters.letter_pdf(case), letters.letter_filename(case))


# --- the notice of an adverse decision: proposal, representations, decision, review ----------

def _with_problems(form, call) -> tuple[object, int]:
    """Run ``call``; a validation problem is shown on its field (nothing is saved)."""
    try:
        return call(), 200
    except ValidationFailed as error:
        db.session.rollback()
        show_error(form, error)
        return None, 400


def _proposal_kind() -> ProposalKind:
    try:
        return ProposalKind(request.args.get("kind", ""))
    except ValueError:
        raise NotFound("There is no such proposal.") from None


@bp.route("/<int:case_id>/propose", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def propose(case_id: int):
    """A commissioner proposes to refuse, suspend or revoke (``?kind=``): the notice, with
    the failed checklist items to choose from and the reasons."""
    case = _case(case_id)
    kind = _proposal_kind()
    items = operations.proposal_items(case)
    form = ProposalForm(version=case.version)
    form.items.choices = [SelectChoice(item.key, item.title) for item in items.values()]
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            done, status = _with_problems(form, lambda: operations.propose(
                _actor(), case, kind=kind, reasons=form.reasons.data,
                item_keys=form.items.data or [], expected_version=form.expected_version()))
            if done is not None:
                flash("Notice sent. The provider has been told, with the deadline for "
                      "representations.", "success")
                return redirect(url_for("cases.case_detail", case_id=case.id))
    return render_template("cases/propose.html", case=case, kind=kind, form=form,
                           days=current_app.config["REPRESENTATIONS_DAYS"]), status


def _notice_of(case: Case) -> Proposal:
    if not case.proposals:
        raise NotFound("There is no notice on this application.")
    return case.proposals[-1]


@bp.route("/<int:case_id>/notice")
@allow(*EVERYONE_ON_A_CASE)
def notice(case_id: int):
    """The latest notice on the case as a letter: the proposal, its reasons and deadline, the
    representations, the decision and any review."""
    case = _case(case_id)
    return render_template("cases/letters/notice.html", case=case, proposal=_notice_of(case))


@bp.route("/<int:case_id>/notice.pdf")
@allow(*EVERYONE_ON_A_CASE)
def notice_pdf(case_id: int):
    case = _case(case_id)
    return pdf_response(letters.notice_pdf(case, _notice_of(case)),
                        letters.notice_filename(case))


@bp.route("/<int:case_id>/representations", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def representations(case_id: int):
    case = _case(case_id)
    proposal = open_proposal(case)
    if proposal is None:
        raise NotFound("There is no notice on this application to answer.")
    form = RepresentationsForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            done, status = _with_problems(form, lambda: operations.make_representations(
                _actor(), case, text=form.text.data, files=[form.file.data]))
            if done is not None:
                flash("Representations sent. A commissioner will consider them.", "success")
                return redirect(url_for("cases.case_detail", case_id=case.id))
    return render_template("cases/representations.html", case=case, proposal=proposal,
                           form=form), status


@bp.route("/<int:case_id>/notice/decision", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def proposal_decision(case_id: int):
    case = _case(case_id)
    proposal = open_proposal(case)
    if proposal is None:
        raise NotFound("There is no notice on this application to decide.")
    form = ProposalDecisionForm(version=case.version)
    if proposal.immediate:
        form.decision.choices = [SelectChoice("confirm", "Keep the suspension"),
                                 SelectChoice("withdraw", "Lift the suspension")]
    elif proposal.kind is not ProposalKind.REVOCATION:
        form.decision.choices = [choice for choice in form.decision.choices
                                 if choice.value != "suspend_instead"]
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            done, status = _with_problems(form, lambda: operations.decide_proposal(
                _actor(), case, decision=operations.ProposalDecision(form.decision.data),
                consideration=form.consideration.data,
                expected_version=form.expected_version()))
            if done is not None:
                flash("Decision recorded. The provider has been told.", "success")
                return redirect(url_for("cases.case_detail", case_id=case.id))
    return render_template("cases/proposal_decision.html", case=case, proposal=proposal,
                           form=form, own=_actor().id in {proposal.proposed_by_id,
                                                          *operations.inspected_by(case)}), status


@bp.route("/<int:case_id>/review", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def review_request(case_id: int):
    case = _case(case_id)
    proposal = operations.reviewable_proposal(case)
    if proposal is None:
        raise NotFound("There is no decision on this application you can ask to be "
                       "reviewed.")
    form = ReviewRequestForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            done, status = _with_problems(form, lambda: operations.ask_for_review(
                _actor(), case, grounds=form.grounds.data, files=[form.file.data]))
            if done is not None:
                flash("Review asked for. A commissioner who has not been involved will "
                      "review the decision.", "success")
                return redirect(url_for("cases.case_detail", case_id=case.id))
    return render_template("cases/review_request.html", case=case, proposal=proposal,
                           form=form), status


@bp.route("/<int:case_id>/review/decision", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def review_decision(case_id: int):
    case = _case(case_id)
    review = operations.open_review(case)
    if review is None:
        raise NotFound("There is no review to decide on this application.")
    form = ReviewDecisionForm(version=case.version)
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            done, status = _with_problems(form, lambda: operations.decide_review(
                _actor(), case, outcome=ReviewOutcome(form.outcome.data),
                reasons=form.reasons.data, expected_version=form.expected_version()))
            if done is not None:
                flash("Review recorded. The provider has been told.", "success")
                return redirect(url_for("cases.case_detail", case_id=case.id))
    return render_template("cases/review_decision.html", case=case, review=review,
                           proposal=review.proposal, form=form,
                           involved=_actor().id in operations.involved_in(case)), status
