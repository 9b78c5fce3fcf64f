from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import clock
from ..auth.models import Role
from ..auth.permissions import allow
from ..checklists import KINDS, step_in_force, workbook
from ..downloads import attachment
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..forms import whole_number
from . import bp, drafts, operations
from .forms import StartDraftForm
from .impact import gap_report, preview_impact, standard_history
from .models import ChecklistDraft, DraftStatus, PublishedChecklist

KIND_TITLES = {
    "due_diligence": "Due diligence",
    "file_sampling": "File sampling",
    "property_inspection": "Property inspection",
}


def _kind_or_404(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound("There is no checklist of that kind.")
    return kind


@bp.route("/commissioner/checklists")
@allow(Role.COMMISSIONER)
def checklists():
    published = db.session.scalars(
        sa.select(PublishedChecklist).order_by(PublishedChecklist.kind,
                                               PublishedChecklist.version.desc())).all()
    open_drafts = db.session.scalars(
        sa.select(ChecklistDraft)
        .where(ChecklistDraft.status.in_((DraftStatus.DRAFT, DraftStatus.SUBMITTED)))
        .order_by(ChecklistDraft.kind, ChecklistDraft.version)).all()
    form = StartDraftForm()
    form.start_from.choices = _start_choices(published)
    return render_template(
        "standards/checklists.html", published=published, drafts=open_drafts, form=None,
        start_form=form, kind_titles=KIND_TITLES, today=clock.today(),
        step_in_force=step_in_force,
        versions_in_force=set(operations.versions_in_force().values()))


def _start_choices(published) -> list[SelectChoice]:
    copies = [SelectChoice(f"copy:{record.kind}:{record.version}",
               f"A copy of {KIND_TITLES[record.kind].lower()} version {record.version}")
              for record in published if record.status.value == "published"]
    blanks = [SelectChoice(f"blank:{kind}", f"A blank {KIND_TITLES[kind].lower()} checklist")
              for kind in KINDS]
    return copies + blanks


@bp.route("/commissioner/checklists/<kind>/<int:version>/retire", methods=["POST"])
@allow(Role.COMMISSIONER)
def retire(kind: str, version: int):
    operations.retire_checklist(current_user._get_current_object(), _kind_or_404(kind), version)
    flash(f"Retired {KIND_TITLES[kind].lower()} version {version}.", "success")
    return redirect(url_for("standards.checklists"))


@bp.route("/commissioner/checklists/<kind>/impact")
@allow(Role.COMMISSIONER)
def impact(kind: str):
    _kind_or_404(kind)
    number = request.args.get("version", type=int)
    step_date = _date_argument("step")
    draft_id = whole_number(request.args.get("draft")) if "draft" in request.args else None
    if "draft" in request.args:
        draft = db.session.get(ChecklistDraft, draft_id) if draft_id else None
        if draft is None or draft.kind != kind:
            raise NotFound("There is no draft of this checklist with that number.")
        checklist = drafts.draft_checklist(draft)
        if checklist is None:
            raise ValidationFailed("The draft has problems: put them right before previewing "
                                   "its impact.")
    elif number is None:
        checklist = operations.current_checklist(kind).checklist
    else:
        record = db.session.scalar(
            sa.select(PublishedChecklist).filter_by(kind=kind, version=number))
        if record is None:
            raise NotFound(f"There is no version {number} of this checklist.")
        checklist = record.checklist
    step = next((s for s in checklist.schedule if s.effective_from == step_date), None)
    if step is None:
        raise NotFound("That threshold step is not in this checklist's schedule.")
    report = preview_impact(kind, step=step, checklist=checklist)
    return render_template("standards/impact.html", report=report, kind_title=KIND_TITLES[kind],
                           checklist=checklist, draft_id=draft_id)


def _date_argument(name: str) -> date:
    raw = request.args.get(name, "")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"'{raw}' is not a date: use YYYY-MM-DD.") from None


@bp.route("/provider/gap-report")
@allow(Role.PROVIDER)
def provider_gap_report():
    gaps = gap_report(current_user.organisation, clock.today())
    return render_template("standards/gap_report.html", gaps=gaps, kind_titles=KIND_TITLES)


def _download(kind: str, version: int, data: bytes | str, suffix: str, content_type: str):
    return attachment(data, f"{kind}-v{version}.{suffix}", content_type)


@bp.route("/commissioner/checklists/<kind>/<int:version>.xlsx")
@allow(Role.COMMISSIONER)
def download_xlsx(kind: str, version: int):
    record = operations.published_version(_kind_or_404(kind), version)
    return _download(kind, version, workbook.to_xlsx(record.definition), "xlsx",
                     workbook.XLSX_CONTENT_TYPE)


@bp.route("/commissioner/checklists/<kind>/<int:version>.yaml")
@allow(Role.COMMISSIONER)
def download_yaml(kind: str, version: int):
    record = operations.published_version(_kind_or_404(kind), version)
    return _download(kind, version, workbook.to_yaml(record.definition), "yaml",
                     f"{workbook.YAML_CONTENT_TYPE}; charset=utf-8")


@bp.route("/commissioner/checklists/history")
@allow(Role.COMMISSIONER)
def history():
    return render_template("standards/history.html", history=standard_history(clock.today()),
                           kind_titles=KIND_TITLES, today=clock.today())
