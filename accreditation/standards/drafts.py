"""Checklist drafts: new versions written in the service by commissioners, approved by a
second commissioner and published with notice.

Each operation checks who may do it, changes the draft, writes the audit event and commits
once. A draft may hold problems while it is being written (a blank one has no items yet);
it is submitted, approved and published only without any.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import audit, clock
from ..auth.models import Role, User
from ..checklists import (
    CATEGORIES,
    FILE_TYPES,
    KINDS,
    ChecklistVersion,
    Problem,
    compile_checklist,
    fingerprint,
    workbook,
)
from ..checklists.compare import Change, compare_versions
from ..checklists.model import CONTEXT_FIELD
from ..checklists.validation import check_definition
from ..database import utcnow
from ..errors import Conflict, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from ..extensions import db
from ..notifications.messages import notify_organisation
from ..routing import external_url
from .models import Assessment, ChecklistDraft, DraftStatus, PublishedChecklist
from .operations import current_checklist, store_version

KIND_NAMES = {
    "due_diligence": "due diligence",
    "file_sampling": "file sampling",
    "property_inspection": "property inspection",
}
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Changes to items that ask more of providers: they take effect from the version's first step.
RAISING_ITEM_CHANGES = ("item_added", "item_reweighted", "item_made_critical", "item_changed")


class DraftProblems(ValidationFailed):
    """Everything wrong with a draft's definition: every problem, the first as the message."""

    def __init__(self, problems: list[Problem], lead: str = "The draft has problems"):
        self.problems = list(problems)
        text = "\n".join(f"- {problem.message}" for problem in self.problems)
        super().__init__(f"{lead}:\n{text}")


def _require_commissioner(actor: User | None) -> None:
    if actor is None or actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners can write and approve checklists.")


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound("There is no checklist of that kind.")
    return kind


def next_version(kind: str) -> int:
    """The next version number free for ``kind``: after every published version and every
    open draft."""
    published = db.session.scalar(
        sa.select(sa.func.max(PublishedChecklist.version)).where(PublishedChecklist.kind == kind))
    drafted = db.session.scalar(
        sa.select(sa.func.max(ChecklistDraft.version)).where(
            ChecklistDraft.kind == kind,
            ChecklistDraft.status.in_((DraftStatus.DRAFT, DraftStatus.SUBMITTED))))
    return max(published or 0, drafted or 0) + 1


def draft_path(draft: ChecklistDraft) -> str:
    """The name a draft's problems are reported under, as a definition file would be."""
    return f"{draft.kind}/v{draft.version}.yaml"


def draft_problems(draft: ChecklistDraft) -> list[Problem]:
    """Every problem the definition rules find in the draft (empty: it is a valid version)."""
    return check_definition(draft.definition, {}, draft_path(draft))


def draft_checklist(draft: ChecklistDraft) -> ChecklistVersion | None:
    """The draft as a checklist version, or None while it has problems."""
    if draft_problems(draft):
        return None
    return ChecklistVersion.from_dict(draft.definition)


def version_in_force(kind: str) -> PublishedChecklist | None:
    try:
        return current_checklist(kind)
    except NotFound:
        return None


def changes_from_version_in_force(draft: ChecklistDraft) -> list[Change] | None:
    """What the draft changes in the version in force (None while the draft has problems)."""
    checklist = draft_checklist(draft)
    if checklist is None:
        return None
    record = version_in_force(draft.kind)
    return compare_versions(record.checklist if record else None, checklist)


def notice_problems(draft: ChecklistDraft, publish_on: date | None = None) -> list[str]:
    """Steps that would take effect sooner than the notice period after ``publish_on``
    (today), each named; a relaxation may take effect at once, and a step already in force
    in the current version, unchanged, is not new."""
    checklist = draft_checklist(draft)
    if checklist is None:
        return []
    publish_on = publish_on or clock.today()
    days = current_app.config["STANDARD_NOTICE_DAYS"]
    earliest = publish_on + timedelta(days=days)
    record = version_in_force(draft.kind)
    current = record.checklist if record else None
    old_steps = {step.effective_from: step for step in current.schedule} if current else {}
    found = []
    for step in checklist.schedule:
        if step.effective_from >= earliest or step.relaxation:
            continue
        if old_steps.get(step.effective_from) == step:
            continue
        found.append(
            f"The step from {step.effective_from:%-d %B %Y} takes effect sooner than "
            f"{days} days after publication: providers must have notice, so it must start on "
            f"or after {earliest:%-d %B %Y}, unless it is a relaxation")
    first = checklist.schedule[0].effective_from
    raising = [change for change in compare_versions(current, checklist)
               if change.kind in RAISING_ITEM_CHANGES] if current else []
    if raising and first < earliest:
        found.append(
            f"The changes to items take effect from the version's first step, "
            f"{first:%-d %B %Y}, sooner than {days} days after publication: start the "
            f"schedule on or after {earliest:%-d %B %Y}")
    return found


# --- starting and ending a draft ------------------------------------------------------------


def blank_definition(kind: str, version: int) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "kind": kind, "version": version,
        "title": f"{KIND_NAMES[kind].capitalize()} checklist", "description": "",
        "sections": [], "items": [], "schedule": [],
    }
    if kind == "file_sampling":
        definition["sample_size"] = {"minimum": 5, "square_root_of_roster": True,
                                     "description": ""}
    return definition


def _new_draft(author: User, kind: str, definition: dict, source: str) -> ChecklistDraft:
    draft = ChecklistDraft(
        kind=kind, version=definition["version"], definition=definition, source=source[:200],
        status=DraftStatus.DRAFT, revision=1, created_by_id=author.id, updated_by_id=author.id)
    db.session.add(draft)
    db.session.flush()
    audit.record("checklist_draft.created", actor=author, subject=draft,
                 details={"kind": kind, "version": draft.version, "source": draft.source})
    db.session.commit()
    return draft


def start_draft(author: User, kind: str, *, copy_of: int | None = None) -> ChecklistDraft:
    """A new draft of ``kind``: blank, or a copy of published version ``copy_of`` with the
    version number advanced (the next free one)."""
    _require_commissioner(author)
    _check_kind(kind)
    version = next_version(kind)
    if copy_of is None:
        return _new_draft(author, kind, blank_definition(kind, version), "blank")
    record = db.session.scalar(
        sa.select(PublishedChecklist).filter_by(kind=kind, version=copy_of))
    if record is None:
        raise ValidationFailed(f"Version {copy_of} of the {KIND_NAMES[kind]} checklist has not "
                               "been published: choose a published version to copy",
                               field="copy_of")
    definition = {**copy.deepcopy(record.definition), "version": version}
    return _new_draft(author, kind, definition, f"version {copy_of}")


def create_draft(author: User, definition: Any, *, source: str = "import") -> ChecklistDraft:
    """A new draft holding ``definition`` (a definition file's dict, read from a spreadsheet or
    YAML), as the next free version of its kind. A definition with any problem is refused with
    every problem (``DraftProblems``), and nothing is stored."""
    _require_commissioner(author)
    if not isinstance(definition, Mapping) or definition.get("kind") not in KINDS:
        raise DraftProblems([Problem(
            "the definition", None, "not_a_definition",
            "it is not a checklist definition: it must name its kind "
            f"({', '.join(KINDS)}), version, title, sections, items and schedule")],
            "The file cannot be used as a draft")
    kind = definition["kind"]
    definition = {**copy.deepcopy(dict(definition)), "version": next_version(kind)}
    problems = check_definition(definition, {}, f"{kind}/v{definition['version']}.yaml")
    if problems:
        raise DraftProblems(problems, "The file cannot be used as a draft")
    normal = ChecklistVersion.from_dict(definition).to_dict()
    return _new_draft(author, kind, normal, source)


def import_draft(author: User, data: bytes, name: str) -> ChecklistDraft:
    """A new draft from a spreadsheet (.xlsx) or YAML file called ``name`` (a commissioner's
    upload, or a file given to the command): ``WorkbookProblems`` naming every problem by its
    sheet, row and column or its line, or ``DraftProblems``; nothing is stored."""
    _require_commissioner(author)
    return create_draft(author, workbook.read_definition(data, name), source=f"import: {name}")


def discard_draft(actor: User, draft: ChecklistDraft) -> ChecklistDraft:
    _require_commissioner(actor)
    if not draft.open:
        raise InvalidTransition(f"This draft is {draft.status.value}: it cannot be discarded.")
    draft.status = DraftStatus.DISCARDED
    draft.submitted_at = None
    draft.updated_by_id, draft.updated_at = actor.id, utcnow()
    audit.record("checklist_draft.discarded", actor=actor, subject=draft,
                 details={"kind": draft.kind, "version": draft.version})
    db.session.commit()
    return draft


# --- editing ----------------------------------------------------------------------------------


def _edit(actor: User, draft: ChecklistDraft, what: str,
          change: Callable[[dict[str, Any]], None]) -> ChecklistDraft:
    """Apply ``change`` to a copy of the draft's definition and keep it. An edit to a
    submitted draft sends it back to draft: its approval would be of something else."""
    _require_commissioner(actor)
    if not draft.open:
        raise InvalidTransition(f"This draft is {draft.status.value}: it cannot be changed.")
    definition = copy.deepcopy(draft.definition)
    change(definition)
    definition["kind"], definition["version"] = draft.kind, draft.version
    draft.definition = definition
    draft.revision += 1
    draft.updated_by_id, draft.updated_at = actor.id, utcnow()
    was_submitted = draft.status is DraftStatus.SUBMITTED
    if was_submitted:
        draft.status = DraftStatus.DRAFT
        draft.submitted_at = draft.submitted_by_id = None
    audit.record("checklist_draft.edited", actor=actor, subject=draft,
                 details={"kind": draft.kind, "version": draft.version, "change": what,
                          "revision": draft.revision, "withdrawn_from_approval": was_submitted})
    db.session.commit()
    return draft


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"x_{slug}".rstrip("_")
    return slug[:60].rstrip("_")


def _new_id(typed: str | None, derived_from: str, taken: set[str], what: str) -> str:
    """A typed id (checked), or one derived from the words, made unique."""
    typed = (typed or "").strip()
    if typed:
        if not SLUG.match(typed):
            raise ValidationFailed(
                f"The {what} id must be lower-case letters, digits and underscores, starting "
                "with a letter (at most 64 characters)", field="id")
        if typed in taken:
            raise ValidationFailed(f"The {what} id '{typed}' is already used: choose another",
                                   field="id")
        return typed
    base, number = _slug(derived_from), 2
    candidate = base
    while candidate in taken:
        candidate, number = f"{base}_{number}", number + 1
    return candidate


def change_details(actor: User, draft: ChecklistDraft, *, title: str,
                   description: str) -> ChecklistDraft:
    def change(definition):
        definition["title"], definition["description"] = title.strip(), description.strip()
    return _edit(actor, draft, "details", change)


def _section_index(definition: dict, section_id: str) -> int:
    for index, section in enumerate(definition["sections"]):
        if section.get("id") == section_id:
            return index
    raise NotFound("There is no section with that id in this draft.")


def _item_index(definition: dict, item_id: str) -> int:
    for index, item in enumerate(definition["items"]):
        if item.get("id") == item_id:
            return index
    raise NotFound("There is no item with that id in this draft.")


def add_section(actor: User, draft: ChecklistDraft, *, title: str, description: str = "",
                section_id: str | None = None) -> str:
    """Add a section at the end; its id (typed, or from its title) never changes after."""
    taken = {section.get("id") for section in draft.definition["sections"]}
    new_id = _new_id(section_id, title, taken, "section")

    def change(definition):
        definition["sections"].append(
            {"id": new_id, "title": title.strip(), "description": description.strip()})
    _edit(actor, draft, f"section {new_id} added", change)
    return new_id


def change_section(actor: User, draft: ChecklistDraft, section_id: str, *, title: str,
                   description: str = "") -> ChecklistDraft:
    index = _section_index(draft.definition, section_id)

    def change(definition):
        definition["sections"][index].update(title=title.strip(),
                                             description=description.strip())
    return _edit(actor, draft, f"section {section_id} changed", change)


def remove_section(actor: User, draft: ChecklistDraft, section_id: str) -> ChecklistDraft:
    index = _section_index(draft.definition, section_id)
    if any(item.get("section") == section_id for item in draft.definition["items"]):
        raise ValidationFailed("The section still has items: remove them, or move them to "
                               "another section, before removing the section")

    def change(definition):
        del definition["sections"][index]
        for step in definition["schedule"]:
            step.get("section_minimums", {}).pop(section_id, None)
    return _edit(actor, draft, f"section {section_id} removed", change)


def _item_fields(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An item's entry in a definition from what a commissioner typed, in the normal form."""
    answer_type = fields["answer_type"]
    item: dict[str, Any] = {
        "section": fields["section"], "label": (fields.get("label") or "").strip(),
        "text": (fields.get("text") or "").strip(),
        "guidance": (fields.get("guidance") or "").strip(), "answer_type": answer_type,
        "weight": 0 if answer_type == "free_text" else int(fields.get("weight") or 0),
        "critical": bool(fields.get("critical")),
        "allow_not_applicable": bool(fields.get("allow_not_applicable")),
        "evidence_required": bool(fields.get("evidence_required")),
        "photo_required": bool(fields.get("photo_required")),
    }
    field = CONTEXT_FIELD[kind]
    if field is not None:
        everything = CATEGORIES if field == "applies_to" else FILE_TYPES
        item[field] = [value for value in everything if value in (fields.get(field) or ())]
    if answer_type == "graded":
        item["pass_grade"] = int(fields.get("pass_grade") or 2)
    if answer_type == "number":
        item["pass_range"] = {bound: _plain_number(fields[key])
                              for bound, key in (("min", "pass_min"), ("max", "pass_max"))
                              if fields.get(key) is not None}
        item["unit"] = (fields.get("unit") or "").strip()
    return item


def _plain_number(value) -> int | float:
    number = float(value)
    return int(number) if number == int(number) else number


def add_item(actor: User, draft: ChecklistDraft, fields: Mapping[str, Any]) -> str:
    """Add an item at the end of its section; its id (typed, or derived from its label or
    question) is unique and never changes after."""
    _section_index(draft.definition, fields.get("section", ""))
    taken = {item.get("id") for item in draft.definition["items"]}
    new_id = _new_id(fields.get("id"), fields.get("label") or fields.get("text") or "item",
                     taken, "item")
    entry = {"id": new_id, **_item_fields(draft.kind, fields)}

    def change(definition):
        items = definition["items"]
        last = max((index for index, item in enumerate(items)
                    if item.get("section") == entry["section"]), default=len(items) - 1)
        items.insert(last + 1, entry)
    _edit(actor, draft, f"item {new_id} added", change)
    return new_id


def change_item(actor: User, draft: ChecklistDraft, item_id: str,
                fields: Mapping[str, Any]) -> ChecklistDraft:
    """Change an item; its id stays what it is."""
    index = _item_index(draft.definition, item_id)
    _section_index(draft.definition, fields.get("section", ""))
    entry = {"id": item_id, **_item_fields(draft.kind, fields)}

    def change(definition):
        definition["items"][index] = entry
    return _edit(actor, draft, f"item {item_id} changed", change)


def remove_item(actor: User, draft: ChecklistDraft, item_id: str) -> ChecklistDraft:
    """Remove an item, and from every step that made it critical."""
    index = _item_index(draft.definition, item_id)

    def change(definition):
        del definition["items"][index]
        for step in definition["schedule"]:
            if item_id in step.get("critical_items", []):
                step["critical_items"].remove(item_id)
    return _edit(actor, draft, f"item {item_id} removed", change)


def move_item(actor: User, draft: ChecklistDraft, item_id: str, direction: str) -> ChecklistDraft:
    """Move an item up or down one place within its section (nothing at either end)."""
    if direction not in ("up", "down"):
        raise NotFound("Items move up or down.")
    items = draft.definition["items"]
    index = _item_index(draft.definition, item_id)
    section = items[index].get("section")
    same = [i for i, item in enumerate(items) if item.get("section") == section]
    position = same.index(index) + (-1 if direction == "up" else 1)
    if not 0 <= position < len(same):
        return draft
    other = same[position]

    def change(definition):
        moved = definition["items"]
        moved[index], moved[other] = moved[other], moved[index]
    return _edit(actor, draft, f"item {item_id} moved {direction}", change)


def _step_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "effective_from": fields["effective_from"].isoformat(),
        "pass_mark": int(fields["pass_mark"]),
        "section_minimums": {sid: int(minimum) for sid, minimum
                             in (fields.get("section_minimums") or {}).items()
                             if minimum is not None and int(minimum) > 0},
        "critical_items": list(fields.get("critical_items") or []),
        "grace_days": int(fields.get("grace_days") or 0),
        "relaxation": bool(fields.get("relaxation")),
        "reason": (fields.get("reason") or "").strip(),
    }


def _in_date_order(definition: dict) -> None:
    definition["schedule"].sort(key=lambda step: str(step.get("effective_from")))


def _step_index(draft: ChecklistDraft, effective_from: str) -> int:
    for index, step in enumerate(draft.definition["schedule"]):
        if step.get("effective_from") == effective_from:
            return index
    raise NotFound("There is no step from that date in this draft.")


def _check_free_date(draft: ChecklistDraft, when: date, keep: int | None = None) -> None:
    for index, step in enumerate(draft.definition["schedule"]):
        if index != keep and step.get("effective_from") == when.isoformat():
            raise ValidationFailed(f"There is already a step from {when:%-d %B %Y}: change "
                                   "that step, or choose another date", field="effective_from")


def add_step(actor: User, draft: ChecklistDraft, fields: Mapping[str, Any]) -> ChecklistDraft:
    """Add a threshold step; the schedule stays in date order."""
    _check_free_date(draft, fields["effective_from"])
    entry = _step_fields(fields)

    def change(definition):
        definition["schedule"].append(entry)
        _in_date_order(definition)
    return _edit(actor, draft, f"step from {entry['effective_from']} added", change)


def change_step(actor: User, draft: ChecklistDraft, effective_from: str,
                fields: Mapping[str, Any]) -> ChecklistDraft:
    index = _step_index(draft, effective_from)
    _check_free_date(draft, fields["effective_from"], keep=index)
    entry = _step_fields(fields)

    def change(definition):
        definition["schedule"][index] = entry
        _in_date_order(definition)
    return _edit(actor, draft, f"step from {effective_from} changed", change)


def remove_step(actor: User, draft: ChecklistDraft, effective_from: str) -> ChecklistDraft:
    index = _step_index(draft, effective_from)

    def change(definition):
        del definition["schedule"][index]
    return _edit(actor, draft, f"step from {effective_from} removed", change)


# --- four eyes ----------------------------------------------------------------------------------


def _ready_problems(draft: ChecklistDraft, on: date) -> list[str]:
    problems = [problem.message for problem in draft_problems(draft)]
    problems += notice_problems(draft, on)
    published = db.session.scalar(
        sa.select(PublishedChecklist.id).filter_by(kind=draft.kind, version=draft.version))
    if published is not None:
        problems.append(f"Version {draft.version} of the {KIND_NAMES[draft.kind]} checklist "
                        "has been published since this draft was started: start a new draft "
                        "from it")
    return problems


def submit_draft(actor: User, draft: ChecklistDraft) -> ChecklistDraft:
    """Ask for a second commissioner's approval. Refused, with every problem, while the draft
    has problems or a step would take effect without notice."""
    _require_commissioner(actor)
    if draft.status is not DraftStatus.DRAFT:
        raise InvalidTransition(f"This draft is {draft.status.value}: it cannot be submitted.")
    problems = _ready_problems(draft, clock.today())
    if problems:
        raise ValidationFailed("The draft cannot be submitted for approval:\n"
                               + "\n".join(f"- {problem}" for problem in problems))
    draft.status = DraftStatus.SUBMITTED
    draft.submitted_by_id, draft.submitted_at = actor.id, utcnow()
    audit.record("checklist_draft.submitted", actor=actor, subject=draft,
                 details={"kind": draft.kind, "version": draft.version,
                          "revision": draft.revision,
                          "fingerprint": fingerprint(ChecklistVersion.from_dict(
                              draft.definition))})
    db.session.commit()
    return draft


def may_approve(actor: User, draft: ChecklistDraft) -> bool:
    """A second pair of eyes: a commissioner who neither last edited nor submitted it."""
    return (actor.role is Role.COMMISSIONER and draft.status is DraftStatus.SUBMITTED
            and actor.id not in (draft.updated_by_id, draft.submitted_by_id))


def approve_draft(actor: User, draft: ChecklistDraft, *, revision: int) -> PublishedChecklist:
    """Approve a submitted draft and publish it (``operations.store_version``), then e-mail
    each provider whose latest assessments would fail one of its new or raised steps.

    Only a commissioner who neither last edited nor submitted it; only the revision they saw;
    the notice period checked again, on the day of publication.
    """
    _require_commissioner(actor)
    if draft.status is not DraftStatus.SUBMITTED:
        raise InvalidTransition("Only a draft submitted for approval can be approved.")
    if actor.id in (draft.updated_by_id, draft.submitted_by_id):
        # Commissioners may approve; this one may not approve this draft now (409, as for a
        # step that is not possible in a case's state).
        raise InvalidTransition("A second commissioner must approve this draft: you changed "
                                "it or submitted it.")
    if revision != draft.revision:
        raise Conflict("The draft has changed since you opened it: check it again before "
                       "approving it.")
    today = clock.today()
    problems = _ready_problems(draft, today)
    if problems:
        raise ValidationFailed("The draft cannot be published:\n"
                               + "\n".join(f"- {problem}" for problem in problems))
    checklist = ChecklistVersion.from_dict(draft.definition)
    before = version_in_force(draft.kind)
    digest = fingerprint(checklist)
    draft.approved_by_id, draft.approved_at = actor.id, utcnow()
    audit.record("checklist_draft.approved", actor=actor, subject=draft,
                 details={"kind": draft.kind, "version": draft.version,
                          "revision": draft.revision, "fingerprint": digest,
                          "submitted_by": draft.submitted_by_id})
    record = store_version(actor, checklist, details={"draft": draft.id})
    draft.status = DraftStatus.PUBLISHED
    draft.published_checklist_id = record.id
    _tell_providers(record, before.checklist if before else None, today)
    db.session.commit()
    return record


def _tell_providers(record: PublishedChecklist, before: ChecklistVersion | None,
                    today: date) -> int:
    """Queue one e-mail to each provider whose latest assessments would fail a new or raised
    step of the version just published; returns how many organisations."""
    checklist = record.checklist
    raised = {change.subject for change in compare_versions(before, checklist)
              if change.kind in ("step_added", "step_tightened")}
    steps = [step for step in checklist.schedule
             if step.effective_from.isoformat() in raised and step.effective_from > today]
    if not steps:
        return 0
    latest: dict[tuple, Assessment] = {}
    for assessment in db.session.scalars(
            sa.select(Assessment).where(Assessment.kind == record.kind)
            .order_by(Assessment.assessed_on, Assessment.id)):
        key = (assessment.organisation_id, assessment.property_id, assessment.subject_ref)
        latest[key] = assessment
    compiled = compile_checklist(checklist)
    failing: dict[int, date] = {}
    for (organisation_id, _, _), assessment in latest.items():
        for step in steps:
            if not compiled.summarise(assessment.answers, step, category=assessment.category,
                                      file_type=assessment.file_type).passed:
                failing[organisation_id] = min(step.effective_from,
                                               failing.get(organisation_id, step.effective_from))
                break
    name = KIND_NAMES[record.kind]
    for organisation_id, when in sorted(failing.items()):
        notify_organisation(
            organisation_id, f"The {name} standard rises on {when:%-d %B %Y}",
            f"The consortium has published version {record.version} of the {name} checklist. "
            f"From {when:%-d %B %Y}, some of your latest assessments would not meet it. "
            "Your gap report shows what would not pass and the items to fix.",
            what="your gap report", link=external_url("standards.provider_gap_report"),
            dedupe_key=f"standard:{record.kind}:{record.version}:{organisation_id}")
    return len(failing)
