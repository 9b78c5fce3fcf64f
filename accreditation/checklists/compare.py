"""What a new version of a checklist changes, compared with another: in words, item by item
and step by step, for the commissioners who approve it."""

from __future__ import annotations

from dataclasses import dataclass

from .model import ChecklistVersion, Item, ThresholdStep
from .schedule import loosenings

# The kinds of change, in the order a page lists them.
CHANGE_KINDS = (
    "item_added", "item_removed", "item_reworded", "item_reweighted", "item_made_critical",
    "item_no_longer_critical", "item_changed", "step_added", "step_tightened", "step_relaxed",
    "step_changed", "step_removed",
)


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: its kind (``CHANGE_KINDS``), what it is about and what it says."""

    kind: str
    subject: str
    description: str


def _describe_step(step: ThresholdStep) -> str:
    return f"The step from {step.effective_from:%-d %B %Y}"


def _tightenings(before: ThresholdStep, after: ThresholdStep) -> list[str]:
    """Every way ``after`` asks for more than ``before``, in words (``loosenings`` turned
    round)."""
    found: list[str] = []
    if after.pass_mark > before.pass_mark:
        found.append(f"raises the pass mark from {before.pass_mark}% to {after.pass_mark}%")
    sections = dict.fromkeys(sid for sid, _ in (*before.section_minimums,
                                                 *after.section_minimums))
    for sid in sections:
        old, new = before.minimum_for(sid), after.minimum_for(sid)
        if new > old:
            found.append(f"raises the minimum for section '{sid}' from {old}% to {new}%")
    added = [i for i in after.critical_items if i not in before.critical_items]
    if added:
        found.append(f"makes {', '.join(repr(i) for i in added)} critical")
    return found


def _item_changes(before: Item, after: Item) -> list[Change]:
    name = f"'{after.title}' ({after.id})"
    changes = []
    if (before.text, before.label, before.guidance) != (after.text, after.label, after.guidance):
        changes.append(Change("item_reworded", after.id, f"{name} is reworded"))
    if before.weight != after.weight:
        changes.append(Change("item_reweighted", after.id,
                              f"{name} weighs {after.weight} instead of {before.weight}"))
    if after.critical and not before.critical:
        changes.append(Change("item_made_critical", after.id, f"{name} becomes critical"))
    if before.critical and not after.critical:
        changes.append(Change("item_no_longer_critical", after.id,
                              f"{name} is no longer critical"))
    rest = ("answer_type", "allow_not_applicable", "evidence_required", "photo_required",
            "applies_to", "applies_to_files", "pass_grade", "pass_min", "pass_max", "unit",
            "section")
    changed = [field.replace("_", " ") for field in rest
               if getattr(before, field) != getattr(after, field)]
    if changed:
        changes.append(Change("item_changed", after.id,
                              f"{name} changes its {', '.join(changed)}"))
    return changes


def compare_versions(before: ChecklistVersion | None, after: ChecklistVersion) -> list[Change]:
    """Every difference ``after`` makes to ``before`` (nothing to compare with: everything in
    ``after`` is added), in the order of ``CHANGE_KINDS``, then of the new version."""
    old_items = {item.id: item for item in before.items} if before else {}
    new_items = {item.id: item for item in after.items}
    changes: list[Change] = []
    for item in after.items:
        if item.id not in old_items:
            changes.append(Change("item_added", item.id, f"'{item.title}' ({item.id}) is added"))
        else:
            changes.extend(_item_changes(old_items[item.id], item))
    for item_id, item in old_items.items():
        if item_id not in new_items:
            changes.append(Change("item_removed", item_id,
                                  f"'{item.title}' ({item_id}) is removed"))
    old_steps = {step.effective_from: step for step in before.schedule} if before else {}
    new_steps = {step.effective_from: step for step in after.schedule}
    for when, step in new_steps.items():
        subject = when.isoformat()
        earlier = old_steps.get(when)
        if earlier is None:
            changes.append(Change("step_added", subject, f"{_describe_step(step)} "
                                  f"is added (pass mark {step.pass_mark}%)"))
            continue
        raised, lowered = _tightenings(earlier, step), loosenings(earlier, step)
        if raised:
            changes.append(Change("step_tightened", subject,
                                  f"{_describe_step(step)} {'; '.join(raised)}"))
        if lowered:
            changes.append(Change("step_relaxed", subject,
                                  f"{_describe_step(step)} {'; '.join(lowered)}"))
        if not raised and not lowered and earlier != step:
            changes.append(Change("step_changed", subject,
                                  f"{_describe_step(step)} changes its grace "
                                  "period or its reason"))
    for when, step in old_steps.items():
        if when not in new_steps:
            changes.append(Change("step_removed", when.isoformat(),
                                  f"{_describe_step(step)} is removed"))
    order = {kind: index for index, kind in enumerate(CHANGE_KINDS)}
    return sorted(changes, key=lambda change: order[change.kind])
