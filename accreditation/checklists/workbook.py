"""Checklist definitions as spreadsheets and as YAML, and back, for commissioners who edit in Excel.

``to_xlsx`` writes a definition's normal form as a workbook (a *Read me* sheet, then *Checklist*,
*Sections*, *Items* and *Schedule*); ``from_xlsx`` reads one back into a definition in normal
form, or raises ``WorkbookProblems`` naming every problem by its sheet, row and column. Every rule
of ``validation.py`` is applied, and each problem it finds is put back on the cell it is about.
``to_yaml`` and ``from_yaml`` do the same for YAML text, naming lines. A round trip keeps the
fingerprint. Pure: no Flask, no database.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .loader import check_text
from .model import ANSWER_TYPES, CONTEXT_FIELD, CONTEXT_VALUES, KINDS, ChecklistVersion
from .problems import Problem
from .source import DocPath
from .validation import check_definition

README, CHECKLIST, SECTIONS = "Read me", "Checklist", "Sections"
ITEMS, SCHEDULE = "Items", "Schedule"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YAML_CONTENT_TYPE = "application/yaml"

# What a file may be before it is opened at all: a definition is a few hundred rows.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 25 * 1024 * 1024
MAX_ZIP_ENTRIES = 100
MAX_ROWS = {CHECKLIST: 50, SECTIONS: 200, ITEMS: 2000, SCHEDULE: 200}

# Problems about the file name and folder of a YAML file do not apply to an import.
_PATH_CODES = {"file_name_mismatch", "kind_folder_mismatch"}
_YES, _NO = "yes", "no"


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem with an imported definition, where it is: a cell, a row, a sheet or a line."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    line: int | None = None
    code: str = "workbook"

    def __str__(self) -> str:
        where = [self.sheet] if self.sheet else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class WorkbookProblems(ValueError):
    """An imported spreadsheet or YAML file is not a valid definition; carries every problem."""

    def __init__(self, problems: Iterable[ImportProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- columns ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    width: int
    explanation: str
    kind: str = "text"  # text, whole, number, yes_no, list, choice, date
    required: bool = False


ITEM_COLUMNS = (
    Column("section", "Section id", 24, "The id of the section the item is in, as on the "
           "Sections sheet.", required=True),
    Column("section_title", "Section title", 28, "The section's title, for reading only: change "
           "it on the Sections sheet (a different title here is reported)."),
    Column("id", "Item id", 28, "A short name for the item that never changes between versions: "
           "lower-case letters, digits and underscores, starting with a letter. Each item id "
           "must be different.", required=True),
    Column("label", "Label", 30, "A short name shown in reports (may be left empty)."),
    Column("text", "Question", 50, "The question the assessor answers.", required=True),
    Column("answer_type", "Answer type", 14, "yes_no (yes or no), graded (0 to 3), number (a "
           "figure with a unit and a pass range) or free_text (notes, never scored).", "choice",
           required=True),
    Column("weight", "Weight", 9, "How many times the item counts towards the score, as a whole "
           "number. Free text items weigh 0. Empty means 1.", "whole"),
    Column("critical", "Critical", 10, "yes if not meeting this item fails the assessment "
           "whatever the score, in every step. Empty means no.", "yes_no"),
    Column("allow_not_applicable", "Not applicable allowed", 14, "yes if the assessor may answer "
           "'not applicable'. Empty means no.", "yes_no"),
    Column("evidence_required", "Evidence required", 12, "yes if the assessor must see or "
           "upload evidence. Empty means no.", "yes_no"),
    Column("photo_required", "Photo required", 11, "yes if the inspector must take a photo. "
           "Empty means no.", "yes_no"),
    Column("applies", "Applies to", 30, "Property inspections: the accommodation categories the "
           "item is asked for, separated by commas (single_occupancy, ring_fenced_shared, "
           "non_ring_fenced_shared, supported_lodgings). File sampling: the files it is asked "
           "for (staff, young_person). Due diligence: leave empty. Empty means all.", "list"),
    Column("pass_grade", "Pass grade", 9, "Graded items only: the lowest grade (0 to 3) that "
           "passes. Empty means 2.", "whole"),
    Column("pass_min", "Pass minimum", 10, "Number items only: the lowest figure that passes "
           "(empty if there is none).", "number"),
    Column("pass_max", "Pass maximum", 10, "Number items only: the highest figure that passes "
           "(empty if there is none).", "number"),
    Column("unit", "Unit", 12, "Number items only: what the figure counts, for example months "
           "or m².", "text"),
    Column("guidance", "Guidance", 60, "What the assessor should look at or ask for."),
)

SECTION_COLUMNS = (
    Column("id", "Section id", 28, "A short name for the section: lower-case letters, digits and "
           "underscores, starting with a letter.", required=True),
    Column("title", "Title", 36, "The section's title as assessors and providers see it.",
           required=True),
    Column("description", "Description", 70, "What the section covers (may be left empty)."),
)

SCHEDULE_COLUMNS = (
    Column("effective_from", "Effective from", 14, "The day the step takes effect (a date). "
           "Steps are listed in date order.", "date", required=True),
    Column("pass_mark", "Pass mark (%)", 12, "The overall score needed to pass, 0 to 100.",
           "whole", required=True),
    Column("grace_days", "Grace days", 10, "Days that providers accredited under an earlier "
           "step have to meet this one. Empty means 0.", "whole"),
    Column("relaxation", "Relaxation", 11, "yes if this step asks for less than the one before "
           "it (a lower pass mark or minimum, or an item no longer critical). A step that "
           "loosens without it is refused. Empty means no.", "yes_no"),
    Column("reason", "Reason", 40, "Why the standard changes; needed for a relaxation."),
    Column("critical_items", "Critical items", 50, "The ids of every item that is critical in "
           "this step, separated by commas. A step stands on its own: list the items that were "
           "critical before as well as those becoming critical.", "list"),
)
MINIMUM_HEADER = "Minimum (%): {}"
_MINIMUM = re.compile(r"^minimum \(%\):\s*(.+)$")

# The Checklist sheet: one row per field (label, value).
CHECKLIST_FIELDS = (
    Column("kind", "Kind", 0, "What is assessed: due_diligence, file_sampling or "
           "property_inspection.", "choice", required=True),
    Column("version", "Version", 0, "The version number, a whole number; a published version "
           "never changes, so a change is published as the next number.", "whole",
           required=True),
    Column("title", "Title", 0, "The checklist's title.", required=True),
    Column("description", "Description", 0, "What the checklist is for (may be left empty)."),
    Column("sample_minimum", "Files to sample at least", 0, "File sampling only: the fewest "
           "files drawn.", "whole"),
    Column("sample_square_root", "Sample the square root of the roster", 0, "File sampling "
           "only: yes to draw the square root of the number of files when that is more.",
           "yes_no"),
    Column("sample_description", "How the sample is drawn", 0, "File sampling only: the rule "
           "in words."),
)


# --- writing ------------------------------------------------------------------------------------


def to_xlsx(definition: Mapping[str, Any]) -> bytes:
    """A workbook of ``definition`` (any valid definition; written in its normal form)."""
    normal = ChecklistVersion.from_dict(definition).to_dict()
    book = Workbook()
    readme = book.active
    readme.title = README
    _write_readme(readme, normal)
    _write_checklist(book.create_sheet(CHECKLIST), normal)
    _write_table(book.create_sheet(SECTIONS), SECTION_COLUMNS,
                 [dict(section) for section in normal["sections"]], freeze="B2")
    titles = {section["id"]: section["title"] for section in normal["sections"]}
    field = CONTEXT_FIELD[normal["kind"]]
    rows = []
    for item in normal["items"]:
        row = dict(item, section_title=titles.get(item["section"], ""))
        if field is not None:
            row["applies"] = item[field]
        pass_range = item.get("pass_range", {})
        row["pass_min"], row["pass_max"] = pass_range.get("min"), pass_range.get("max")
        rows.append(row)
    items = book.create_sheet(ITEMS)
    _write_table(items, ITEM_COLUMNS, rows, freeze="D2")
    _add_choices(items, ITEM_COLUMNS, len(rows))
    section_ids = [section["id"] for section in normal["sections"]]
    columns = SCHEDULE_COLUMNS + tuple(
        Column(f"minimum:{sid}", MINIMUM_HEADER.format(sid), 16,
               f"The lowest score for section {sid}, 0 to 100 (empty: none).", "whole")
        for sid in section_ids)
    steps = []
    for step in normal["schedule"]:
        row = dict(step, effective_from=date.fromisoformat(step["effective_from"]))
        for sid, minimum in step["section_minimums"].items():
            row[f"minimum:{sid}"] = minimum
        steps.append(row)
    schedule = book.create_sheet(SCHEDULE)
    _write_table(schedule, columns, steps, freeze="B2")
    _add_choices(schedule, columns, len(steps))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _set(cell: Any, value: Any) -> None:
    if isinstance(value, bool):
        value = _YES if value else _NO
    elif isinstance(value, list | tuple):
        value = ", ".join(value)
    cell.value = value
    if isinstance(value, str):
        # Text is kept as text: a cell that starts with "=" is never a formula.
        cell.data_type = "s"
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"


def _write_table(sheet: Any, columns: Iterable[Column], rows: list[dict], freeze: str) -> None:
    columns = list(columns)
    for number, column in enumerate(columns, start=1):
        header = sheet.cell(row=1, column=number)
        _set(header, column.header)
        header.font = Font(bold=True)
        header.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    for row_number, row in enumerate(rows, start=2):
        for number, column in enumerate(columns, start=1):
            value = row.get(column.key)
            if value is None:
                continue
            cell = sheet.cell(row=row_number, column=number)
            _set(cell, value)
            if column.width >= 30:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = freeze


def _add_choices(sheet: Any, columns: Iterable[Column], count: int) -> None:
    last = max(count + 1, 2) + 500  # room for rows a commissioner adds
    lists = {"choice": ",".join(ANSWER_TYPES), "yes_no": f"{_YES},{_NO}"}
    for number, column in enumerate(columns, start=1):
        if column.kind not in lists:
            continue
        validation = DataValidation(type="list", formula1=f'"{lists[column.kind]}"',
                                    allow_blank=True, showErrorMessage=True,
                                    errorTitle=column.header,
                                    error=f"Choose one of: {lists[column.kind]}")
        sheet.add_data_validation(validation)
        letter = get_column_letter(number)
        validation.add(f"{letter}2:{letter}{last}")


def _write_checklist(sheet: Any, normal: Mapping[str, Any]) -> None:
    sample = normal.get("sample_size")
    values = {
        "kind": normal["kind"], "version": normal["version"], "title": normal["title"],
        "description": normal["description"],
        "sample_minimum": sample["minimum"] if sample else None,
        "sample_square_root": sample["square_root_of_roster"] if sample else None,
        "sample_description": sample["description"] if sample else None,
    }
    for number, header in enumerate(("Field", "Value"), start=1):
        _set(sheet.cell(row=1, column=number), header)
        sheet.cell(row=1, column=number).font = Font(bold=True)
    for row, field in enumerate(CHECKLIST_FIELDS, start=2):
        _set(sheet.cell(row=row, column=1), field.header)
        if values[field.key] is not None:
            _set(sheet.cell(row=row, column=2), values[field.key])
        sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 80
    kinds = DataValidation(type="list", formula1=f'"{",".join(KINDS)}"', allow_blank=False)
    sheet.add_data_validation(kinds)
    kinds.add("B2")
    sheet.freeze_panes = "A2"


def _write_readme(sheet: Any, normal: Mapping[str, Any]) -> None:
    lines: list[tuple[str, str]] = [
        (f"{normal['title']}, version {normal['version']} ({normal['kind']})", ""),
        ("", ""),
        ("How to use this workbook", ""),
        ("", "Change the Checklist, Sections, Items and Schedule sheets, keep the column headings "
             "as they are, and import the file. Every problem is listed with its sheet, row and "
             "column, and nothing is kept until there are none. A published version never "
             "changes: give your changes the next version number."),
        ("", "Cells are read as they are: enter values, not formulas. yes or no columns take "
             "yes, no or nothing (no)."),
        ("", ""),
        (CHECKLIST, "One row per field of the checklist as a whole."),
    ]
    lines += [(f"  {field.header}", field.explanation) for field in CHECKLIST_FIELDS]
    lines += [("", ""), (SECTIONS, "One row per section, in the order they are shown.")]
    lines += [(f"  {column.header}", column.explanation) for column in SECTION_COLUMNS]
    lines += [("", ""), (ITEMS, "One row per item (question), in the order they are asked.")]
    lines += [(f"  {column.header}", column.explanation) for column in ITEM_COLUMNS]
    lines += [("", ""), (SCHEDULE, "One row per threshold step: what is needed to pass from "
                                   "the day it takes effect until the next step.")]
    lines += [(f"  {column.header}", column.explanation) for column in SCHEDULE_COLUMNS]
    lines.append((f"  {MINIMUM_HEADER.format('<section id>')}",
                  "One column per section: the lowest score that section needs in this step, "
                  "0 to 100. Empty means no minimum. Standards only rise unless the step is a "
                  "relaxation."))
    for row, (name, text) in enumerate(lines, start=1):
        if name:
            _set(sheet.cell(row=row, column=1), name)
        if text:
            _set(sheet.cell(row=row, column=2), text)
            sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        if name and not name.startswith(" "):
            sheet.cell(row=row, column=1).font = Font(bold=True)
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 100


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cell:
    sheet: str
    row: int | None = None
    column: str | None = None


class _Reader:
    """Builds a definition from the sheets, remembering which cell each value came from."""

    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []
        self.cells: list[_Cell] = []
        self.where: dict[DocPath, int] = {}

    def locate(self, path: DocPath, cell: _Cell) -> None:
        self.where[path] = len(self.cells)
        self.cells.append(cell)

    def problem(self, cell: _Cell, message: str, code: str = "workbook") -> None:
        self.problems.append(ImportProblem(message, cell.sheet, cell.row, cell.column,
                                           code=code))

    def cell_of(self, problem: Problem) -> _Cell | None:
        return self.cells[problem.line] if problem.line is not None else None


def from_xlsx(data: bytes) -> dict[str, Any]:
    """The definition in a workbook written by ``to_xlsx`` (and edited), in normal form.

    Raises ``WorkbookProblems`` listing every problem, each with its sheet, row and column.
    """
    _check_package(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise _not_a_workbook() from None
    try:
        reader = _Reader()
        sheets = {}
        for name in (CHECKLIST, SECTIONS, ITEMS, SCHEDULE):
            if name not in book.sheetnames:
                reader.problem(_Cell(name), f"The workbook has no '{name}' sheet; add it back "
                                            "as exported")
                continue
            sheets[name] = _rows(book[name], name, reader)
    finally:
        book.close()
    if reader.problems:
        raise WorkbookProblems(reader.problems)
    for path, name in (((), CHECKLIST), (("sections",), SECTIONS), (("items",), ITEMS),
                       (("schedule",), SCHEDULE)):
        reader.locate(path, _Cell(name))
    definition: dict[str, Any] = _read_checklist(sheets[CHECKLIST], reader)
    kind = definition.get("kind") if definition.get("kind") in KINDS else None
    definition["sections"] = _read_sections(sheets[SECTIONS], reader)
    definition["items"] = _read_items(sheets[ITEMS], kind, definition["sections"], reader)
    definition["schedule"] = _read_schedule(sheets[SCHEDULE], reader)
    # Empty cells that must be filled in were reported above, by their cells.
    found = [p for p in check_definition(definition, reader.where, "workbook")
             if p.code not in _PATH_CODES and p.code != "schema_required"]
    # A cell already reported (unreadable, so left out) is not reported again as missing.
    reported = {(p.sheet, p.row) for p in reader.problems}
    for problem in found:
        cell = reader.cell_of(problem)
        if cell is None:
            reader.problems.append(ImportProblem(_sentence(problem.message), code=problem.code))
        elif cell.column is None and (cell.sheet, cell.row) in reported:
            continue
        else:
            reader.problem(cell, _sentence(problem.message), problem.code)
    if reader.problems:
        raise WorkbookProblems(reader.problems)
    return ChecklistVersion.from_dict(definition).to_dict()


def _not_a_workbook() -> WorkbookProblems:
    return WorkbookProblems([ImportProblem(
        "The file is not an Excel workbook (.xlsx): export the checklist again, or save the "
        "file as an Excel workbook", code="not_a_workbook")])


def _check_package(data: bytes) -> None:
    """Refuse, before parsing, anything that is not a plain, reasonably sized xlsx package."""
    if len(data) > MAX_FILE_BYTES:
        raise WorkbookProblems([ImportProblem(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, far more than a "
            "checklist needs: check it is the right file", code="too_large")])
    if not data.startswith(b"PK"):
        raise _not_a_workbook()
    too_large = WorkbookProblems([ImportProblem(
        f"The workbook unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB, far more "
        "than a checklist needs: check it is the right file", code="too_large")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise too_large
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
                raise too_large
            for entry in entries:
                if entry.filename.endswith((".xml", ".rels")) and _declares_doctype(
                        package, entry):
                    raise _not_a_workbook()
    except WorkbookProblems:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise _not_a_workbook() from None


def _declares_doctype(package: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    # A workbook's XML never declares a document type; one that does may expand entities.
    read = 0
    tail = b""
    with package.open(entry) as stream:
        while chunk := stream.read(64 * 1024):
            read += len(chunk)
            if read > entry.file_size:  # a lying header
                return True
            if b"<!DOCTYPE" in (tail + chunk).upper():
                return True
            tail = chunk[-16:]
    return False


def _rows(sheet: Any, name: str, reader: _Reader) -> list[tuple[int, list[Any]]]:
    """(row number, cell values) of every row that is not empty, after the first."""
    rows: list[tuple[int, list[Any]]] = []
    limit = MAX_ROWS[name]
    for number, row in enumerate(sheet.iter_rows(), start=1):
        values = []
        for position, cell in enumerate(row, start=1):
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f":
                reader.problem(_Cell(name, number, get_column_letter(position)),
                               "Enter the value itself, not a formula", "formula")
                value = None
            if value == "":
                value = None
            values.append(value)
        if all(value is None for value in values):
            continue
        rows.append((number, values))
        if len(rows) > limit:
            reader.problems.append(ImportProblem(
                f"The sheet has more than {limit} rows, far more than a checklist needs",
                name, code="too_many_rows"))
            break
    return rows


def _header(rows: list[tuple[int, list[Any]]], name: str, columns: Iterable[Column],
            reader: _Reader, extra: re.Pattern | None = None) -> dict[str, int]:
    """Column positions by key, from the first row; problems for missing or unknown headings."""
    if not rows or rows[0][0] != 1:
        reader.problem(_Cell(name, 1), "The first row must hold the column headings")
        return {}
    wanted = {column.header.casefold(): column.key for column in columns}
    positions: dict[str, int] = {}
    for position, value in enumerate(rows[0][1]):
        if value is None:
            continue
        text = str(value).strip().casefold()
        letter = get_column_letter(position + 1)
        if text in wanted and wanted[text] not in positions:
            positions[wanted[text]] = position
        elif extra is not None and (match := extra.match(text)):
            positions[f"minimum:{match.group(1).strip()}"] = position
        else:
            reader.problem(_Cell(name, 1, letter),
                           f"'{value}' is not a column of the {name} sheet; remove it or use "
                           "one of the headings as exported", "unknown_column")
    for column in columns:
        if column.key not in positions:
            reader.problem(_Cell(name, 1), f"The {name} sheet has no '{column.header}' column; "
                                           "add it back as exported", "missing_column")
    return positions


def _value(reader: _Reader, values: list[Any], positions: Mapping[str, int], column: Column,
           cell: _Cell) -> tuple[bool, Any]:
    """(present, value) of one cell read as its column's kind; a problem when it cannot be."""
    position = positions.get(column.key)
    raw = values[position] if position is not None and position < len(values) else None
    if isinstance(raw, str) and not raw.strip() and column.kind not in ("text",):
        raw = None
    name = column.header
    if raw is None:
        if column.required:
            reader.problem(cell, f"{name} must not be empty", "empty")
        return False, None
    match column.kind:
        case "whole":
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
                raw = int(raw)
            if type(raw) is not int:
                reader.problem(cell, f"{name} must be a whole number", "not_a_whole_number")
                return False, None
            return True, raw
        case "number":
            if isinstance(raw, str):
                with contextlib.suppress(ValueError):
                    raw = float(raw) if "." in raw else int(raw)
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                reader.problem(cell, f"{name} must be a number", "not_a_number")
                return False, None
            return True, raw
        case "yes_no":
            text = str(raw).strip().casefold()
            if raw is True or text == _YES:
                return True, True
            if raw is False or text == _NO:
                return True, False
            reader.problem(cell, f"{name} must be yes or no", "not_yes_or_no")
            return False, None
        case "list":
            return True, [part.strip() for part in str(raw).split(",") if part.strip()]
        case "date":
            if isinstance(raw, datetime):
                return True, raw.date().isoformat()
            if isinstance(raw, date):
                return True, raw.isoformat()
            if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
                return True, raw.strip()
            reader.problem(cell, f"{name} must be a date, for example 2027-04-05", "not_a_date")
            return False, None
        case _:
            if isinstance(raw, datetime | date):
                reader.problem(cell, f"{name} must be text, not a date", "not_text")
                return False, None
            text = str(raw) if not isinstance(raw, str) else raw
            if column.kind == "choice":
                text = text.strip()
            return True, text


def _cell(name: str, row: int, positions: Mapping[str, int], key: str) -> _Cell:
    position = positions.get(key)
    return _Cell(name, row, get_column_letter(position + 1) if position is not None else None)


def _read_checklist(rows: list[tuple[int, list[Any]]], reader: _Reader) -> dict[str, Any]:
    by_label = {field.header.casefold(): field for field in CHECKLIST_FIELDS}
    found: dict[str, Any] = {}
    seen: set[str] = set()
    for number, values in rows:
        label = str(values[0]).strip().casefold() if values and values[0] is not None else ""
        if number == 1 and label == "field":
            continue
        field = by_label.get(label)
        if field is None:
            reader.problem(_Cell(CHECKLIST, number, "A"),
                           f"'{values[0]}' is not a field of the checklist; use the names as "
                           "exported", "unknown_field")
            continue
        seen.add(field.key)
        cell = _Cell(CHECKLIST, number, "B")
        present, value = _value(reader, values, {field.key: 1}, field, cell)
        target = {"sample_minimum": ("sample_size", "minimum"),
                  "sample_square_root": ("sample_size", "square_root_of_roster"),
                  "sample_description": ("sample_size", "description")}.get(field.key,
                                                                             (field.key,))
        reader.locate(target, cell)
        if present:
            found[field.key] = value
    for field in CHECKLIST_FIELDS[:3]:
        if field.key not in seen:
            reader.problem(_Cell(CHECKLIST), f"The {CHECKLIST} sheet has no '{field.header}' "
                                             "row; add it back as exported", "missing_field")
    definition = {key: found[key] for key in ("kind", "version", "title", "description")
                  if key in found}
    sample = {key: found[name] for name, key in (
        ("sample_minimum", "minimum"), ("sample_square_root", "square_root_of_roster"),
        ("sample_description", "description")) if name in found}
    if sample:
        definition["sample_size"] = sample
    return definition


def _read_sections(rows: list[tuple[int, list[Any]]], reader: _Reader) -> list[dict[str, Any]]:
    positions = _header(rows, SECTIONS, SECTION_COLUMNS, reader)
    sections = []
    for index, (number, values) in enumerate(rows[1:]):
        section: dict[str, Any] = {}
        reader.locate(("sections", index), _Cell(SECTIONS, number))
        for column in SECTION_COLUMNS:
            cell = _cell(SECTIONS, number, positions, column.key)
            reader.locate(("sections", index, column.key), cell)
            present, value = _value(reader, values, positions, column, cell)
            if present:
                section[column.key] = value
        sections.append(section)
    return sections


def _read_items(rows: list[tuple[int, list[Any]]], kind: str | None,
                sections: list[dict[str, Any]], reader: _Reader) -> list[dict[str, Any]]:
    positions = _header(rows, ITEMS, ITEM_COLUMNS, reader)
    titles = {s.get("id"): s.get("title") for s in sections}
    field = CONTEXT_FIELD.get(kind or "")
    items = []
    for index, (number, values) in enumerate(rows[1:]):
        item: dict[str, Any] = {}
        pass_range: dict[str, Any] = {}
        where: DocPath = ("items", index)
        reader.locate(where, _Cell(ITEMS, number))
        read = {}
        for column in ITEM_COLUMNS:
            cell = _cell(ITEMS, number, positions, column.key)
            present, value = _value(reader, values, positions, column, cell)
            if present:
                read[column.key] = (value, cell)
        for key, (value, cell) in read.items():
            if key == "section_title":
                section = read.get("section", (None,))[0]
                if section in titles and titles[section] != value:
                    reader.problem(cell, f"Section title '{value}' is not the title of section "
                                         f"'{section}' on the {SECTIONS} sheet; change titles "
                                         "there", "section_title_differs")
            elif key == "applies":
                if field is None:
                    if kind == "due_diligence":
                        reader.problem(cell, "Due diligence items apply to the whole "
                                             "organisation: leave Applies to empty",
                                       "applies_not_used")
                    continue
                unknown = [v for v in value if v not in CONTEXT_VALUES[field]]
                if unknown:
                    reader.problem(cell, f"Applies to has {', '.join(map(repr, unknown))}, "
                                         f"which is not one of: "
                                         f"{', '.join(CONTEXT_VALUES[field])}", "unknown_category")
                    continue
                item[field] = value
                reader.locate((*where, field), cell)
            elif key == "answer_type" and value not in ANSWER_TYPES:
                reader.problem(cell, f"Answer type must be one of: {', '.join(ANSWER_TYPES)}",
                               "unknown_answer_type")
            elif key in ("pass_min", "pass_max"):
                pass_range[key[5:]] = value
                reader.locate((*where, "pass_range", key[5:]), cell)
            else:
                item[key] = value
        for key in ("id", "section", "text", "answer_type", "weight", "critical", "label",
                    "guidance", "allow_not_applicable", "evidence_required", "photo_required",
                    "pass_grade", "unit"):
            reader.locate((*where, key), _cell(ITEMS, number, positions, key))
        reader.locate((*where, "pass_range"), _cell(ITEMS, number, positions, "pass_min"))
        if pass_range:
            item["pass_range"] = pass_range
        items.append(item)
    return items


def _read_schedule(rows: list[tuple[int, list[Any]]], reader: _Reader) -> list[dict[str, Any]]:
    positions = _header(rows, SCHEDULE, SCHEDULE_COLUMNS, reader, extra=_MINIMUM)
    minimum_keys = [key for key in positions if key.startswith("minimum:")]
    steps = []
    for index, (number, values) in enumerate(rows[1:]):
        step: dict[str, Any] = {}
        where: DocPath = ("schedule", index)
        reader.locate(where, _Cell(SCHEDULE, number))
        for column in SCHEDULE_COLUMNS:
            cell = _cell(SCHEDULE, number, positions, column.key)
            reader.locate((*where, column.key), cell)
            present, value = _value(reader, values, positions, column, cell)
            if present:
                step[column.key] = value
        minimums = {}
        for key in minimum_keys:
            column = Column(key, MINIMUM_HEADER.format(key[8:]), 0, "", "whole")
            cell = _cell(SCHEDULE, number, positions, key)
            reader.locate((*where, "section_minimums", key[8:]), cell)
            present, value = _value(reader, values, positions, column, cell)
            if present:
                minimums[key[8:]] = value
        step["section_minimums"] = minimums
        for position in range(len(step.get("critical_items", []))):
            reader.locate((*where, "critical_items", position),
                          _cell(SCHEDULE, number, positions, "critical_items"))
        steps.append(step)
    return steps


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] if message else message


# --- YAML ---------------------------------------------------------------------------------------


def to_yaml(definition: Mapping[str, Any]) -> str:
    """YAML text of ``definition`` in its normal form (every default written out)."""
    normal = ChecklistVersion.from_dict(definition).to_dict()
    text = yaml.safe_dump(normal, sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=False)
    title = " ".join(normal["title"].split())
    return (f"# {title}, version {normal['version']} ({normal['kind']}).\n"
            "# A published version never changes: give a change the next version number.\n"
            + text)


def from_yaml(text: str) -> dict[str, Any]:
    """The definition in YAML ``text``, in normal form; ``WorkbookProblems`` naming lines."""
    data, problems = check_text(text, "definition")
    problems = [p for p in problems if p.code not in _PATH_CODES]
    if problems:
        raise WorkbookProblems(ImportProblem(_sentence(p.message), line=p.line, code=p.code)
                               for p in problems)
    return ChecklistVersion.from_dict(data).to_dict()


# --- files --------------------------------------------------------------------------------------


def import_definition(path: str | Path) -> dict[str, Any]:
    """The definition in a workbook (``.xlsx``) or YAML file, in normal form.

    Raises ``WorkbookProblems`` listing every problem. What it returns is ready to become a draft.
    """
    return read_definition(read_file(path), Path(path).name)


def read_file(path: str | Path) -> bytes:
    """A file to import, refused (``WorkbookProblems``) when too large to be a checklist or
    when it cannot be read."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _too_large()
        return path.read_bytes()
    except OSError as error:
        raise WorkbookProblems([ImportProblem(f"The file cannot be read: {error.strerror}",
                                              code="unreadable")]) from None


def _too_large() -> WorkbookProblems:
    return WorkbookProblems([ImportProblem(
        f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, far more than a "
        "checklist needs: check it is the right file", code="too_large")])


def read_definition(data: bytes, name: str) -> dict[str, Any]:
    """The definition in the bytes of a workbook or YAML file called ``name`` (an upload, or
    a file read from disk), in normal form; ``WorkbookProblems`` listing every problem."""
    if len(data) > MAX_FILE_BYTES:
        raise _too_large()
    if data.startswith(b"PK") or name.lower().endswith(".xlsx"):
        return from_xlsx(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkbookProblems([ImportProblem(
            "The file is neither an Excel workbook (.xlsx) nor YAML text", code="not_text")],
        ) from None
    return from_yaml(text)
