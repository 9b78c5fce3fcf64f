"""The stage pages: due diligence, file sampling, property inspection, and the inspector's
list of work."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from .. import clock
from ..auth.models import Role
from ..auth.permissions import allow
from ..cases import operations as case_operations
from ..cases.models import Case, CaseProperty
from ..companies import CompanyNotFound, RegistryUnavailable
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..forms import show_error
from ..standards.operations import current_checklist
from ..workflow import CaseStatus
from . import bp, due_diligence, file_sampling, property_inspection
from .forms import CaseActionForm, checklist_form, inspector_choices
from .models import SampledFile

WORK_STATUSES = (CaseStatus.FILE_SAMPLING, CaseStatus.PROPERTY_INSPECTION,
                 CaseStatus.REASSESSMENT_DUE)


def _actor():
    return current_user._get_current_object()


@bp.route("/inspections/")
@allow(Role.INSPECTOR)
def inspector_home():
    cases = db.session.scalars(
        sa.select(Case).where(Case.inspector_id == current_user.id,
                              Case.status.in_(WORK_STATUSES))
        .order_by(Case.status_changed_at)).all()
    return render_template("stages/inspector_home.html", inspections=cases)


# --- due diligence -----------------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/due-diligence", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def due_diligence_page(case_id: int):
    case = case_operations.get_case_for(_actor(), case_id)
    checklist = current_checklist("due_diligence").checklist
    company = due_diligence.latest_company_check(case)
    latest = case_operations.latest_assessment(case, "due_diligence")
    prefill = latest.answers if latest else (company.suggested_answers() if company else None)
    form = checklist_form(checklist, answers=prefill)
    if form.validate_on_submit():
        try:
            assessment = due_diligence.record_due_diligence(_actor(), case, form.answers())
        except ValidationFailed as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("Due diligence answers saved: " + ("the checklist passes."
                  if assessment.passed else "the checklist does not pass."), "success")
            return redirect(url_for("stages.due_diligence_page", case_id=case.id))
    action_form = CaseActionForm(version=case.version)
    action_form.inspector_id.choices = inspector_choices()
    status = 400 if form.errors or form.form_errors else 200
    return render_template("stages/due_diligence.html", case=case, form=form,
                           checklist=checklist, company=company, assessment=latest,
                           action_form=action_form), status


@bp.route("/cases/<int:case_id>/due-diligence/company-check", methods=["POST"])
@allow(Role.COMMISSIONER)
def company_check(case_id: int):
    case = case_operations.get_case_for(_actor(), case_id)
    try:
        due_diligence.check_company(_actor(), case)
    except (ValidationFailed, CompanyNotFound, RegistryUnavailable) as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash("Companies House checked.", "success")
    return redirect(url_for("stages.due_diligence_page", case_id=case.id))


@bp.route("/cases/<int:case_id>/due-diligence/pass", methods=["POST"])
@allow(Role.COMMISSIONER)
def pass_due_diligence(case_id: int):
    case = case_operations.get_case_for(_actor(), case_id)
    form = CaseActionForm()
    form.inspector_id.choices = inspector_choices()
    form.validate()
    value = form.inspector_id.data or ""
    inspector = db.session.get(type(_actor()), int(value)) if value.isdigit() else None
    try:
        case_operations.pass_due_diligence(_actor(), case, inspector=inspector,
                                           expected_version=form.expected_version())
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("stages.due_diligence_page", case_id=case.id))
    flash("Due diligence passed: file sampling can start.", "success")
    return redirect(url_for("cases.case_detail", case_id=case.id))


# --- file sampling -----------------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/file-sampling")
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def file_sampling_page(case_id: int):
    case = case_operations.get_case_for(_actor(), case_id)
    samples = file_sampling.samples_for(case)
    proofs = {sample.id: file_sampling.redraw(sample) == [f.reference for f in sample.files]
              for sample in samples}
    return render_template("stages/file_sampling.html", case=case, samples=samples,
                           proofs=proofs, form=CaseActionForm(version=case.version))


@bp.route("/cases/<int:case_id>/file-sampling/draw", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def draw_samples(case_id: int):
    case = case_operations.get_case_for(_actor(), case_id)
    try:
        file_sampling.draw_file_samples(_actor(), case)
    except ValidationFailed as error:
        flash(error.message, "error")
    else:
        flash("Sample drawn. Ask the provider for these files on your visit.", "success")
    return redirect(url_for("stages.file_sampling_page", case_id=case.id))


@bp.route("/cases/<int:case_id>/files/<int:sampled_id>", methods=["GET", "POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def file_assessment(case_id: int, sampled_id: int):
    case = case_operations.get_case_for(_actor(), case_id)
    sampled = db.session.get(SampledFile, sampled_id)
    if sampled is None or sampled.sample.case_id != case.id:
        raise NotFound("That file is not in this application's sample.")
    checklist = current_checklist("file_sampling").checklist
    file_type = sampled.sample.file_type.value
    form = checklist_form(checklist, file_type=file_type,
                          answers=sampled.assessment.answers if sampled.assessment else None)
    if form.validate_on_submit():
        try:
            file_sampling.record_file_assessment(_actor(), sampled, form.answers(), clock.today())
        except ValidationFailed as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"File {sampled.reference} saved.", "success")
            return redirect(url_for("stages.file_sampling_page", case_id=case.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("stages/checklist_page.html", case=case, form=form,
                           checklist=checklist, subject=f"File {sampled.reference}",
                           caption=f"{sampled.sample.file_type.label} · {sampled.role}",
                           back=url_for("stages.file_sampling_page", case_id=case.id)), status


# --- property inspection -----------------------------------------------------------------------

def _link(case: Case, link_id: int) -> CaseProperty:
    link = db.session.get(CaseProperty, link_id)
    if link is None or link.case_id != case.id:
        raise NotFound("That property is not in this application.")
    return link


@bp.route("/cases/<int:case_id>/properties/<int:link_id>/inspection", methods=["GET", "POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def property_inspection_page(case_id: int, link_id: int):
    case = case_operations.get_case_for(_actor(), case_id)
    link = _link(case, link_id)
    checklist = current_checklist("property_inspection").checklist
    form = checklist_form(checklist, category=link.home.category.value,
                          answers=link.assessment.answers if link.assessment else None)
    if form.validate_on_submit():
        try:
            assessment = property_inspection.record_property_inspection(
                _actor(), link, form.answers(), clock.today())
        except ValidationFailed as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"{link.home.name}: " + ("passes." if assessment.passed
                                           else "does not pass."), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("stages/checklist_page.html", case=case, form=form,
                           checklist=checklist, subject=link.home.name,
                           caption=f"{link.home.category.label} · {link.home.town}",
                           back=url_for("cases.case_detail", case_id=case.id),
                           photo_property_id=link.property_id), status


@bp.route("/cases/<int:case_id>/properties/<int:link_id>/report")
@allow(Role.INSPECTOR, Role.COMMISSIONER, Role.PROVIDER)
def inspection_report(case_id: int, link_id: int):
    case = case_operations.get_case_for(_actor(), case_id)
    link = _link(case, link_id)
    if link.assessment is None:
        raise NotFound("This property has not been inspected yet.")
    return render_template("stages/inspection_report.html", case=case, link=link,
                           result=link.assessment.score, assessment=link.assessment)
