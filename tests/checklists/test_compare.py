"""What a new version changes: a pure comparison of two checklist versions."""

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from accreditation.checklists import DEFINITIONS_DIR, load_definition
from accreditation.checklists.compare import CHANGE_KINDS, compare_versions

V1 = load_definition(DEFINITIONS_DIR / "property_inspection" / "v1.yaml")
V2 = load_definition(DEFINITIONS_DIR / "property_inspection" / "v2.yaml")


def kinds(changes):
    return [change.kind for change in changes]


def test_a_version_compared_with_itself_changes_nothing():
    assert compare_versions(V1, V1) == []


def test_against_nothing_everything_is_added():
    changes = compare_versions(None, V1)
    assert kinds(changes).count("item_added") == len(V1.items)
    assert kinds(changes).count("step_added") == len(V1.schedule)


def test_items_added_removed_reworded_reweighted_and_made_critical():
    first, second, third = V1.items[:3]
    items = (replace(first, text=first.text + " Check every floor."),
             replace(second, weight=second.weight + 2, critical=True),
             *V1.items[3:],
             replace(third, id="new_item", label="A new item"))
    after = replace(V1, items=items)
    changes = compare_versions(V1, after)
    by_kind = {change.kind: change for change in changes}
    assert by_kind["item_reworded"].subject == first.id
    assert by_kind["item_reweighted"].subject == second.id
    assert f"weighs {second.weight + 2} instead of {second.weight}" in by_kind[
        "item_reweighted"].description
    assert by_kind["item_made_critical"].subject == second.id
    assert by_kind["item_added"].subject == "new_item"
    assert by_kind["item_removed"].subject == third.id
    assert kinds(changes) == sorted(kinds(changes), key=CHANGE_KINDS.index)


def test_steps_added_tightened_and_relaxed():
    last = V1.schedule[-1]
    tighter = replace(last, pass_mark=last.pass_mark + 5)
    added = replace(last, effective_from=date(2028, 1, 3), pass_mark=90)
    after = replace(V1, schedule=(*V1.schedule[:-1], tighter, added))
    changes = compare_versions(V1, after)
    assert [(c.kind, c.subject) for c in changes] == [
        ("step_added", "2028-01-03"),
        ("step_tightened", last.effective_from.isoformat())]
    assert f"raises the pass mark from {last.pass_mark}% to {last.pass_mark + 5}%" in changes[
        1].description
    looser = replace(last, pass_mark=last.pass_mark - 5, relaxation=True, reason="Winter")
    relaxed = compare_versions(V1, replace(V1, schedule=(*V1.schedule[:-1], looser)))
    assert kinds(relaxed) == ["step_relaxed"]


def test_the_shipped_second_version_is_described():
    changes = compare_versions(V1, V2)
    assert changes, "version 2 changes version 1"
    assert all(change.description for change in changes)


@given(st.integers(0, len(V1.items) - 1), st.integers(0, 5))
def test_any_reweighting_is_reported_once_for_its_item(index, extra):
    item = V1.items[index]
    items = tuple(replace(i, weight=i.weight + extra) if i.id == item.id else i
                  for i in V1.items)
    changes = compare_versions(V1, replace(V1, items=items))
    expected = [] if extra == 0 else [("item_reweighted", item.id)]
    assert [(c.kind, c.subject) for c in changes] == expected
