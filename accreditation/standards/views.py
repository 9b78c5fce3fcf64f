from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..auth.models import Role
from ..auth.permissions import allow
from ..checklists import DEFINITIONS_DIR, KINDS, load_definitions, step_in_force, workbook
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from . import bp, operations
from .impact import gap_report, preview_impact, standard_history
from .models import PublishedChecklist

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
    published_keys = {(record.kind, record.version) for record in published}
    drafts = [version for key, version in sorted(load_definitions(DEFINITIONS_DIR).items())
              if key not in published_keys]
    problems = operations.check_definitions()
    return render_template(
        "standards/checklists.html", published=published, drafts=drafts, problems=problems,
        kind_titles=KIND_TITLES, today=clock.today(), step_in_force=step_in_force,
        versions_in_force=set(operations.versions_in_force().values()))


@bp.route("/commissioner/checklists/<kind>/<int:version>/publish", methods=["POST"])
@allow(Role.COMMISSIONER)
def publish(kind: str, version: int):
    path = DEFINITIONS_DIR / _kind_or_404(kind) / f"v{version}.yaml"
    if not path.exists():
        raise NotFound("There is no definition file for that version.")
    try:
        records = operations.publish_definitions(current_user._get_current_object(), path)
    except ValidationFailed as error:
        flash(error.message, "error")
    else:
        flash(f"Published {KIND_TITLES[kind].lower()} version {version}." if records
              else "That version was already published.", "success")
    return redirect(url_for("standards.checklists"))


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
    if number is None:
        checklist = operations.current_checklist(kind).checklist
    else:
        record = db.session.scalar(
            sa.select(PublishedChecklist).filter_by(kind=kind, version=number))
        checklist = record.checklist if record else load_definitions(DEFINITIONS_DIR).get(
            (kind, number))
        if checklist is None:
            raise NotFound(f"There is no version {number} of this checklist.")
    step = next((s for s in checklist.schedule if s.effective_from == step_date), None)
    if step is None:
        raise NotFound("That threshold step is not in this checklist's schedule.")
    report = preview_impact(kind, step=step, checklist=checklist)
    return render_template("standards/impact.html", report=report, kind_title=KIND_TITLES[kind],
                           checklist=checklist)


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
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{kind}-v{version}.{suffix}"')
    return response


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
