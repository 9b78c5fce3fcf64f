"""The standards workshop's pages: a checklist draft, edited in the browser, submitted,
approved by a second commissioner. Each view parses, calls one ``drafts`` operation and
renders or redirects."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..auth.models import Role
from ..auth.permissions import allow
from ..checklists import KINDS, workbook
from ..downloads import attachment
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..forms import first_error, show_error, whole_number
from . import bp, drafts
from .forms import (
    ANSWER_TYPE_LABELS,
    DetailsForm,
    ImportDraftForm,
    ItemForm,
    SectionForm,
    StartDraftForm,
    applies_choices,
    step_form_class,
    step_values,
)
from .models import ChecklistDraft
from .operations import published_versions
from .views import KIND_TITLES, _start_choices

# A problem's place in a definition -> the field of the form that edits it.
ITEM_FIELDS = {"pass_range": "pass_min", "applies_to": "applies", "applies_to_files": "applies"}
STEP_FIELDS = {"section_minimums": None}


def _actor():
    return current_user._get_current_object()


def _draft_or_404(draft_id: int) -> ChecklistDraft:
    draft = db.session.get(ChecklistDraft, draft_id)
    if draft is None:
        raise NotFound("There is no checklist draft with that number.")
    return draft


def _to_draft(draft: ChecklistDraft, anchor: str = ""):
    return redirect(url_for("standards.draft", draft_id=draft.id) + (f"#{anchor}" if anchor
                                                                      else ""))


def _anchor(draft: ChecklistDraft, where: tuple) -> str:
    """The place on the draft's page a problem at ``where`` is shown."""
    definition = draft.definition
    if len(where) >= 2 and isinstance(where[1], int):
        entries = {"sections": "section", "items": "item", "schedule": "step"}
        if where[0] in entries and where[1] < len(definition.get(where[0], [])):
            entry = definition[where[0]][where[1]]
            key = "effective_from" if where[0] == "schedule" else "id"
            return f"{entries[where[0]]}-{entry.get(key)}"
    if where and where[0] in ("sections", "items", "schedule"):
        return f"draft-{where[0]}"
    return "draft-details"


@bp.route("/commissioner/checklists/drafts", methods=["POST"])
@allow(Role.COMMISSIONER)
def start_draft():
    form = StartDraftForm()
    form.start_from.choices = _start_choices(
        [record for kind in KINDS for record in published_versions(kind)])
    if not form.validate():
        flash(first_error(form), "error")
        return redirect(url_for("standards.checklists"))
    parts = form.start_from.data.split(":")
    copy_of = int(parts[2]) if parts[0] == "copy" else None
    draft = drafts.start_draft(_actor(), parts[1], copy_of=copy_of)
    flash(f"Started {KIND_TITLES[draft.kind].lower()} version {draft.version}.", "success")
    return _to_draft(draft)


@bp.route("/commissioner/checklists/import", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def import_draft():
    """A spreadsheet or YAML file made into a new draft; every problem in it is listed, each
    naming its sheet, row and column (or its line), and nothing is saved."""
    form = ImportDraftForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            upload = form.file.data
            try:
                draft = drafts.import_draft(_actor(), upload.read(workbook.MAX_FILE_BYTES + 1),
                                            upload.filename or "")
            except workbook.WorkbookProblems as error:
                form.file.errors = [str(problem) for problem in error.problems]
            except drafts.DraftProblems as error:
                db.session.rollback()
                form.file.errors = [problem.message for problem in error.problems]
            else:
                flash(f"Imported {upload.filename} as {KIND_TITLES[draft.kind].lower()} "
                      f"version {draft.version}.", "success")
                return _to_draft(draft)
    return render_template("standards/import_draft.html", form=form), status


def _draft_file(record: ChecklistDraft, suffix: str, data: bytes | str, content_type: str):
    return attachment(data, f"{record.kind}-v{record.version}-draft.{suffix}", content_type)


@bp.route("/commissioner/checklists/drafts/<int:draft_id>.xlsx")
@allow(Role.COMMISSIONER)
def draft_xlsx(draft_id: int):
    record = _draft_or_404(draft_id)
    return _draft_file(record, "xlsx", workbook.to_xlsx(record.definition),
                       workbook.XLSX_CONTENT_TYPE)


@bp.route("/commissioner/checklists/drafts/<int:draft_id>.yaml")
@allow(Role.COMMISSIONER)
def draft_yaml(draft_id: int):
    record = _draft_or_404(draft_id)
    return _draft_file(record, "yaml", workbook.to_yaml(record.definition),
                       f"{workbook.YAML_CONTENT_TYPE}; charset=utf-8")


@bp.route("/commissioner/checklists/drafts/<int:draft_id>")
@allow(Role.COMMISSIONER)
def draft(draft_id: int):
    record = _draft_or_404(draft_id)
    problems = drafts.draft_problems(record)
    placed: dict[str, list[str]] = {}
    summary = []
    for problem in problems:
        anchor = _anchor(record, problem.where)
        placed.setdefault(anchor, []).append(problem.message)
        summary.append({"text": problem.message, "href": f"#{anchor}"})
    notice = drafts.notice_problems(record) if not problems else []
    in_force = drafts.version_in_force(record.kind)
    return render_template(
        "standards/draft.html", draft=record, definition=record.definition, form=None,
        problems=problems, placed=placed, error_summary=summary, notice=notice,
        changes=drafts.changes_from_version_in_force(record), in_force=in_force,
        kind_title=KIND_TITLES[record.kind], may_approve=drafts.may_approve(_actor(), record),
        checklist=drafts.draft_checklist(record), answer_types=ANSWER_TYPE_LABELS,
        long_date=_long_date)


def _long_date(text: str) -> str:
    try:
        return f"{date.fromisoformat(str(text)):%-d %B %Y}"
    except ValueError:
        return str(text)


def _form_page(template: str, draft: ChecklistDraft, form, **context):
    return render_template(f"standards/{template}", draft=draft, form=form,
                           kind_title=KIND_TITLES[draft.kind], **context)


def _entry_problems(draft: ChecklistDraft, collection: str, index: int | None, form,
                    names: dict[str, str | None]) -> None:
    """Show the draft's problems with one entry beside the fields that edit it."""
    if index is None:
        return
    for problem in drafts.draft_problems(draft):
        where = problem.where
        if len(where) < 2 or where[0] != collection or where[1] != index:
            continue
        name = where[2] if len(where) > 2 else None
        name = names.get(name, name) if name is not None else None
        field = getattr(form, name, None) if name else None
        if field is not None:
            field.errors = [*field.errors, problem.message]
        else:
            form.form_errors.append(problem.message)


def _edit(operation):
    """Call an operation; a rule it refuses is returned, to show where it applies."""
    try:
        return operation(), None
    except ValidationFailed as error:
        return None, error


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/details", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def draft_details(draft_id: int):
    record = _draft_or_404(draft_id)
    form = DetailsForm(data={"title": record.definition.get("title", ""),
                             "description": record.definition.get("description", "")})
    if request.method == "POST" and form.validate():
        drafts.change_details(_actor(), record, title=form.title.data,
                              description=form.description.data or "")
        return _to_draft(record, "draft-details")
    return _form_page("draft_details.html", record, form)


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/sections/new",
          methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def add_section(draft_id: int):
    record = _draft_or_404(draft_id)
    form = SectionForm()
    if request.method == "POST" and form.validate():
        section_id, error = _edit(lambda: drafts.add_section(
            _actor(), record, title=form.title.data, description=form.description.data or "",
            section_id=form.id.data))
        if error is None:
            return _to_draft(record, f"section-{section_id}")
        show_error(form, error)
    return _form_page("draft_section.html", record, form, section=None)


def _section(record: ChecklistDraft, section_id: str) -> tuple[int, dict]:
    for index, section in enumerate(record.definition["sections"]):
        if section.get("id") == section_id:
            return index, section
    raise NotFound("There is no section with that id in this draft.")


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/sections/<draft_section>",
          methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def change_section(draft_id: int, draft_section: str):
    record = _draft_or_404(draft_id)
    index, section = _section(record, draft_section)
    form = SectionForm(data=section)
    del form.id
    if request.method == "POST" and form.validate():
        drafts.change_section(_actor(), record, draft_section, title=form.title.data,
                              description=form.description.data or "")
        return _to_draft(record, f"section-{draft_section}")
    if request.method == "GET":
        _entry_problems(record, "sections", index, form, {})
    return _form_page("draft_section.html", record, form, section=section)


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/sections/<draft_section>/remove",
          methods=["POST"])
@allow(Role.COMMISSIONER)
def remove_section(draft_id: int, draft_section: str):
    record = _draft_or_404(draft_id)
    _, error = _edit(lambda: drafts.remove_section(_actor(), record, draft_section))
    if error is not None:
        flash(error.message, "error")
        return _to_draft(record, f"section-{draft_section}")
    flash("Section removed.", "success")
    return _to_draft(record, "draft-sections")


def _item(record: ChecklistDraft, item_id: str) -> tuple[int, dict]:
    for index, item in enumerate(record.definition["items"]):
        if item.get("id") == item_id:
            return index, item
    raise NotFound("There is no item with that id in this draft.")


def _item_form(record: ChecklistDraft, data: dict | None = None) -> ItemForm:
    form = ItemForm(data=data)
    form.set_choices(record.kind, record.definition["sections"])
    return form


def _item_data(item: dict) -> dict:
    pass_range = item.get("pass_range") or {}
    applies = item.get("applies_to") or item.get("applies_to_files") or []
    return {**item, "pass_min": pass_range.get("min"), "pass_max": pass_range.get("max"),
            "pass_grade": str(item.get("pass_grade", 2)), "applies": applies}


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/items/new", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def add_item(draft_id: int):
    record = _draft_or_404(draft_id)
    section = request.args.get("section", "")
    everywhere = [choice.value for choice in applies_choices(record.kind)]
    form = _item_form(record, {"section": section, "weight": 1, "answer_type": "yes_no",
                               "applies": everywhere})
    if request.method == "POST" and form.validate():
        item_id, error = _edit(lambda: drafts.add_item(_actor(), record,
                                                       form.fields_for(record.kind)))
        if error is None:
            return _to_draft(record, f"item-{item_id}")
        show_error(form, error)
    return _form_page("draft_item.html", record, form, item=None)


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/items/<draft_item>",
          methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def change_item(draft_id: int, draft_item: str):
    record = _draft_or_404(draft_id)
    index, item = _item(record, draft_item)
    form = _item_form(record, _item_data(item))
    del form.id
    if request.method == "POST" and form.validate():
        _, error = _edit(lambda: drafts.change_item(_actor(), record, draft_item,
                                                    form.fields_for(record.kind)))
        if error is None:
            return _to_draft(record, f"item-{draft_item}")
        show_error(form, error)
    if request.method == "GET":
        _entry_problems(record, "items", index, form, ITEM_FIELDS)
    return _form_page("draft_item.html", record, form, item=item)


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/items/<draft_item>/remove",
          methods=["POST"])
@allow(Role.COMMISSIONER)
def remove_item(draft_id: int, draft_item: str):
    record = _draft_or_404(draft_id)
    drafts.remove_item(_actor(), record, draft_item)
    flash("Item removed.", "success")
    return _to_draft(record, "draft-items")


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/items/<draft_item>/move",
          methods=["POST"])
@allow(Role.COMMISSIONER)
def move_item(draft_id: int, draft_item: str):
    record = _draft_or_404(draft_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        raise ValidationFailed("Choose to move the item up or down.")
    drafts.move_item(_actor(), record, draft_item, direction)
    return _to_draft(record, f"item-{draft_item}")


def _step(record: ChecklistDraft, step_date: str) -> tuple[int, dict]:
    for index, step in enumerate(record.definition["schedule"]):
        if step.get("effective_from") == step_date:
            return index, step
    raise NotFound("There is no step from that date in this draft.")


def _step_data(step: dict, sections: list[dict]) -> dict:
    data = {**step}
    try:
        data["effective_from"] = date.fromisoformat(str(step.get("effective_from")))
    except ValueError:
        data["effective_from"] = None
    for section in sections:
        data[f"minimum_{section['id']}"] = (step.get("section_minimums") or {}).get(
            section["id"])
    return data


def _step_form(record: ChecklistDraft, data: dict | None):
    sections = record.definition["sections"]
    form = step_form_class(sections)(data=data)
    form.critical_items.choices = [
        SelectChoice(item["id"], item.get("label") or item.get("text") or item["id"])
        for item in record.definition["items"] if item.get("answer_type") != "free_text"]
    return form, sections


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/steps/new", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def add_step(draft_id: int):
    record = _draft_or_404(draft_id)
    schedule = record.definition["schedule"]
    # A step is complete in itself: start from the last one.
    start = _step_data(schedule[-1], record.definition["sections"]) if schedule else {}
    start.pop("effective_from", None)
    form, sections = _step_form(record, start)
    if request.method == "POST" and form.validate():
        _, error = _edit(lambda: drafts.add_step(_actor(), record, step_values(form, sections)))
        if error is None:
            return _to_draft(record, f"step-{form.effective_from.data.isoformat()}")
        show_error(form, error)
    return _form_page("draft_step.html", record, form, step=None, sections=sections)


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/steps/<step_date>",
          methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def change_step(draft_id: int, step_date: str):
    record = _draft_or_404(draft_id)
    index, step = _step(record, step_date)
    form, sections = _step_form(record, _step_data(step, record.definition["sections"]))
    if request.method == "POST" and form.validate():
        _, error = _edit(lambda: drafts.change_step(_actor(), record, step_date,
                                                    step_values(form, sections)))
        if error is None:
            return _to_draft(record, f"step-{form.effective_from.data.isoformat()}")
        show_error(form, error)
    if request.method == "GET":
        _entry_problems(record, "schedule", index, form, STEP_FIELDS)
    return _form_page("draft_step.html", record, form, step=step, sections=sections)


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/steps/<step_date>/remove",
          methods=["POST"])
@allow(Role.COMMISSIONER)
def remove_step(draft_id: int, step_date: str):
    record = _draft_or_404(draft_id)
    drafts.remove_step(_actor(), record, step_date)
    flash("Step removed.", "success")
    return _to_draft(record, "draft-schedule")


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/submit", methods=["POST"])
@allow(Role.COMMISSIONER)
def submit_draft(draft_id: int):
    record = _draft_or_404(draft_id)
    _, error = _edit(lambda: drafts.submit_draft(_actor(), record))
    if error is not None:
        flash(error.message, "error")
        return _to_draft(record)
    flash("Submitted for approval. Another commissioner must approve it before it is "
          "published.", "success")
    return _to_draft(record)


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/approve", methods=["POST"])
@allow(Role.COMMISSIONER)
def approve_draft(draft_id: int):
    record = _draft_or_404(draft_id)
    revision = whole_number(request.form.get("revision"))
    if revision is None:
        raise ValidationFailed("Open the draft again and approve the version you see.")
    published, error = _edit(lambda: drafts.approve_draft(_actor(), record,
                                                           revision=revision))
    if error is not None:
        flash(error.message, "error")
        return _to_draft(record)
    flash(f"Approved and published {KIND_TITLES[published.kind].lower()} version "
          f"{published.version}.", "success")
    return redirect(url_for("standards.checklists"))


@bp.route("/commissioner/checklists/drafts/<int:draft_id>/discard", methods=["POST"])
@allow(Role.COMMISSIONER)
def discard_draft(draft_id: int):
    record = _draft_or_404(draft_id)
    drafts.discard_draft(_actor(), record)
    flash(f"Discarded the draft of {KIND_TITLES[record.kind].lower()} version "
          f"{record.version}.", "success")
    return redirect(url_for("standards.checklists"))
