"""Checklists as spreadsheets and YAML: round trips keep the fingerprint, and every problem in an
edited file is named by its sheet, row and column (or its line)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from accreditation.checklists import ChecklistVersion, fingerprint, shipped_versions
from accreditation.checklists.validation import check_definition
from accreditation.checklists.workbook import (
    ITEMS,
    MAX_FILE_BYTES,
    SCHEDULE,
    WorkbookProblems,
    from_xlsx,
    from_yaml,
    import_definition,
    to_xlsx,
    to_yaml,
)

SHIPPED = shipped_versions()
INSPECTION = SHIPPED[("property_inspection", 2)]


def same_meaning(definition: dict[str, Any], version: ChecklistVersion) -> bool:
    return fingerprint(ChecklistVersion.from_dict(definition)) == fingerprint(version)


def edited(version: ChecklistVersion, change: Callable[[Any], None]) -> bytes:
    """The exported workbook of ``version`` with ``change`` applied to it, as a person would."""
    book = load_workbook(io.BytesIO(to_xlsx(version.to_dict())))
    change(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def problems(data: bytes) -> list[str]:
    with pytest.raises(WorkbookProblems) as raised:
        from_xlsx(data)
    return [str(problem) for problem in raised.value.problems]


def column_of(sheet: Any, header: str) -> str:
    for cell in sheet[1]:
        if cell.value == header:
            return cell.column_letter
    raise KeyError(header)


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(SHIPPED), ids=lambda k: f"{k[0]}-v{k[1]}")
def test_every_shipped_version_survives_a_spreadsheet_and_a_yaml_round_trip(key) -> None:
    version = SHIPPED[key]
    assert same_meaning(from_xlsx(to_xlsx(version.to_dict())), version)
    assert same_meaning(from_yaml(to_yaml(version.to_dict())), version)


def test_the_workbook_has_the_sheets_and_cells_a_commissioner_expects() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(INSPECTION.to_dict())))
    assert book.sheetnames == ["Read me", "Checklist", "Sections", "Items", "Schedule"]
    items = book[ITEMS]
    assert [c.value for c in items[1]][:7] == [
        "Section id", "Section title", "Item id", "Label", "Question", "Answer type", "Weight"]
    assert items.freeze_panes == "D2"
    assert items["F2"].value == INSPECTION.items[0].answer_type
    assert len(items["A"]) == len(INSPECTION.items) + 1
    choices = {str(v.sqref).split(":")[0]: v.formula1
               for v in items.data_validations.dataValidation}
    assert choices["F2"] == '"yes_no,graded,number,free_text"'
    assert choices["H2"] == '"yes,no"'
    schedule = book[SCHEDULE]
    assert schedule["A2"].value.date() == INSPECTION.schedule[0].effective_from
    assert schedule["A2"].is_date
    headers = [c.value for c in schedule[1]]
    assert "Minimum (%): protection" in headers
    readme = "\n".join(str(c.value) for row in book["Read me"].iter_rows() for c in row if c.value)
    assert "Answer type" in readme and "Critical items" in readme


def test_text_that_looks_like_a_formula_stays_text() -> None:
    definition = INSPECTION.to_dict()
    definition["items"][0]["guidance"] = "=HYPERLINK(\"http://example.com\")"
    data = to_xlsx(definition)
    cell = load_workbook(io.BytesIO(data))[ITEMS]["Q2"]
    assert cell.data_type == "s"
    assert from_xlsx(data)["items"][0]["guidance"] == definition["items"][0]["guidance"]


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"),
                              blacklist_characters="\ufffe\uffff")
                | st.sampled_from("\n\t"), max_size=40)
_WORDS = _TEXT.filter(lambda s: s.strip() != "")
_BOUND = st.integers(0, 500) | st.integers(1, 99_999).map(lambda n: n / 100).filter(
    lambda x: not float(x).is_integer())


@st.composite
def valid_definitions(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped definition with its words, weights, flags, ranges and order of values varied."""
    base = draw(st.sampled_from(sorted(SHIPPED)))
    definition = SHIPPED[base].to_dict()
    definition["title"] = draw(_WORDS)
    definition["description"] = draw(_TEXT)
    definition["version"] = draw(st.integers(1, 10_000))
    for section in definition["sections"]:
        section["title"] = draw(_WORDS)
        section["description"] = draw(_TEXT)
    for item in draw(st.lists(st.sampled_from(definition["items"]), max_size=6, unique_by=id)):
        item["label"], item["text"], item["guidance"] = draw(_TEXT), draw(_WORDS), draw(_TEXT)
        for flag in ("allow_not_applicable", "evidence_required", "photo_required"):
            item[flag] = draw(st.booleans())
        if item["answer_type"] != "free_text":
            item["weight"] = draw(st.integers(0, 20))
        for field in ("applies_to", "applies_to_files"):
            if field in item:
                item[field] = draw(st.permutations(item[field]))
        if item["answer_type"] == "graded":
            item["pass_grade"] = draw(st.integers(0, 3))
        if item["answer_type"] == "number":
            low, high = sorted(draw(st.lists(_BOUND, min_size=2, max_size=2)))
            item["pass_range"] = draw(st.sampled_from(
                [{"min": low}, {"max": high}, {"min": low, "max": high}]))
            item["unit"] = draw(_WORDS)
    for step in definition["schedule"]:
        step["reason"] = draw(_TEXT)
        step["grace_days"] = draw(st.integers(0, 400))
        step["critical_items"] = draw(st.permutations(step["critical_items"]))
    path = f"{definition['kind']}/v{definition['version']}.yaml"
    assume(not check_definition(definition, {}, path))
    return definition


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definition=valid_definitions())
def test_any_valid_definition_keeps_its_fingerprint_through_a_spreadsheet(definition) -> None:
    version = ChecklistVersion.from_dict(definition)
    assert same_meaning(from_xlsx(to_xlsx(definition)), version)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definition=valid_definitions())
def test_any_valid_definition_keeps_its_fingerprint_through_yaml(definition) -> None:
    version = ChecklistVersion.from_dict(definition)
    assert same_meaning(from_yaml(to_yaml(definition)), version)


# --- problems, each named by its cell -----------------------------------------------------------


def test_text_in_a_number_column_names_the_cell() -> None:
    def change(book):
        book[ITEMS]["G7"] = "three"

    assert problems(edited(INSPECTION, change)) == ["Items, row 7, column G: Weight must be a "
                                                    "whole number"]


def test_a_duplicated_item_id_names_the_second_cell() -> None:
    def change(book):
        book[ITEMS]["C4"] = book[ITEMS]["C3"].value

    # The item that lost its id was critical in every step: that is reported too.
    problem, *others = problems(edited(INSPECTION, change))
    assert len(others) == len(INSPECTION.schedule)
    assert problem.startswith("Items, row 4, column C: Item id '")
    assert "is used twice" in problem


def test_an_unknown_category_and_answer_type_name_their_cells() -> None:
    def change(book):
        book[ITEMS]["L5"] = "single_occupancy, castles"
        book[ITEMS]["F6"] = "maybe"

    assert problems(edited(INSPECTION, change)) == [
        "Items, row 5, column L: Applies to has 'castles', which is not one of: "
        "single_occupancy, ring_fenced_shared, non_ring_fenced_shared, supported_lodgings",
        "Items, row 6, column F: Answer type must be one of: yes_no, graded, number, free_text",
    ]


def test_a_missing_sheet_and_a_missing_column_are_named() -> None:
    def change(book):
        del book[SCHEDULE]
        book[ITEMS].delete_cols(7)

    found = problems(edited(INSPECTION, change))
    assert "Schedule: The workbook has no 'Schedule' sheet; add it back as exported" in found


def test_a_missing_column_is_named() -> None:
    def change(book):
        book[ITEMS].delete_cols(7)

    found = problems(edited(INSPECTION, change))
    assert "Items, row 1: The Items sheet has no 'Weight' column; add it back as exported" in found


def test_a_step_that_loosens_without_relaxation_names_its_row() -> None:
    def change(book):
        sheet = book[SCHEDULE]
        sheet["B4"] = 10

    [problem] = problems(edited(INSPECTION, change))
    assert problem.startswith("Schedule, row 4: Threshold step 3")
    assert "lowers the pass mark" in problem and "relaxation" in problem


def test_a_relaxation_with_a_reason_may_loosen() -> None:
    def change(book):
        sheet = book[SCHEDULE]
        sheet["B4"], sheet["D4"], sheet["E4"] = 10, "yes", "A shortage of housing"

    assert from_xlsx(edited(INSPECTION, change))["schedule"][2]["pass_mark"] == 10


def test_rules_of_validation_are_put_back_on_their_cells() -> None:
    def change(book):
        items, schedule = book[ITEMS], book[SCHEDULE]
        items["A3"] = "nowhere"  # a section that is not listed
        schedule["D3"] = "yes"  # a relaxation without a reason
        schedule["F4"] = "escape_routes, no_such_item"
        schedule["A3"] = date(2020, 1, 1)  # out of date order

    found = problems(edited(INSPECTION, change))
    expected_starts = [
        "Items, row 3, column A: Item '",
        "Schedule, row 3, column D: Threshold step 2",
        "Schedule, row 4, column F: Threshold step 3",
        "Schedule, row 3, column A: Threshold step 2",
    ]
    for start in expected_starts:
        assert any(p.startswith(start) for p in found), (start, found)


def test_a_number_out_of_range_names_its_cell() -> None:
    def change(book):
        schedule = book[SCHEDULE]
        schedule[f"{column_of(schedule, 'Minimum (%): protection')}2"] = 120

    protection = column_of(load_workbook(io.BytesIO(to_xlsx(INSPECTION.to_dict())))[SCHEDULE],
                           "Minimum (%): protection")
    [problem] = problems(edited(INSPECTION, change))
    assert problem.startswith(f"Schedule, row 2, column {protection}: Threshold step 1")
    assert "must be 100 or less (found 120)" in problem


def test_an_empty_cell_that_must_be_filled_in_is_named() -> None:
    def change(book):
        book[ITEMS]["E5"] = None

    assert problems(edited(INSPECTION, change)) == ["Items, row 5, column E: Question must not "
                                                    "be empty"]


def test_every_problem_is_listed_at_once() -> None:
    def change(book):
        book[ITEMS]["G7"] = "three"
        book[ITEMS]["H8"] = "perhaps"
        book[ITEMS]["N9"] = "lots"
        book[SCHEDULE]["A2"] = "soon"
        book["Checklist"]["B3"] = "one"

    found = problems(edited(INSPECTION, change))
    assert sorted(found) == sorted([
        "Items, row 7, column G: Weight must be a whole number",
        "Items, row 8, column H: Critical must be yes or no",
        "Items, row 9, column N: Pass minimum must be a number",
        "Schedule, row 2, column A: Effective from must be a date, for example 2027-04-05",
        "Checklist, row 3, column B: Version must be a whole number",
    ])


def test_a_formula_is_refused() -> None:
    def change(book):
        book[ITEMS]["G2"] = "=1+1"

    assert problems(edited(INSPECTION, change)) == [
        "Items, row 2, column G: Enter the value itself, not a formula"]


def test_an_unknown_column_is_named() -> None:
    def change(book):
        book[ITEMS]["R1"] = "Notes"

    assert problems(edited(INSPECTION, change)) == [
        "Items, row 1, column R: 'Notes' is not a column of the Items sheet; remove it or use "
        "one of the headings as exported"]


# --- files that are not workbooks ---------------------------------------------------------------


NOT_A_WORKBOOK = ("The file is not an Excel workbook (.xlsx): export the checklist again, or "
                  "save the file as an Excel workbook")


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries.items():
            package.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("data", [
    b"kind: property_inspection\n",
    b"%PDF-1.7\n",
    b"PK\x03\x04 not really a zip",
    _zip({"hello.txt": b"hello"}),
    _zip({"[Content_Types].xml": b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "a">]><x/>'}),
], ids=["yaml", "pdf", "broken zip", "other zip", "doctype"])
def test_a_file_that_is_not_a_workbook_is_refused_with_one_message(data) -> None:
    assert problems(data) == [NOT_A_WORKBOOK]


def test_a_huge_file_or_zip_bomb_is_refused_with_one_message() -> None:
    [problem] = problems(b"PK" + b"\0" * MAX_FILE_BYTES)
    assert "larger than 5 MB" in problem
    bomb = _zip({"xl/worksheets/sheet1.xml": b" " * (60 * 1024 * 1024)})
    assert len(bomb) < 200_000
    [problem] = problems(bomb)
    assert "unpacks to more than 25 MB" in problem


def test_too_many_rows_are_refused() -> None:
    def change(book):
        sheet = book[SCHEDULE]
        for row in range(10, 300):
            sheet.cell(row=row, column=5, value="x")

    found = problems(edited(INSPECTION, change))
    assert found == ["Schedule: The sheet has more than 200 rows, far more than a checklist needs"]


# --- YAML ---------------------------------------------------------------------------------------


def test_yaml_problems_name_their_lines() -> None:
    text = to_yaml(INSPECTION.to_dict())
    lines = text.splitlines()
    weight = next(n for n, line in enumerate(lines) if line.strip().startswith("weight:"))
    lines[weight] = lines[weight].replace(lines[weight].strip(), "weight: three")
    with pytest.raises(WorkbookProblems) as raised:
        from_yaml("\n".join(lines))
    [problem] = raised.value.problems
    assert problem.line == weight + 1
    assert str(problem).startswith(f"line {weight + 1}: Item '")
    assert "must be a whole number" in str(problem)


def test_yaml_that_does_not_parse_names_its_line() -> None:
    with pytest.raises(WorkbookProblems) as raised:
        from_yaml("kind: property_inspection\nversion: [\n")
    assert raised.value.problems[0].line is not None


def test_import_definition_reads_either_kind_of_file(tmp_path) -> None:
    xlsx, text = tmp_path / "checklist.xlsx", tmp_path / "checklist.yaml"
    xlsx.write_bytes(to_xlsx(INSPECTION.to_dict()))
    text.write_text(to_yaml(INSPECTION.to_dict()), encoding="utf-8")
    assert same_meaning(import_definition(xlsx), INSPECTION)
    assert same_meaning(import_definition(text), INSPECTION)
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not text")
    with pytest.raises(WorkbookProblems, match="neither an Excel workbook"):
        import_definition(binary)


_CELL_VALUES = st.one_of(
    st.none(), st.text(max_size=12).filter(lambda s: s.isprintable()), st.integers(-5, 500),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.dates(date(1900, 1, 2), date(2100, 1, 1)),
    st.sampled_from(["yes", "no", "graded", "number", "staff", "escape_routes", "protection"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(["Checklist", "Sections", ITEMS, SCHEDULE]),
                                  st.integers(1, 12), st.integers(1, 20), _CELL_VALUES),
                        min_size=1, max_size=8))
def test_any_edit_gives_a_definition_or_problems_never_an_error(changes) -> None:
    def change(book):
        for sheet, row, column, value in changes:
            book[sheet].cell(row=row, column=column, value=value)

    data = edited(SHIPPED[("file_sampling", 1)], change)
    try:
        definition = from_xlsx(data)
    except WorkbookProblems as raised:
        assert raised.problems and all(str(problem) for problem in raised.problems)
    else:
        path = f"{definition['kind']}/v{definition['version']}.yaml"
        assert check_definition(definition, {}, path) == []
