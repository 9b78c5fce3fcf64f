"""The stage pages: due diligence, file sampling, property inspection, and the inspector's
list of work."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wsgi import wrap_file

from .. import audit, clock
from ..auth import calendar_links
from ..auth.models import Role
from ..auth.permissions import allow, public
from ..cases import access as case_access
from ..cases import operations as case_operations
from ..cases.models import Case, CaseProperty
from ..checklists import score, step_in_force
from ..companies import uses_offline_register
from ..errors import Conflict, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from ..evidence import requirements
from ..evidence.operations import can_view_evidence, is_downloadable, open_preview
from ..evidence.views import STREAM_BUFFER, flash_uploaded
from ..extensions import db
from ..forms import first_error, show_error, whole_number
from ..pdf import pdf_response, render_pdf
from ..providers.forms import show_problems
from ..standards.operations import current_checklist
from ..workflow import CaseStatus
from . import (
    bp,
    calendar,
    declarations,
    due_diligence,
    file_sampling,
    inspection_drafts,
    last_visit,
    property_inspection,
    visits,
)
from .forms import (
    AcknowledgementForm,
    CaseActionForm,
    ItemPhotoForm,
    VisitForm,
    answer_choices,
    answer_label,
    checklist_form,
    inspector_choices,
    parse_answer,
)
from .models import (
    CompanyCheck,
    CompanyCheckOutcome,
    SampledFile,
    company_checks_for,
    unconfirmed_company_reason,
)
from .reports import clock_time, long_time, report_context

WORK_STATUSES = (CaseStatus.FILE_SAMPLING, CaseStatus.PROPERTY_INSPECTION,
                 CaseStatus.REASSESSMENT_DUE)


def _actor():
    return current_user._get_current_object()


@bp.after_request
def _say_who_is_signed_in(response):
    """Tell the inspector's service worker whose pages these are (a user id, not a secret;
    empty: no one), so a shared tablet shows saved pages only to the person who saved them."""
    if request.path.startswith("/inspections/"):
        signed_in = current_user.is_authenticated
        response.headers["X-Inspector-User"] = str(current_user.id) if signed_in else ""
        # Which of their sessions (when it began): a sign-out queued on a tablet without
        # signal ends that session only, not one begun since.
        response.headers["X-Inspector-Session"] = (
            str(session.get("signed_in_at", "")) if signed_in else "")
    return response


@bp.route("/inspections/")
@allow(Role.INSPECTOR)
def inspector_home():
    actor = _actor()
    cases = db.session.scalars(
        sa.select(Case).where(case_access.assigned_to(actor),
                              Case.status.in_(WORK_STATUSES))
        .order_by(Case.status_changed_at)).all()
    rows = [_inspection_row(link) for link in inspection_drafts.inspections_for(actor)]
    for row in rows:
        row["maps_url"] = _maps_url(row["address"])
        row["plannable"] = row["link"].case.status in visits.PLANNABLE
    file_visits: dict[int, dict] = {}  # one file sampling visit per application, its files
    for sampled in inspection_drafts.file_assessments_for(actor):
        case = inspection_drafts.case_of(sampled)
        file_visits.setdefault(case.id, {"case": case, "files": []})["files"].append(
            _inspection_row(sampled))
    return render_template("stages/inspector_home.html", inspections=rows, cases=cases,
                           plan=visits.day_plan(rows, link_of=lambda row: row["link"]),
                           today=clock.today(), file_visits=list(file_visits.values()))


# Where "Open in maps" goes: OpenStreetMap's search, which opens in any browser or maps app
# that handles its links (a ``geo:`` address needs coordinates and an app that takes it).
MAPS_SEARCH = "https://www.openstreetmap.org/search"


def _maps_url(address: str) -> str:
    return f"{MAPS_SEARCH}?{urlencode({'query': address})}"


# --- due diligence -----------------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/due-diligence", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def due_diligence_page(case_id: int):
    case = case_access.case_for(_actor(), case_id)
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
                           action_form=action_form, **_company_checks(case),
                           declared=declarations.by_item(case.organisation, checklist),
                           evidence=requirements.by_item(case.organisation, case),
                           downloadable=is_downloadable), status


def _company_checks(case: Case) -> dict:
    """What the pages about due diligence show of the company checks."""
    return {"checks": company_checks_for(case),
            "unconfirmed": unconfirmed_company_reason(case),
            "offline": uses_offline_register(current_app.config)}


@bp.route("/cases/<int:case_id>/due-diligence/company-check", methods=["POST"])
@allow(Role.COMMISSIONER)
def company_check(case_id: int):
    case = case_access.case_for(_actor(), case_id)
    try:
        check = due_diligence.check_company(_actor(), case)
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_check_outcome_message(check), "success" if check.found else "info")
    return redirect(url_for("stages.due_diligence_page", case_id=case.id))


def _check_outcome_message(check: CompanyCheck) -> str:
    where = "Companies House" if check.live else "the offline copy of the Companies House register"
    if check.outcome is CompanyCheckOutcome.FOUND:
        return f"Companies House checked ({where}): {check.summary}."
    if check.outcome is CompanyCheckOutcome.NOT_FOUND:
        return (f"There is no company with number {check.company_number} on {where}. Check the "
                "number with the provider: it is on their certificate of incorporation. You "
                "can correct it on the provider's page, or return the application to the "
                "provider to correct it.")
    return f"{check.message} The attempt is recorded below."


@bp.route("/cases/<int:case_id>/due-diligence/pass", methods=["POST"])
@allow(Role.COMMISSIONER)
def pass_due_diligence(case_id: int):
    case = case_access.case_for(_actor(), case_id)
    form = CaseActionForm()
    form.inspector_id.choices = inspector_choices()
    form.validate()
    value = form.inspector_id.data or ""
    inspector = db.session.get(type(_actor()), number) if (number := whole_number(value)) else None
    try:
        case_operations.pass_due_diligence(
            _actor(), case, inspector=inspector, expected_version=form.expected_version(),
            without_company_check=request.form.get("without_company_check") == "confirmed")
    except case_operations.CompanyNotConfirmed as error:
        db.session.rollback()
        return render_template("stages/pass_without_company_check.html", case=case,
                               reason=error.message, inspector=inspector,
                               version=form.version.data, **_company_checks(case))
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
    case = case_access.case_for(_actor(), case_id)
    samples = file_sampling.samples_for(case)
    proofs = {sample.id: file_sampling.redraw(sample) == [f.reference for f in sample.files]
              for sample in samples}
    return render_template("stages/file_sampling.html", case=case, samples=samples,
                           proofs=proofs, form=CaseActionForm(version=case.version))


@bp.route("/cases/<int:case_id>/file-sampling/draw", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def draw_samples(case_id: int):
    case = case_access.case_for(_actor(), case_id)
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
    case = case_access.case_for(_actor(), case_id)
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
    case = case_access.case_for(_actor(), case_id)
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
                           photo_action=url_for("stages.add_inspection_photo", case_id=case.id,
                                                link_id=link.id),
                           new_client_id=lambda: str(uuid.uuid4()),
                           **_certificates(case, link)), status


@bp.route("/cases/<int:case_id>/properties/<int:link_id>/visit", methods=["GET", "POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def plan_visit(case_id: int, link_id: int):
    """The date and start time of a property's visit (and how long it may take)."""
    case = case_access.case_for(_actor(), case_id)
    link = _link(case, link_id)
    # Inspectors come from "Your inspections", commissioners from the application's page.
    back = (url_for("stages.inspector_home") if _actor().role is Role.INSPECTOR
            else url_for("cases.case_detail", case_id=case.id))
    form = VisitForm(data={"visit_on": link.visit_on, "starts": link.visit_starts,
                           "minutes": link.visit_minutes})
    if form.validate_on_submit():
        try:
            changed = visits.plan_visit(_actor(), link, visit_on=form.visit_on.data,
                                        starts=form.starts.data, minutes=form.minutes.data)
        except ValidationFailed as error:
            db.session.rollback()
            show_problems(form, error)
        else:
            flash(f"{link.home.name}: visit planned for {visits.visit_text(link)}."
                  if changed else f"{link.home.name}: the visit is as it was.", "success")
            return redirect(back)
    elif request.method == "POST":
        # What could be read is still checked, so every problem is shown at once.
        found = visits.visit_problems(form.visit_on.data, form.starts.data, form.minutes.data)
        for name, message in found.items():
            if not form[name].errors:
                form[name].errors = [message]
    status = 400 if form.errors or form.form_errors else 200
    return render_template("stages/plan_visit.html", case=case, link=link, form=form,
                           back=back, plannable=case.status in visits.PLANNABLE), status


@bp.app_template_filter("visit")
def _visit_filter(link: CaseProperty) -> str:
    return visits.visit_text(link)


@bp.app_template_filter("visit_time")
def _visit_time_filter(value) -> str:
    return visits.time_text(value)


@bp.app_template_filter("visit_length")
def _visit_length_filter(minutes: int) -> str:
    return visits.length_text(minutes)


def _certificates(case: Case, link) -> dict:
    """A property's certificates and lease as uploaded for the application, for its
    inspection pages (none for a sampled file)."""
    pieces = ([] if isinstance(link, SampledFile)
              else requirements.for_property(case.organisation, case, link.home))
    return {"certificates": pieces, "downloadable": is_downloadable}


@bp.route("/cases/<int:case_id>/properties/<int:link_id>/inspection/photos", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def add_inspection_photo(case_id: int, link_id: int):
    """The checklist page's photo of an item: the tablet's and the API's door
    (``inspection_drafts.add_item_photo``: an item of this checklist, an open inspection,
    one upload at a time, a repeat of the same form stored once)."""
    actor = _actor()
    link = _link(case_access.case_for(actor, case_id), link_id)
    back = url_for("stages.property_inspection_page", case_id=case_id, link_id=link.id)
    form = ItemPhotoForm()
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(back, 303)
    try:
        record, _ = inspection_drafts.add_item_photo(actor, link, form.item_id.data,
                                                     form.client_id.data
                                                     or str(uuid.uuid4()), form.file.data)
    except (ValidationFailed, InvalidTransition, Conflict) as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash_uploaded(record)
    return redirect(back, 303)


def _report(case_id: int, link_id: int) -> dict:
    """What a property's inspection report shows (the page and its PDF alike)."""
    case = case_access.case_for(_actor(), case_id)
    link = _link(case, link_id)
    if link.assessment is None:
        raise NotFound("This property has not been inspected yet.")
    return report_context(case, link)


@bp.route("/cases/<int:case_id>/properties/<int:link_id>/report")
@allow(Role.INSPECTOR, Role.COMMISSIONER, Role.PROVIDER)
def inspection_report(case_id: int, link_id: int):
    return render_template("stages/inspection_report.html", **_report(case_id, link_id))


@bp.route("/cases/<int:case_id>/properties/<int:link_id>/report.pdf")
@allow(Role.INSPECTOR, Role.COMMISSIONER, Role.PROVIDER)
def inspection_report_pdf(case_id: int, link_id: int):
    report = _report(case_id, link_id)
    return pdf_response(render_pdf("stages/inspection_report.html", **report),
                        f"{report['case'].reference}-inspection-report-{link_id}.pdf")


@bp.route("/cases/<int:case_id>/properties/<int:link_id>/report/signature")
@allow(Role.INSPECTOR, Role.COMMISSIONER, Role.PROVIDER)
def acknowledgement_signature(case_id: int, link_id: int):
    """The provider's representative's drawn signature, for whoever may read the report."""
    link = _link(case_access.case_for(_actor(), case_id), link_id)
    acknowledgement = inspection_drafts.acknowledgement_for(link)
    if acknowledgement is None or acknowledgement.signature_png is None:
        raise NotFound("There is no signature for this inspection.")
    response = current_app.response_class(acknowledgement.signature_png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- property inspections on a tablet ------------------------------------------------------------
# The pages work as plain forms (one per checklist item) without JavaScript; with it, answers are
# kept on the tablet and sent through the JSON API by the outbox in static/js/inspector/.

def _address(link: CaseProperty) -> str:
    home = link.home
    return ", ".join(part for part in (home.address_line_1, home.address_line_2, home.town,
                                       home.postcode) if part)


def _answered(drafts: dict, item_id: str) -> bool:
    draft = drafts.get(item_id)
    return draft is not None and draft.value not in (None, "")


def _sections(checklist, items, drafts, link=None) -> list[dict]:
    marks = _section_marks(checklist, items, drafts, link)
    sections = []
    for section in checklist.sections:
        mine = [item for item in items if item.section == section.id]
        if mine:
            sections.append({"id": section.id, "title": section.title,
                             "description": section.description, "items": mine,
                             "total": len(mine),
                             "answered": sum(_answered(drafts, item.id) for item in mine),
                             "mark": marks.get(section.id)})
    return sections


def _section_marks(checklist, items, drafts, link) -> dict[str, str | None]:
    """section id -> its mark as the server scores the answers so far (the step in force
    today), for each section whose scored items are all answered."""
    step = step_in_force(checklist.schedule, clock.today())
    if link is None or step is None:
        return {}
    answers = {item_id: draft.value for item_id, draft in drafts.items()
               if draft.value not in (None, "")}
    context = ({"file_type": link.sample.file_type.value} if isinstance(link, SampledFile)
               else {"category": link.home.category.value})
    result = score(checklist, answers, step, **context)
    complete = {section.id for section in checklist.sections
                if all(item.id in answers for item in items
                       if item.section == section.id and item.scored)}
    return {section.id: section.percent for section in result.sections
            if section.id in complete and section.possible}


def _inspection_row(link) -> dict:
    _, items = inspection_drafts.checklist_for(link)
    drafts = inspection_drafts.drafts_for(link)
    address = None if isinstance(link, SampledFile) else _address(link)
    submitted = inspection_drafts.is_submitted(link)
    if submitted and link.assessment is not None:
        # Scored (on the tablet or on the checklist page): the answers it was scored on.
        answered = [item.id for item in items
                    if link.assessment.answers.get(item.id) not in (None, "")]
    else:
        answered = [item.id for item in items if _answered(drafts, item.id)]
    return {**_subject_context(link), "link": link, "address": address, "total": len(items),
            "answered": len(answered), "answered_ids": answered, "submitted": submitted,
            "open": inspection_drafts.is_inspectable(link),
            "conflicts": len(inspection_drafts.open_conflicts(link))}


def _subject_context(link) -> dict:
    """What the tablet pages show of a property's inspection or a sampled file's assessment,
    and the ids their routes take."""
    if isinstance(link, SampledFile):
        sample = link.sample
        return {"is_file": True, "ids": {"sampled_id": link.id}, "key": f"files/{link.id}",
                "name": f"File {link.reference}",
                "detail": f"{sample.file_type.label} · {link.role} · started "
                          f"{link.started_on.strftime('%-d %B %Y')}",
                "closed_text": "This file assessment opens at the file sampling stage."}
    return {"is_file": False, "ids": {"link_id": link.id}, "key": str(link.id),
            "name": link.home.name, "detail": f"{_address(link)} · {link.home.category.label}",
            "closed_text": "This inspection opens when the application reaches the property "
                           "inspection stage."}




def photo_alt(item, number: int, taken_at) -> str:
    """A photo's text alternative: "Photo 2 of fire door, taken 10:14am"."""
    title = item.title
    if len(title) > 1 and title[1].islower():
        title = title[0].lower() + title[1:]
    return f"Photo {number} of {title}, taken {clock_time(taken_at)}"


def _inspection_context(link) -> dict:
    checklist, items = inspection_drafts.checklist_for(link)
    drafts = inspection_drafts.drafts_for(link)
    visit = last_visit.last_visit(link)
    sections = _sections(checklist, items, drafts, link)
    in_order = [item for section in sections for item in section["items"]]
    unanswered = [item for item in in_order if not _answered(drafts, item.id)]
    return {**_subject_context(link), "link": link, "case": inspection_drafts.case_of(link),
            "checklist": checklist,
            "items_by_id": {item.id: item for item in items}, "drafts": drafts,
            "last_visit": visit,
            "last_asked": ({entry["id"] for entry in visit.assessment.result["items"]}
                           if visit else set()),
            "to_check": last_visit.to_check_again(in_order, visit,
                                                  last_visit.open_conditions(link)),
            "may_see": lambda evidence: (can_view_evidence(_actor(), evidence)
                                         and is_downloadable(evidence)),
            "next_unanswered": unanswered[0] if unanswered else None,
            "sections": sections, "total": len(items),
            "answered": sum(_answered(drafts, item.id) for item in items),
            "conflicts": inspection_drafts.open_conflicts(link),
            "photos": inspection_drafts.photos_for(link),
            "submitted": inspection_drafts.is_submitted(link),
            "editable": inspection_drafts.is_inspectable(link),
            "answer_choices": answer_choices, "answer_label": answer_label,
            "photo_alt": photo_alt,
            **_certificates(inspection_drafts.case_of(link), link)}


# Each tablet page serves a property's inspection (/inspections/<link_id>...) and a sampled
# file's assessment (/inspections/files/<sampled_id>...) with the same code.
def _tablet_route(rule: str, **options):
    def register(view):
        view = bp.route("/inspections/files/<int:sampled_id>" + rule,
                        defaults={"link_id": None}, **options)(view)
        return bp.route("/inspections/<int:link_id>" + rule, **options)(view)
    return register


def _inspected(link_id: int | None, sampled_id: int | None):
    if sampled_id is not None:
        return inspection_drafts.get_file_assessment_for(_actor(), sampled_id)
    return inspection_drafts.get_inspection_for(_actor(), link_id)


def _ids(link) -> dict:
    return _subject_context(link)["ids"]


@_tablet_route("")
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def inspection(link_id: int | None, sampled_id: int | None = None):
    link = _inspected(link_id, sampled_id)
    return render_template("stages/inspection.html", **_inspection_context(link))


@_tablet_route("/items/<item_id>", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def save_item(link_id: int | None, item_id: str, sampled_id: int | None = None):
    """One item's answer, note and photo, posted by the page without JavaScript."""
    actor = _actor()
    link = _inspected(link_id, sampled_id)
    back = url_for("stages.inspection", **_ids(link), _anchor=f"item-{item_id}")
    _, items = inspection_drafts.checklist_for(link)
    item = next((item for item in items if item.id == item_id), None)
    if item is None:
        raise NotFound("That question is not on this checklist.")
    try:
        value = parse_answer(item, request.form.get("value"))
    except ValueError as error:
        # The page again, with what was typed kept and the message at the top and at the item.
        field = f"{item.id}-1" if answer_choices(item) else f"{item.id}-value"
        return render_template(
            "stages/inspection.html", **_inspection_context(link),
            typed={item.id: {"value": request.form.get("value", ""),
                             "note": request.form.get("note", "")}},
            item_errors={item.id: str(error)},
            error_list=[{"text": str(error), "href": f"#{field}"}]), 400
    note = (request.form.get("note") or "").strip() or None
    revision = request.form.get("base_revision", "")
    draft = inspection_drafts.drafts_for(link).get(item.id)
    current = (draft.value, draft.note) if draft else (None, None)
    unchanged = current == (value, note)
    messages = []
    if not unchanged:
        [result] = inspection_drafts.save_answers(actor, link, [inspection_drafts.AnswerChange(
            client_id=str(uuid.uuid4()), item_id=item.id, value=value, note=note,
            base_revision=whole_number(revision) or 0)])
        if result.status == "conflict":
            flash("Another device changed this answer before you saved yours. Both are kept: "
                  "choose which to keep below.", "error")
            return redirect(back)
        if result.status == "rejected":
            flash(result.message, "error")
            return redirect(back)
        messages.append("Answer saved")
    for photo in request.files.getlist("photo"):
        if photo and photo.filename:
            try:
                inspection_drafts.add_item_photo(actor, link, item.id, str(uuid.uuid4()), photo)
            except (ValidationFailed, InvalidTransition, Conflict) as error:
                db.session.rollback()
                flash(error.message, "error")
                return redirect(back)
            messages.append("photo added")
    if messages:
        flash(f"{item.title}: {' and '.join(messages).lower().capitalize()}.", "success")
    else:
        flash(f"{item.title}: nothing to save. The answer and note are as they were.", "info")
    return redirect(back)


@bp.route("/inspections/<int:link_id>/photos/<int:evidence_id>")
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def photo_thumbnail(link_id: int, evidence_id: int):
    """A small rendition of an item's photo, for the inspector on the case and commissioners
    (anyone else: 404, audited). Under /inspections/ so the tablet keeps it for offline use."""
    link = inspection_drafts.get_inspection_for(_actor(), link_id)
    record = inspection_drafts.item_photo_for(_actor(), link, evidence_id)
    response = current_app.response_class(
        wrap_file(request.environ, open_preview(record), buffer_size=STREAM_BUFFER),
        mimetype="image/jpeg", direct_passthrough=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/inspections/<int:link_id>/photos/<int:evidence_id>/remove", methods=["GET", "POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def remove_photo(link_id: int, evidence_id: int):
    """Asks, then takes back a photo before the inspection is submitted (without JavaScript;
    the tablet's script asks on the page and sends the removal through its outbox)."""
    actor = _actor()
    link = inspection_drafts.get_inspection_for(actor, link_id)
    record = inspection_drafts.item_photo_for(actor, link, evidence_id)
    _, items = inspection_drafts.checklist_for(link)
    item = next((item for item in items if item.id == record.item_id), None)
    if item is None:
        raise NotFound("We could not find that photo.")
    back = url_for("stages.inspection", link_id=link.id, _anchor=f"item-{item.id}")
    photos = inspection_drafts.photos_for(link).get(item.id, [])
    alt = photo_alt(item, photos.index(record) + 1, record.created_at)
    if request.method == "POST":
        try:
            inspection_drafts.withdraw_item_photo(actor, link, record.client_id)
        except (InvalidTransition, NotPermitted) as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(f"{item.title}: photo removed.", "success")
        return redirect(back, 303)
    return render_template("stages/remove_photo.html", link=link, record=record, item=item,
                           alt=alt, back=back, name=_subject_context(link)["name"])


def _signature(data_url: str | None) -> bytes | None:
    """The drawing the tablet's script put in the form: a PNG as a data URL."""
    prefix = "data:image/png;base64,"
    if not data_url:
        return None
    if not data_url.startswith(prefix):
        raise ValidationFailed("The signature could not be read. Clear it and sign again.",
                               field="signature")
    try:
        return base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("The signature could not be read. Clear it and sign again.",
                               field="signature") from None


@bp.route("/inspections/<int:link_id>/acknowledgement", methods=["GET", "POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def acknowledgement(link_id: int):
    """The provider's representative reads the findings and signs (name, role; a drawing with
    the tablet's script), or the inspector records that they declined."""
    actor = _actor()
    link = inspection_drafts.get_inspection_for(actor, link_id)
    summary = url_for("stages.inspection_summary", link_id=link.id)
    form = AcknowledgementForm()
    if request.method == "GET":
        form.client_id.data = str(uuid.uuid4())
    elif form.validate_on_submit():
        try:
            inspection_drafts.record_acknowledgement(actor, link, inspection_drafts.Acknowledgement(
                client_id=form.client_id.data or str(uuid.uuid4()),
                declined=bool(form.declined.data), name=form.name.data, role=form.role.data,
                reason=form.reason.data, signature_png=_signature(form.signature.data)))
        except ValidationFailed as error:
            db.session.rollback()
            for field, message in getattr(error, "problems", {error.field: error.message}).items():
                show_error(form, ValidationFailed(message, field=field))
        except (InvalidTransition, Conflict) as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(summary, 303)
        else:
            flash("The provider's acknowledgement has been saved." if not form.declined.data
                  else "You recorded that the provider's representative declined to sign.",
                  "success")
            return redirect(summary, 303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "stages/acknowledgement.html", form=form, link=link,
        findings=inspection_drafts.findings_for(link),
        existing=inspection_drafts.acknowledgement_for(link), long_time=long_time,
        tablet_problems=inspection_drafts.ACKNOWLEDGEMENT_PROBLEMS,
        editable=inspection_drafts.is_inspectable(link), back=summary,
        **_subject_context(link), case=link.case), status


@_tablet_route("/conflicts/<int:conflict_id>", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def resolve_answer_conflict(link_id: int | None, conflict_id: int,
                            sampled_id: int | None = None):
    actor = _actor()
    link = _inspected(link_id, sampled_id)
    conflict = db.session.get(inspection_drafts.AnswerConflict, conflict_id)
    if conflict is None or conflict.subject is not link:
        raise NotFound("We could not find that conflict.")
    keep = request.form.get("keep", "")
    try:
        inspection_drafts.resolve_conflict(actor, conflict_id, keep)
    except (ValidationFailed, InvalidTransition) as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash("Your answer was kept." if keep == "mine" else "The other device's answer was kept.",
              "success")
    return redirect(url_for("stages.inspection", **_ids(link),
                            _anchor=f"item-{conflict.item_id}"))


@_tablet_route("/summary")
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def inspection_summary(link_id: int | None, sampled_id: int | None = None):
    link = _inspected(link_id, sampled_id)
    context = _inspection_context(link)
    items = [item for section in context["sections"] for item in section["items"]]
    unanswered = [item for item in items if not _answered(context["drafts"], item.id)]
    photos_needed = inspection_drafts.photos_missing(link, items)
    # After a refused submission: each thing still missing, linked to its item.
    checklist_url = url_for("stages.inspection", **_ids(link))
    refusals = [{"text": f"{item.title}: answer this question",
                 "href": f"{checklist_url}#item-{item.id}"} for item in unanswered if item.scored]
    refusals += [{"text": f"{item.title}: add a photo", "href": f"{checklist_url}#{item.id}-photo"}
                 for item in photos_needed]
    answers = {item_id: draft.value for item_id, draft in context["drafts"].items()}
    repeats = last_visit.repeats_in_drafts(context["last_visit"], items, answers)
    return render_template(
        "stages/inspection_summary.html", unanswered=unanswered, photos_needed=photos_needed,
        repeats=[item for item in items if item.id in repeats],
        refusals=refusals if request.args.get("refused") else [],
        unanswered_required=any(item.scored for item in unanswered),
        photo_counts={item_id: len(records) for item_id, records in context["photos"].items()},
        acknowledgement=(None if isinstance(link, SampledFile)
                         else inspection_drafts.acknowledgement_for(link)),
        long_time=long_time, submit_id=str(uuid.uuid4()), **context)


@_tablet_route("/submit", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def submit_inspection(link_id: int | None, sampled_id: int | None = None):
    actor = _actor()
    link = _inspected(link_id, sampled_id)
    client_id = request.form.get("client_id") or None
    try:
        assessment = inspection_drafts.submit_inspection(actor, link, client_id)
    except ValidationFailed:
        db.session.rollback()  # questions unanswered or photos missing: listed, each linked
        return redirect(url_for("stages.inspection_summary", **_ids(link), refused=1))
    except (InvalidTransition, Conflict) as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("stages.inspection_summary", **_ids(link)))
    what = "assessment" if isinstance(link, SampledFile) else "inspection"
    flash(f"{_subject_context(link)['name']}: {what} submitted. It "
          + ("passes." if assessment.passed else "does not pass."), "success")
    return redirect(url_for("stages.inspector_home"))


@bp.route("/inspections/device-token", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def device_token():
    """A short-lived API token for this tablet's outbox (session and CSRF header required)."""
    token, expires_at = inspection_drafts.issue_device_token(_actor())
    response = jsonify(token=token, expires_at=expires_at.isoformat())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """An inspector's visits for their calendar app, opened by the private link's token.
    A wrong, withdrawn or deactivated link is a plain 404, kept in the audit trail (counted,
    never the token)."""
    link, refused = calendar_links.user_for_link(token)
    if refused:
        audit.record_repeatable("access.calendar_refused", reason=refused, subject=link,
                                details={"reason": refused})
        db.session.commit()
        return current_app.response_class("Not found\n", 404, mimetype="text/plain")
    body = calendar.feed(link.user, with_addresses=link.with_addresses)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/inspections/signed-out")
@public
def signed_out():
    """Where inspectors land after signing out: its script forgets on this tablet what the
    server already has (saved pages, sent answers), keeping only answers not sent yet."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render_template("stages/signed_out.html")


@bp.route("/inspections/service-worker.js")
@public
def service_worker():
    """The inspector's service worker, served from /inspections/ so that is its scope."""
    shell, version = _offline_shell()
    source = (Path(current_app.static_folder) / "js" / "inspector"
              / "service-worker.js").read_text()
    body = f"const VERSION = {json.dumps(version)};\nconst SHELL = {json.dumps(shell)};\n{source}"
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/inspections/manifest.webmanifest")
@public
def inspector_manifest():
    manifest = {
        "name": current_app.config.get("SERVICE_NAME", "Inspections"),
        "short_name": "Inspections",
        "start_url": url_for("stages.inspector_home"),
        "scope": url_for("stages.inspector_home"),
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": "#1d70b8",
        "icons": [{"src": url_for("static", filename="favicon.svg"), "sizes": "any",
                   "type": "image/svg+xml"}],
    }
    response = current_app.response_class(json.dumps(manifest),
                                          mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


OFFLINE_SHELL = ("dist/app.css", "dist/govuk-frontend.min.js", "js/app.mjs",
                 "js/session-timeout.mjs", "js/scroll-tables.mjs", "js/inspector/inspection.mjs",
                 "js/inspector/outbox.mjs", "js/inspector/store.mjs", "js/inspector/canvas.mjs",
                 "js/inspector/acknowledgement.mjs", "js/inspector/markup.mjs", "favicon.svg")


def _offline_shell() -> tuple[list[str], str]:
    """The URLs the service worker keeps, and a version that changes when any of them does."""
    digest = hashlib.sha256()
    static = Path(current_app.static_folder)
    urls = []
    for name in OFFLINE_SHELL + ("js/inspector/service-worker.js",):
        path = static / name
        if path.exists():
            digest.update(path.read_bytes())
            if name in OFFLINE_SHELL:
                urls.append(url_for("static", filename=name))
    return urls, digest.hexdigest()[:16]
