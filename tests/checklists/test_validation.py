"""Broken or tampered definitions are rejected with a message that says what to fix, and where."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from accreditation.checklists import (
    DefinitionError,
    fingerprint,
    load_definition,
    read_definition,
    validate_path,
)

from .helpers import BASE_DEFINITION, edit, write_definition


@dataclass
class Case:
    id: str
    edits: list[tuple[str, str]]
    code: str
    message: str  # a fragment the commissioner must see
    line_of: str | None = None  # the problem must point at the line where this text starts
    line_after: str = ""  # ... searching from where this text is
    item_id: str | None = None
    also: set[str] = field(default_factory=set)  # other codes the same edit may cause
    folder: str = "property_inspection"
    name: str = "v1.yaml"


CASES = [
    Case(
        "bad yaml: tab indentation",
        [("    weight: 2\n", "\tweight: 2\n")],
        "bad_yaml",
        "this is not valid YAML",
        line_of="\tweight: 2",
    ),
    Case(
        "bad yaml: unclosed list",
        [("critical_items: [fire_doors]", "critical_items: [fire_doors")],
        "bad_yaml",
        "check the indentation and quoting",
    ),
    Case(
        "anchors and aliases",
        [
            ("    critical_items: []", "    critical_items: &none []"),
            ("critical_items: [fire_doors]", "critical_items: *none"),
        ],
        "bad_yaml",
        "anchors and aliases (& and *) are not allowed",
        line_of="critical_items: *none",
    ),
    Case(
        "same key twice in an item",
        [("    weight: 2\n", "    weight: 2\n    weight: 0\n")],
        "duplicate_key",
        "'weight' appears more than once in the same entry",
        line_of="    weight: 0",
    ),
    Case(
        "unknown answer type",
        [("answer_type: graded", "answer_type: multiple_choice")],
        "schema_enum",
        "item 'fire_doors': answer_type is 'multiple_choice', which is not an answer type "
        "(use one of: yes_no, graded, number, free_text)",
        line_of="answer_type: multiple_choice",
        item_id="fire_doors",
    ),
    Case(
        "negative weight",
        [("    weight: 2\n", "    weight: -1\n")],
        "schema_minimum",
        "item 'fire_doors': weight must be 0 or more (found -1)",
        line_of="weight: -1",
        item_id="fire_doors",
    ),
    Case(
        "fractional weight",
        [("    weight: 2\n", "    weight: 1.5\n")],
        "schema_type",
        "item 'fire_doors': weight must be a whole number (found 1.5)",
        line_of="weight: 1.5",
        item_id="fire_doors",
    ),
    Case(
        "missing answer type",
        [("    answer_type: graded\n", "")],
        "schema_required",
        "item 'fire_doors' is missing 'answer_type'",
        line_of="  - id: fire_doors",
        item_id="fire_doors",
    ),
    Case(
        "missing title",
        [("title: Test inspection\n", "")],
        "schema_required",
        "the definition is missing 'title'",
    ),
    Case(
        "misspelt field",
        [("    weight: 2\n", "    wieght: 2\n")],
        "schema_additionalProperties",
        "item 'fire_doors' has 'wieght', which is not part of the format (check the spelling",
        line_of="  - id: fire_doors",
        item_id="fire_doors",
    ),
    Case(
        "yes instead of true",
        [("    critical: true\n", "    critical: yes\n")],
        "schema_type",
        "item 'gas_safety_certificate': critical must be true or false (found 'yes')",
        line_of="critical: yes",
        item_id="gas_safety_certificate",
    ),
    Case(
        "item id not a slug",
        [("  - id: fire_doors", "  - id: Fire Doors")],
        "schema_pattern",
        "must be lower-case letters, digits and underscores",
        line_of="  - id: Fire Doors",
        also={"unknown_critical_item"},
    ),
    Case(
        "pass mark above 100",
        [("pass_mark: 65", "pass_mark: 120")],
        "schema_maximum",
        "threshold step 2 (from 2027-01-04): pass_mark must be 100 or less (found 120)",
        line_of="pass_mark: 120",
    ),
    Case(
        "date in words",
        [("effective_from: 2027-01-04", "effective_from: 4 January 2027")],
        "schema_pattern",
        "it must be a date written as YYYY-MM-DD",
        line_of="effective_from: 4 January 2027",
    ),
    Case(
        "no items",
        [
            (
                BASE_DEFINITION[
                    BASE_DEFINITION.index("items:") : BASE_DEFINITION.index("schedule:")
                ],
                "items: []\n",
            )
        ],
        "schema_minItems",
        "items must list at least 1 entry",
        line_of="items: []",
    ),
    Case(
        "duplicate item id",
        [("  - id: bedroom_size", "  - id: fire_doors")],
        "duplicate_item_id",
        "item id 'fire_doors' is used twice; item ids must be unique",
        line_of="  - id: fire_doors\n    section: accommodation",
        item_id="fire_doors",
    ),
    Case(
        "duplicate section id",
        [
            (
                "  - id: accommodation\n    title: Accommodation",
                "  - id: protection\n    title: Rooms",
            )
        ],
        "duplicate_section_id",
        "section id 'protection' is used twice",
        line_of="  - id: protection\n    title: Rooms",
        also={"unknown_section"},
    ),
    Case(
        "item in unknown section",
        [("    section: accommodation\n    text: Notes", "    section: outside\n    text: Notes")],
        "unknown_section",
        "item 'notes' is in section 'outside', which is not listed under sections "
        "(known: protection, accommodation)",
        line_of="    section: outside",
        item_id="notes",
    ),
    Case(
        "section without items",
        [
            (
                "  - id: accommodation\n",
                "  - id: support\n    title: Support\n  - id: accommodation\n",
            )
        ],
        "empty_section",
        "section 'support' has no items",
        line_of="  - id: support",
    ),
    Case(
        "critical item that does not exist",
        [("critical_items: [fire_doors]", "critical_items: [fire_door]")],
        "unknown_critical_item",
        "threshold step 2 (from 2027-01-04) makes 'fire_door' critical, but there is no item "
        "with that id",
        line_of="critical_items: [fire_door]",
        item_id="fire_door",
    ),
    Case(
        "critical free text in the schedule",
        [("critical_items: [fire_doors]", "critical_items: [fire_doors, notes]")],
        "free_text_critical",
        "makes 'notes' critical, but it is free text, which can never fail",
        item_id="notes",
    ),
    Case(
        "critical free text item",
        [("    answer_type: free_text\n", "    answer_type: free_text\n    critical: true\n")],
        "free_text_critical",
        "item 'notes' is free text, which can never fail, so it cannot be critical",
        line_of="    critical: true",
        line_after="answer_type: free_text",
        item_id="notes",
    ),
    Case(
        "free text with weight",
        [("    answer_type: free_text\n", "    answer_type: free_text\n    weight: 1\n")],
        "free_text_weight",
        "item 'notes' is free text, which is never scored, but has weight 1; set its weight to 0",
        line_of="    weight: 1",
        item_id="notes",
    ),
    Case(
        "number without pass range",
        [("    pass_range: {min: 6.51}\n", "")],
        "number_without_range",
        "item 'bedroom_size' is a number but has no pass_range",
        line_of="  - id: bedroom_size",
        item_id="bedroom_size",
    ),
    Case(
        "number without unit",
        [("    unit: m²\n", "")],
        "number_without_unit",
        "item 'bedroom_size' is a number but has no unit",
        item_id="bedroom_size",
    ),
    Case(
        "pass range that nothing can pass",
        [("{min: 6.51}", "{min: 10, max: 5}")],
        "empty_pass_range",
        "pass_range whose min is above its max",
        line_of="pass_range: {min: 10, max: 5}",
        item_id="bedroom_size",
    ),
    Case(
        "infinite pass range",
        [("{min: 6.51}", "{min: 6.51, max: .inf}")],
        "pass_range_not_finite",
        "item 'bedroom_size' has a pass_range bound that is not a finite number",
        line_of="pass_range: {min: 6.51, max: .inf}",
        item_id="bedroom_size",
    ),
    Case(
        "pass grade on a yes/no item",
        [("    critical: true\n", "    critical: true\n    pass_grade: 2\n")],
        "pass_grade_not_graded",
        "only graded items have a pass grade",
        line_of="pass_grade: 2",
        item_id="gas_safety_certificate",
    ),
    Case(
        "unit on a graded item",
        [("    weight: 2\n", "    weight: 2\n    unit: points\n")],
        "range_not_number",
        "item 'fire_doors' has a unit but its answer type is 'graded'",
        item_id="fire_doors",
    ),
    Case(
        "file types on a property checklist",
        [("    weight: 2\n", "    weight: 2\n    applies_to_files: [staff]\n")],
        "context_not_used",
        "item 'fire_doors' has 'applies_to_files', which property_inspection checklists do not "
        "use; use 'applies_to' instead",
        item_id="fire_doors",
    ),
    Case(
        "no scored item for a category",
        [
            ("    critical: true\n", "    critical: true\n    applies_to: [supported_lodgings]\n"),
            ("    weight: 2\n", "    weight: 2\n    applies_to: [supported_lodgings]\n"),
            ("    unit: m²\n", "    unit: m²\n    applies_to: [supported_lodgings]\n"),
        ],
        "nothing_scored",
        "no scored item applies to 'single_occupancy'; such an assessment could never pass",
    ),
    Case(
        "sample size on a property checklist",
        [("title: Test inspection\n", "title: Test inspection\nsample_size: {minimum: 5}\n")],
        "sample_size_not_used",
        "sample_size only applies to file_sampling checklists",
        line_of="sample_size:",
    ),
    Case(
        "file sampling without a sample size",
        [("kind: property_inspection", "kind: file_sampling")],
        "sample_size_missing",
        "a file_sampling checklist must state its sample_size rule",
        folder="file_sampling",
    ),
    Case(
        "section minimum for an unknown section",
        [("      protection: 60\n", "      protection: 60\n      support: 50\n")],
        "unknown_section_minimum",
        "threshold step 2 (from 2027-01-04) sets a minimum for section 'support', which this "
        "checklist does not have",
        line_of="      support: 50",
    ),
    Case(
        "impossible date",
        [("effective_from: 2027-01-04", "effective_from: 2027-02-30")],
        "invalid_date",
        "'2027-02-30' is not a real date",
        line_of="effective_from: 2027-02-30",
    ),
    Case(
        "steps out of order",
        [("effective_from: 2027-01-04", "effective_from: 2026-08-01")],
        "steps_out_of_order",
        "threshold step 2 starts on 2026-08-01, not after the step before it (2026-09-01)",
        line_of="effective_from: 2026-08-01",
    ),
    Case(
        "two steps on the same day",
        [("effective_from: 2027-01-04", "effective_from: 2026-09-01\n")],
        "steps_out_of_order",
        "list steps in date order, each on a later date",
    ),
    Case(
        "later step lowers the pass mark",
        [("pass_mark: 65", "pass_mark: 55")],
        "looser_step",
        "threshold step 2 (from 2027-01-04) lowers the pass mark from 60% to 55% compared with "
        "the step before it; standards only rise unless a step is marked 'relaxation: true' "
        "with a reason",
        line_of="  - effective_from: 2027-01-04",
    ),
    Case(
        "later step lowers a section minimum",
        [("      protection: 60\n", "      protection: 40\n")],
        "looser_step",
        "lowers the minimum for section 'protection' from 50% to 40%",
    ),
    Case(
        "later step drops a section minimum",
        [("      protection: 60\n", "      accommodation: 60\n")],
        "looser_step",
        "lowers the minimum for section 'protection' from 50% to 0%",
    ),
    Case(
        "later step drops a critical item",
        [("    critical_items: []", "    critical_items: [bedroom_size]")],
        "looser_step",
        "no longer treats 'bedroom_size' as critical",
    ),
    Case(
        "relaxation without a reason",
        [("pass_mark: 65", "pass_mark: 55\n    relaxation: true")],
        "relaxation_without_reason",
        "is marked as a relaxation but gives no reason",
        line_of="relaxation: true",
    ),
    Case(
        "file name does not match the version",
        [],
        "file_name_mismatch",
        "the file says version 1 but is named 'v2.yaml'; name it 'v1.yaml'",
        line_of="version: 1",
        name="v2.yaml",
    ),
    Case(
        "file not named by version",
        [],
        "file_name_mismatch",
        "is named 'inspection.yaml'",
        name="inspection.yaml",
    ),
    Case(
        "file in another kind's folder",
        [],
        "kind_folder_mismatch",
        "the file says kind 'property_inspection' but is in the folder 'due_diligence'",
        line_of="kind: property_inspection",
        folder="due_diligence",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_definition_gives_specific_problem(tmp_path: Path, case: Case) -> None:
    text = edit(BASE_DEFINITION, case.edits)
    path = write_definition(tmp_path, text, folder=case.folder, name=case.name)

    problems = validate_path(path)

    matching = [p for p in problems if p.code == case.code]
    assert matching, f"expected {case.code}, got {[str(p) for p in problems]}"
    problem = matching[0]
    assert case.message in problem.message
    assert problem.path == str(path)
    assert case.message in str(problem) and str(path) in str(problem)
    if case.line_of is not None:
        start = text.index(case.line_of, text.index(case.line_after))
        assert problem.line == text[:start].count("\n") + 1
    if case.item_id is not None:
        assert problem.item_id == case.item_id
    assert {p.code for p in problems} <= {case.code} | case.also
    # The same file cannot be loaded for use.
    with pytest.raises(DefinitionError) as raised:
        load_definition(path)
    assert case.message in str(raised.value)


def test_base_definition_is_valid(tmp_path: Path) -> None:
    assert validate_path(write_definition(tmp_path, BASE_DEFINITION)) == []


def test_marked_relaxation_may_loosen(tmp_path: Path) -> None:
    text = edit(
        BASE_DEFINITION,
        [
            (
                "pass_mark: 65",
                "pass_mark: 55\n    relaxation: true\n"
                "    reason: Too many providers failed the new fire door standard; agreed by "
                "the commissioning board on 2026-12-10",
            ),
            ("critical_items: [fire_doors]", "critical_items: []"),
        ],
    )
    assert validate_path(write_definition(tmp_path, text)) == []


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"", "empty_file", "the file is empty"),
        (b"# only a comment\n", "empty_file", "the file is empty"),
        (b"- one\n- two\n", "not_a_mapping", "a definition must be a set of named fields"),
        (b"kind: property_inspection\xff\n", "not_text", "the file is not UTF-8 text"),
    ],
)
def test_unusable_files(tmp_path: Path, content: bytes, code: str, message: str) -> None:
    path = tmp_path / "property_inspection" / "v1.yaml"
    path.parent.mkdir()
    path.write_bytes(content)
    (problem,) = validate_path(path)
    assert problem.code == code
    assert problem.message.startswith(message)


def test_directory_reports_every_file(tmp_path: Path) -> None:
    write_definition(tmp_path, BASE_DEFINITION)
    write_definition(
        tmp_path, edit(BASE_DEFINITION, [("pass_mark: 65", "pass_mark: 55")]), name="v1.yml"
    )
    write_definition(
        tmp_path,
        edit(BASE_DEFINITION, [("version: 1", "version: 2"), ("weight: 3", "weight: -3")]),
        name="v2.yaml",
    )
    codes = sorted(p.code for p in validate_path(tmp_path))
    assert codes == ["file_name_mismatch", "looser_step", "schema_minimum"]


def test_loaded_definition_fills_defaults(tmp_path: Path) -> None:
    version, problems = read_definition(write_definition(tmp_path, BASE_DEFINITION))
    assert problems == [] and version is not None
    bedroom = version.item("bedroom_size")
    assert (bedroom.weight, bedroom.critical, bedroom.pass_min, bedroom.pass_max) == (
        1,
        False,
        6.51,
        None,
    )
    assert version.item("fire_doors").pass_grade == 2
    assert version.item("notes").weight == 0
    assert version.schedule[0].grace_days == 0


# --- published versions are immutable ------------------------------------------------------------


def _published(tmp_path: Path) -> dict[tuple[str, int], str]:
    version = load_definition(write_definition(tmp_path / "original", BASE_DEFINITION))
    return {("property_inspection", 1): fingerprint(version)}


def test_edited_published_version_is_reported(tmp_path: Path) -> None:
    published = _published(tmp_path)
    path = write_definition(tmp_path, edit(BASE_DEFINITION, [("weight: 3", "weight: 2")]))

    (problem,) = validate_path(path, published=published)

    assert problem.code == "published_version_edited"
    assert problem.message.startswith(
        "version 1 of property_inspection was published and has been edited: "
        "publish the change as version 2"
    )


def test_next_version_number_skips_published_ones(tmp_path: Path) -> None:
    published = _published(tmp_path) | {("property_inspection", 2): "0" * 64}
    path = write_definition(tmp_path, edit(BASE_DEFINITION, [("weight: 3", "weight: 2")]))
    (problem,) = [p for p in validate_path(path, published=published)]
    assert "publish the change as version 3" in problem.message


@pytest.mark.parametrize(
    "edits",
    [
        [("# A small checklist for tests.", "# Reworded comment only.")],
        [
            ("title: Test inspection\n", ""),
            ("kind: property_inspection\n", "kind: property_inspection\ntitle: Test inspection\n"),
        ],
        [("    unit: m²\n", "    unit: m²\n    weight: 1\n    critical: false\n")],
        [("{min: 6.51}", "\n      min: 6.51")],
    ],
    ids=["comment", "key order", "explicit defaults", "flow or block style"],
)
def test_changes_without_meaning_keep_the_fingerprint(
    tmp_path: Path, edits: list[tuple[str, str]]
) -> None:
    published = _published(tmp_path)
    path = write_definition(tmp_path, edit(BASE_DEFINITION, edits))
    assert validate_path(path, published=published) == []


def test_missing_published_file_is_reported(tmp_path: Path) -> None:
    write_definition(tmp_path, BASE_DEFINITION)
    published = _published(tmp_path) | {("property_inspection", 2): "0" * 64}

    (problem,) = validate_path(tmp_path, published=published)

    assert problem.code == "published_version_missing"
    assert problem.path == str(tmp_path / "property_inspection" / "v2.yaml")
    assert "version 2 of property_inspection was published but its file is missing" in (
        problem.message
    )


def test_kind_folder_only_expects_its_own_kind(tmp_path: Path) -> None:
    write_definition(tmp_path, BASE_DEFINITION)
    published = _published(tmp_path) | {("due_diligence", 1): "0" * 64}
    assert validate_path(tmp_path / "property_inspection", published=published) == []
